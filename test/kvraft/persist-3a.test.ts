/** The course's 3A GenericTests that restart every server after each round. */
import { genericTest } from './generic-test.js';
import { kvraftTest } from './kvraft-test.js';

const FILE = 'persist-3a';
const A = {
  part: '3A',
  nservers: 5,
  crash: true,
  partitions: false,
  maxraftstate: -1,
  randomkeys: false,
} as const;

kvraftTest('TestPersistOneClient3A', FILE, (seed) =>
  genericTest('TestPersistOneClient3A', seed, { ...A, nclients: 1, unreliable: false }),
);

kvraftTest('TestPersistConcurrent3A', FILE, (seed) =>
  genericTest('TestPersistConcurrent3A', seed, { ...A, nclients: 5, unreliable: false }),
);

kvraftTest('TestPersistConcurrentUnreliable3A', FILE, (seed) =>
  genericTest('TestPersistConcurrentUnreliable3A', seed, { ...A, nclients: 5, unreliable: true }),
);
