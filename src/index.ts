/**
 * raftchart: embed a Raft node in a Node.js application. The statechart and its rules are
 * `raftchart/machines`; the in-process simulator is `raftchart/sim`.
 *
 * @module raftchart
 */
export type {
  HardState,
  JsonLimits,
  LogEdit,
  LogEntry,
  NodeId,
  RaftContext,
  RaftMessage,
  RaftTiming,
  ReplicationLimits,
  Role,
  SnapshotRecord,
} from '../machines/index.js';
export type { Listener } from './emitter.js';
export * from './errors.js';
export type { Proposed, RaftNodeEvents, RaftNodeOptions, ReadDone, ReadOptions } from './api/raft-node.js';
export { DEFAULT_COMMAND_LIMITS, DEFAULT_TIMING, RaftNode } from './api/raft-node.js';
export type {
  CreateRaftNodeOptions,
  InspectableRaftNode,
  InspectionFeedAddress,
} from './api/create-raft-node.js';
export { createRaftNode } from './api/create-raft-node.js';
export type { FeedFrame, FeedHello } from './inspect/feed-protocol.js';
export type { InspectEvent, NodeSummary, PeerProgressSummary, TimerKind } from './inspect/inspect-event.js';
export type { InspectionFeed, InspectionFeedOptions } from './inspect/feed-server.js';
export { serveInspectionFeed } from './inspect/feed-server.js';
export { inspectToken } from './inspect/inspect-token.js';
export type { SnapshotMeta, StateMachine } from './api/state-machine.js';
export { CommandLog } from './app/command-log.js';
// The reference application: the replicated key/value store and its service over a node.
export * from './kv/index.js';
// Its client: talks to a cluster's nodes over HTTP, finds the leader, retries exactly once.
export { DEFAULT_CLIENT_TIMEOUT_MS, KvClient } from './kv/client.js';
export type { KvCasAck, KvClientGetOptions, KvClientOptions, KvDeleteAck, KvWriteAck } from './kv/client.js';
export * from './kv/client-errors.js';
// The linearizability checker (Wing & Gong / Lowe), with the key/value model.
export * from './check/index.js';
export { CRYPTO_RANDOM } from './node/crypto-random.js';
export { REAL_CLOCK } from './node/real-clock.js';
export type {
  InputRecord,
  NodeStatus,
  NodeStep,
  RoleChange,
  Submission,
  XStateInspect,
} from './node/node-host.js';
export type { PendingTimer } from './node/timer-tap.js';
export type {
  AppliedEntry,
  Clock,
  PersistedState,
  RandomSource,
  Storage,
  StorageBatch,
  Transport,
} from './node/providers.js';
export type { FileStorageOptions } from './storage/file-storage.js';
export { FileStorage } from './storage/file-storage.js';
export { MemoryStorage } from './storage/memory-storage.js';
export {
  StorageCorruptedError,
  StorageOpenError,
  StorageUnavailableError,
} from './storage/storage-errors.js';
export * from './transport/index.js';
