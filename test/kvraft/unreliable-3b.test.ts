/**
 * The course's 3B GenericTests on an unreliable network (maxraftstate 1000), the last with
 * 15 clients on random keys and 7 servers.
 */
import { genericTest } from './generic-test.js';
import { kvraftTest } from './kvraft-test.js';

const FILE = 'unreliable-3b';
const B = { part: '3B', unreliable: true, maxraftstate: 1000 } as const;

kvraftTest('TestSnapshotUnreliable3B', FILE, (seed) =>
  genericTest('TestSnapshotUnreliable3B', seed, {
    ...B,
    nclients: 5,
    nservers: 5,
    crash: false,
    partitions: false,
    randomkeys: false,
  }),
);

kvraftTest('TestSnapshotUnreliableRecover3B', FILE, (seed) =>
  genericTest('TestSnapshotUnreliableRecover3B', seed, {
    ...B,
    nclients: 5,
    nservers: 5,
    crash: true,
    partitions: false,
    randomkeys: false,
  }),
);

kvraftTest('TestSnapshotUnreliableRecoverConcurrentPartition3B', FILE, (seed) =>
  genericTest('TestSnapshotUnreliableRecoverConcurrentPartition3B', seed, {
    ...B,
    nclients: 5,
    nservers: 5,
    crash: true,
    partitions: true,
    randomkeys: false,
  }),
);

kvraftTest('TestSnapshotUnreliableRecoverConcurrentPartitionLinearizable3B', FILE, (seed) =>
  genericTest('TestSnapshotUnreliableRecoverConcurrentPartitionLinearizable3B', seed, {
    ...B,
    nclients: 15,
    nservers: 7,
    crash: true,
    partitions: true,
    randomkeys: true,
  }),
);
