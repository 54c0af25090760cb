/** raftchart: Raft consensus as XState v5 statecharts. */
export * from '../machines/index.js';
export * from './errors.js';
export type { Proposed, RaftNodeEvents, RaftNodeOptions } from './api/raft-node.js';
export { DEFAULT_TIMING, RaftNode, createRaftNode } from './api/raft-node.js';
export type { StateMachine } from './api/state-machine.js';
export { CRYPTO_RANDOM } from './node/crypto-random.js';
export { REAL_CLOCK } from './node/real-clock.js';
export type {
  NodeHostEvents,
  NodeHostOptions,
  NodeStatus,
  NodeStep,
  RoleChange,
  Submission,
} from './node/node-host.js';
export { NodeHost } from './node/node-host.js';
export type {
  AppliedEntry,
  ApplySink,
  Clock,
  PersistedState,
  RandomSource,
  Storage,
  StorageBatch,
  Transport,
} from './node/providers.js';
export { InvariantChecker, InvariantViolation } from './sim/invariants.js';
export { SeededRandom } from './sim/seeded-random.js';
export { SimClock, SimulationStalledError } from './sim/sim-clock.js';
export type { SimClusterEvents, SimClusterOptions } from './sim/sim-cluster.js';
export { SIM_TIMING, SimCluster, SimulationFailure } from './sim/sim-cluster.js';
export type { WireCodec } from './sim/sim-network.js';
export { JSON_CODEC, SimEndpoint, SimNetwork } from './sim/sim-network.js';
export { FileStorage } from './storage/file-storage.js';
export {
  StorageCorruptedError,
  StorageOpenError,
  StorageUnavailableError,
} from './storage/storage-errors.js';
export { MemoryStorage } from './storage/memory-storage.js';
export * from './transport/index.js';
