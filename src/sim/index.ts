/**
 * raftchart/sim: a whole Raft cluster in one process on virtual time, deterministic from its
 * seed, for testing an application's state machine on a faulty cluster, and the same
 * cluster in real time as the visualizer's source (`createSimSource`). Browser-safe: no
 * `node:` import and no Node-only package.
 *
 * @module raftchart/sim
 */
export { InvariantChecker, InvariantViolation } from './invariants.js';
export { SeededRandom } from './seeded-random.js';
export { SimClock, SimulationStalledError } from './sim-clock.js';
export type { SimClusterEvents, SimClusterOptions, SimNodeOptions } from './sim-cluster.js';
export { SIM_TIMING, SimCluster, SimulationFailure, TIMER_SPREAD_MS } from './sim-cluster.js';
export type { SimDurability } from './sim-storage.js';
export { SIM_DURABILITY, SimStorage } from './sim-storage.js';
export type { RunBudget } from './run-budget.js';
export { DEFAULT_RUN_BUDGET, RunBudgetExceeded } from './run-budget.js';
export type { DurableView } from './vouched-replies.js';
export type {
  DropReason,
  Latency,
  NetworkDelivered,
  NetworkDropped,
  NetworkSent,
  SimNetworkEvents,
  WireCodec,
} from './sim-network.js';
export { JSON_CODEC, SimEndpoint, SimNetwork } from './sim-network.js';
// The cluster in real time, for the visualizer (or any page): a ClusterSource.
export type { SimSource, SimSourceOptions } from '../inspect/sim-source.js';
export {
  NoLeaderError,
  SIM_SOURCE_LATENCY,
  SIM_SOURCE_SNAPSHOT_EVERY,
  SimulationClosedError,
  createSimSource,
} from '../inspect/sim-source.js';
export type { FrameScheduler } from '../inspect/sim-source-pacer.js';
export type { ClusterControls, ClusterSource, SourceKind, TimeControls } from '../inspect/cluster-source.js';
export type {
  InspectEvent,
  InspectListener,
  NodeSummary,
  PeerProgressSummary,
  TimerKind,
} from '../inspect/inspect-event.js';
export { MemoryStorage } from '../storage/memory-storage.js';
// What a simulated node is: the same RaftNode and StateMachine as a real one.
export type {
  LeadershipTransferred,
  MembershipChanged,
  Proposed,
  RaftNode,
  RaftNodeEvents,
  ReadDone,
  ReadOptions,
} from '../api/raft-node.js';
export type { SnapshotMeta, StateMachine } from '../api/state-machine.js';
export { CommandLog } from '../app/command-log.js';
// The reference application, to test against in the simulator.
export * from '../kv/index.js';
// The linearizability checker, for histories recorded against simulated clusters.
export * from '../check/index.js';
export type { Listener } from '../emitter.js';
export * from '../errors.js';
export type {
  InputRecord,
  NodeStatus,
  NodeStep,
  RoleChange,
  Submission,
  XStateInspect,
} from '../node/node-host.js';
export type { AppliedEntry, PersistedState } from '../node/providers.js';
