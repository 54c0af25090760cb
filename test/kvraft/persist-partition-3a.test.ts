/** The course's 3A GenericTests with restarts and the partitioner, the last with 15 clients on random keys. */
import { genericTest } from './generic-test.js';
import { kvraftTest } from './kvraft-test.js';

const FILE = 'persist-partition-3a';
const A = { part: '3A', crash: true, partitions: true, maxraftstate: -1 } as const;

kvraftTest('TestPersistPartition3A', FILE, (seed) =>
  genericTest('TestPersistPartition3A', seed, {
    ...A,
    nclients: 5,
    nservers: 5,
    unreliable: false,
    randomkeys: false,
  }),
);

kvraftTest('TestPersistPartitionUnreliable3A', FILE, (seed) =>
  genericTest('TestPersistPartitionUnreliable3A', seed, {
    ...A,
    nclients: 5,
    nservers: 5,
    unreliable: true,
    randomkeys: false,
  }),
);

kvraftTest('TestPersistPartitionUnreliableLinearizable3A', FILE, (seed) =>
  genericTest('TestPersistPartitionUnreliableLinearizable3A', seed, {
    ...A,
    nclients: 15,
    nservers: 7,
    unreliable: true,
    randomkeys: true,
  }),
);
