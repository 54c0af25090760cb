/** The course's first 3A tests: one client, speed, many clients, an unreliable network. */
import { genericTest, genericTestSpeed } from './generic-test.js';
import { kvraftTest } from './kvraft-test.js';

const FILE = 'basic-3a';
const A = {
  part: '3A',
  nservers: 5,
  crash: false,
  partitions: false,
  maxraftstate: -1,
  randomkeys: false,
} as const;

kvraftTest('TestBasic3A', FILE, (seed) =>
  genericTest('TestBasic3A', seed, { ...A, nclients: 1, unreliable: false }),
);

kvraftTest('TestSpeed3A', FILE, (seed) => genericTestSpeed(seed, '3A', -1));

kvraftTest('TestConcurrent3A', FILE, (seed) =>
  genericTest('TestConcurrent3A', seed, { ...A, nclients: 5, unreliable: false }),
);

kvraftTest('TestUnreliable3A', FILE, (seed) =>
  genericTest('TestUnreliable3A', seed, { ...A, nclients: 5, unreliable: true }),
);
