/** The course's 3A GenericTests with the partitioner. */
import { genericTest } from './generic-test.js';
import { kvraftTest } from './kvraft-test.js';

const FILE = 'partitions-3a';
const A = {
  part: '3A',
  nservers: 5,
  unreliable: false,
  crash: false,
  partitions: true,
  maxraftstate: -1,
  randomkeys: false,
} as const;

kvraftTest('TestManyPartitionsOneClient3A', FILE, (seed) =>
  genericTest('TestManyPartitionsOneClient3A', seed, { ...A, nclients: 1 }),
);

kvraftTest('TestManyPartitionsManyClients3A', FILE, (seed) =>
  genericTest('TestManyPartitionsManyClients3A', seed, { ...A, nclients: 5 }),
);
