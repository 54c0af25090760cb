/**
 * raftchart/sim: a whole Raft cluster in one process on virtual time, deterministic from its
 * seed, for testing an application's state machine on a faulty cluster. Browser-safe: no
 * `node:` import and no Node-only package.
 */
export { InvariantChecker, InvariantViolation } from './invariants.js';
export { SeededRandom } from './seeded-random.js';
export { SimClock, SimulationStalledError } from './sim-clock.js';
export type { SimClusterEvents, SimClusterOptions } from './sim-cluster.js';
export { SIM_TIMING, SimCluster, SimulationFailure } from './sim-cluster.js';
export type { WireCodec } from './sim-network.js';
export { JSON_CODEC, SimEndpoint, SimNetwork } from './sim-network.js';
export { MemoryStorage } from '../storage/memory-storage.js';
