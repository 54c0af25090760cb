/** The course's 3B GenericTests on a reliable network with restarts (maxraftstate 1000). */
import { genericTest } from './generic-test.js';
import { kvraftTest } from './kvraft-test.js';

const FILE = 'recover-3b';
const B = {
  part: '3B',
  nservers: 5,
  unreliable: false,
  crash: true,
  partitions: false,
  maxraftstate: 1000,
  randomkeys: false,
} as const;

kvraftTest('TestSnapshotRecover3B', FILE, (seed) =>
  genericTest('TestSnapshotRecover3B', seed, { ...B, nclients: 1 }),
);

kvraftTest('TestSnapshotRecoverManyClients3B', FILE, (seed) =>
  genericTest('TestSnapshotRecoverManyClients3B', seed, { ...B, nclients: 20 }),
);
