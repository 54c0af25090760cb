/**
 * What a node host needs from the world. The simulated cluster and a real node are the
 * same host over different providers: simulated or real clock, seeded or crypto random,
 * simulated network or WebSockets, memory or file storage.
 */
import type {
  ClusterConfig,
  HardState,
  LogEdit,
  LogEntry,
  RaftMessage,
  SnapshotRecord,
} from '../../machines/index.js';

/** Timers for the actor's `after` transitions (XState's clock interface) plus the time. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /**
   * Runs `callback` once the current turn of the event loop is over. The host's ready loop
   * flushes there, so what one turn brought (every proposal, every message that arrived
   * together) leaves as one batch. Optional: without it, a microtask (the simulator's clock,
   * whose turns are its instants).
   */
  defer?(callback: () => void): void;
}

export interface RandomSource {
  /** A uniform integer in [0, maxInclusive]. */
  int(maxInclusive: number): number;
}

/** Moves RaftMessages between nodes. Messages may be lost, delayed or reordered. */
export interface Transport {
  /** Starts handing inbound messages addressed to this node to `deliver`. */
  listen(deliver: (message: RaftMessage) => void): void;
  /** Fire and forget: a transport never blocks the node on a peer. */
  send(message: RaftMessage): void;
  close(): void;
}

/** What storage holds for a node: enough to restart it. */
export interface PersistedState {
  readonly hardState: HardState;
  /** The latest snapshot; `entries` follow it (the first is at snapshot.index + 1). */
  readonly snapshot?: SnapshotRecord;
  readonly entries: readonly LogEntry[];
}

/**
 * One write: everything a turn changed, made durable together (atomically). With a
 * snapshot, the log is replaced: the snapshot becomes its base and `log` (from
 * snapshot.index + 1) its whole tail.
 */
export interface StorageBatch {
  readonly hardState?: HardState;
  readonly snapshot?: SnapshotRecord;
  readonly log?: LogEdit;
}

/**
 * Asynchronous by contract, even in memory: writes complete in the order they were
 * issued, and a write's promise resolves only once it is durable.
 */
export interface Storage {
  load(): Promise<PersistedState>;
  write(batch: StorageBatch): Promise<void>;
}

/** A committed entry as the application receives it (a copy, never the log's own object). */
export interface AppliedEntry {
  readonly index: number;
  readonly term: number;
  /** null for a leader's no-op and for a configuration entry, which applications skip. */
  readonly command: unknown;
  /** A configuration entry's members from this index on (machines/membership.ts). */
  readonly config?: ClusterConfig;
}

/**
 * Where committed entries go, in index order, each exactly once per node life, and
 * snapshots: a snapshot installed from the leader (or found on restart) replaces the
 * application's state up to its index, and the next entry follows it. The host waits for
 * each returned promise before the next delivery.
 */
export interface ApplySink {
  apply(entry: AppliedEntry): void | Promise<void>;
  restore(snapshot: SnapshotRecord): void | Promise<void>;
}
