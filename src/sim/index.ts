/**
 * raftchart/sim: a whole Raft cluster in one process on virtual time, deterministic from its
 * seed, for testing an application's state machine on a faulty cluster. Browser-safe: no
 * `node:` import and no Node-only package.
 *
 * @module raftchart/sim
 */
export { InvariantChecker, InvariantViolation } from './invariants.js';
export { SeededRandom } from './seeded-random.js';
export { SimClock, SimulationStalledError } from './sim-clock.js';
export type { SimClusterEvents, SimClusterOptions, SimNodeOptions } from './sim-cluster.js';
export { SIM_TIMING, SimCluster, SimulationFailure } from './sim-cluster.js';
export type { WireCodec } from './sim-network.js';
export { JSON_CODEC, SimEndpoint, SimNetwork } from './sim-network.js';
export { MemoryStorage } from '../storage/memory-storage.js';
// What a simulated node is: the same RaftNode and StateMachine as a real one.
export type { Proposed, RaftNode, RaftNodeEvents } from '../api/raft-node.js';
export type { SnapshotMeta, StateMachine } from '../api/state-machine.js';
export { CommandLog } from '../app/command-log.js';
export type { Listener } from '../emitter.js';
export * from '../errors.js';
export type { NodeStatus, NodeStep, RoleChange, Submission } from '../node/node-host.js';
export type { AppliedEntry, PersistedState } from '../node/providers.js';
