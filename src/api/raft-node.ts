/**
 * The embedding API: a Raft node for an application, over any transport and storage.
 * It is the node host (the same one the simulator runs) with real time and randomness by
 * default, plus what an application needs: proposals that resolve once applied, the
 * application's state machine fed in order, and automatic snapshots. Browser-safe, since
 * the simulator runs it; `createRaftNode` (create-raft-node.ts) adds what only Node has,
 * the inspection feed's server.
 */
import type {
  JsonLimits,
  LogEdit,
  NodeId,
  RaftContext,
  RaftMessage,
  RaftTiming,
  ReplicationLimits,
  SnapshotRecord,
} from '../../machines/index.js';
import { NOOP_COMMAND, checkJsonValue } from '../../machines/index.js';
import { Emitter } from '../emitter.js';
import {
  InvalidCommandError,
  NodeStoppedError,
  NotLeaderError,
  ProposalOutcomeUnknownError,
  ProposalTimeoutError,
  ReadTimeoutError,
} from '../errors.js';
import type { NodeFailedError } from '../errors.js';
import { CRYPTO_RANDOM } from '../node/crypto-random.js';
import type { InputRecord, NodeStatus, NodeStep, Submission, XStateInspect } from '../node/node-host.js';
import { NodeHost } from '../node/node-host.js';
import type {
  AppliedEntry,
  Clock,
  PersistedState,
  RandomSource,
  Storage,
  Transport,
} from '../node/providers.js';
import type { PendingTimer, TimerKind } from '../node/timer-tap.js';
import { REAL_CLOCK } from '../node/real-clock.js';
import { validateCommandLimits } from '../node/validate-options.js';
import type { StateMachine } from './state-machine.js';

/** Timing for real networks: heartbeats every 50 ms, elections after 300-600 ms of silence. */
export const DEFAULT_TIMING: RaftTiming = {
  heartbeatIntervalMs: 50,
  electionTimeoutMinMs: 300,
  electionTimeoutMaxMs: 600,
};

/**
 * What a proposed command may be: nested at most 100 levels deep and at most 1 MiB as JSON.
 * Every encoder of a command (WAL, wire, snapshot) handles any depth, but applications'
 * own code recurses too, and a batch must fit the transport's frame.
 */
export const DEFAULT_COMMAND_LIMITS: JsonLimits = { maxDepth: 100, maxBytes: 1 << 20 };

export interface RaftNodeOptions<Command, Result> {
  readonly id: NodeId;
  /** Every other voter in the cluster. */
  readonly peers: readonly NodeId[];
  readonly transport: Transport;
  readonly storage: Storage;
  readonly stateMachine: StateMachine<Command, Result>;
  readonly timing?: RaftTiming;
  /** How long `propose` waits for its command to be applied here; default 5000 ms. */
  readonly proposalTimeoutMs?: number;
  /**
   * Take a snapshot of the state machine every this many applied entries; default 10000. 0
   * never does on its own: the application calls `saveSnapshot` when it chooses.
   */
  readonly snapshotEvery?: number;
  /**
   * A new leader appends a no-op entry (command null, never applied), so entries of earlier
   * terms commit at once rather than at its first proposal; default true. Turn it off only
   * to get log indexes with no gaps between commands (a test suite asserting exact indexes).
   */
  readonly noopOnElection?: boolean;
  /**
   * The leader's window per follower: `maxEntriesPerMessage` (512), `maxInflightEntries`
   * sent but not yet acknowledged (4096) and `maxBytesPerMessage` of commands as JSON
   * (1 MiB). What each trades: docs/performance.md.
   */
  readonly replication?: Partial<ReplicationLimits>;
  /** Bytes of snapshot data (as JSON text) per InstallSnapshot chunk on the wire; default 1 MiB. */
  readonly maxSnapshotChunk?: number;
  /**
   * XState's inspection hook, attached to the node's statechart actor: e.g. the `inspect` of
   * `@statelyai/inspect`'s `createBrowserInspector()` or `createWebSocketInspector()`.
   */
  readonly inspect?: XStateInspect;
  /** Deepest nesting of arrays and objects a command may have; default 100. */
  readonly maxCommandDepth?: number;
  /** Largest command, in bytes of its JSON text; default 1 MiB. */
  readonly maxCommandBytes?: number;
  /** Defaults: real time and crypto randomness. The simulator passes its own. */
  readonly clock?: Clock;
  readonly random?: RandomSource;
}

export interface Proposed<Result> {
  readonly index: number;
  readonly term: number;
  /** What the state machine's `apply` returned for the command. */
  readonly result: Result;
}

export interface ReadOptions {
  /** How long to wait for the read to be confirmed and applied here; default proposalTimeoutMs. */
  readonly timeoutMs?: number;
}

export interface ReadDone {
  /** The read index: this node had applied at least this far when the read resolved. */
  readonly index: number;
}

export interface RaftNodeEvents<Result> {
  /** This node's role or term changed. */
  role: [{ role: NodeStatus['role']; term: number }];
  /** The leader this node knows of changed. */
  leader: [{ leaderId: NodeId | null; term: number }];
  /** A committed command was applied to the state machine here. */
  applied: [{ index: number; term: number; result: Result }];
  /** The node failed and stopped. */
  error: [NodeFailedError | Error];
  /**
   * A committed entry is handed to the application, no-ops included, before it is applied:
   * an observer's view (the simulator checks state machine safety here).
   */
  committed: [AppliedEntry];
  /** The state machine was replaced by a snapshot (installed from the leader, or on restart). */
  restored: [SnapshotRecord];
  // The inspection feed: what the node did, step by step. Listeners must not call into the node.
  /** After every event the node's statechart processed. */
  step: [NodeStep];
  /** A turn's log edit went to storage; `prevTerm` is the term of the entry before `edit.from`. */
  logWritten: [edit: LogEdit, prevTerm: number];
  /** A snapshot (taken here or installed) went to storage. */
  snapshotWritten: [SnapshotRecord];
  /** A message left for the transport (after what it depends on became durable). */
  sent: [RaftMessage];
  /** A message from a peer reached the node (before its statechart handles it). */
  received: [RaftMessage];
  /** One of the chart's timers was set (its deadline on the node's clock) or ended (null). */
  timer: [kind: TimerKind, deadline: number | null];
  /** Every input of the statechart with its outputs, while someone listens: a recorder's feed. */
  input: [InputRecord];
}

// Methods, not function-typed fields: a RaftNode<C, undefined> is then usable as a RaftNode<C, unknown>.
interface Pending<Result> {
  readonly term: number;
  resolve(value: Proposed<Result>): void;
  reject(error: Error): void;
  readonly timer: unknown;
}

interface PendingRead {
  id: number;
  /** The read index, once the leader confirmed it; the read resolves when applied this far. */
  index: number | null;
  resolve(value: ReadDone): void;
  reject(error: Error): void;
  timer: unknown;
}

export class RaftNode<Command = unknown, Result = unknown> extends Emitter<RaftNodeEvents<Result>> {
  readonly id: NodeId;
  readonly #options: RaftNodeOptions<Command, Result>;
  readonly #clock: Clock;
  readonly #commandLimits: JsonLimits;
  #host: NodeHost | null = null;
  #stopped = false;
  readonly #pending = new Map<number, Pending<Result>>();
  readonly #reads = new Set<PendingRead>();
  /** The last entry applied here (no-ops included), or the snapshot restored. */
  #appliedIndex = 0;
  #lastSnapshotIndex = 0;
  #leaderId: NodeId | null = null;
  #stepForwarder: ((step: NodeStep) => void) | null = null;

  constructor(options: RaftNodeOptions<Command, Result>) {
    super();
    this.id = options.id;
    this.#options = options;
    this.#clock = options.clock ?? REAL_CLOCK;
    this.#commandLimits = {
      maxDepth: options.maxCommandDepth ?? DEFAULT_COMMAND_LIMITS.maxDepth,
      maxBytes: options.maxCommandBytes ?? DEFAULT_COMMAND_LIMITS.maxBytes,
    };
    validateCommandLimits(this.#commandLimits);
  }

  /** Recovers from storage and joins the cluster. */
  async start(): Promise<void> {
    if (this.#host !== null || this.#stopped) throw new Error(`node ${this.id} was already started`);
    const options = this.#options;
    const host = await NodeHost.create({
      id: options.id,
      peers: options.peers,
      timing: options.timing ?? DEFAULT_TIMING,
      transport: options.transport,
      storage: options.storage,
      clock: this.#clock,
      random: options.random ?? CRYPTO_RANDOM,
      applySink: { apply: (entry) => this.#apply(entry), restore: (snapshot) => this.#restore(snapshot) },
      ...(options.noopOnElection === undefined ? {} : { noopOnElection: options.noopOnElection }),
      ...(options.replication === undefined ? {} : { replication: options.replication }),
      ...(options.maxSnapshotChunk === undefined ? {} : { maxSnapshotChunk: options.maxSnapshotChunk }),
      ...(options.inspect === undefined ? {} : { inspect: options.inspect }),
    });
    host.on('role', ({ role, term }) => this.emit('role', { role, term }));
    host.on('leader', (leaderId, term) => {
      this.#leaderId = leaderId;
      this.emit('leader', { leaderId, term });
    });
    this.#host = host;
    // Steps are built only while someone here listens (the host inspects the actor for them).
    this.#forwardSteps();
    host.on('logWritten', (edit, prevTerm) => this.emit('logWritten', edit, prevTerm));
    host.on('snapshotWritten', (snapshot) => this.emit('snapshotWritten', snapshot));
    host.on('sent', (message) => this.emit('sent', message));
    host.on('received', (message) => this.emit('received', message));
    host.on('timer', (kind, deadline) => this.emit('timer', kind, deadline));
    // A recorder costs nothing until one listens; the host records only while this does.
    if (this.listenerCount('input') > 0) host.on('input', (record) => this.emit('input', record));
    host.on('error', (error) => {
      this.#failAll(error);
      this.emit('error', error);
    });
    host.start();
  }

  /** Leaves the cluster: pending proposals fail with NodeStoppedError. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#host?.stop();
    this.#failAll(new NodeStoppedError(this.id));
  }

  /**
   * Proposes a command. Resolves with its index, term and the state machine's result once
   * it is committed and applied on this node; rejects with InvalidCommandError if the
   * command cannot be stored and sent (before anything reaches the log), NotLeaderError
   * (carrying the leader's id when known) if this node does not lead, or if another
   * leader's entry took its place, ProposalTimeoutError if it is not applied in time,
   * ProposalOutcomeUnknownError (the base of ProposalTimeoutError) if the leader's snapshot
   * replaced it here before it was applied, and NodeFailedError once the node has failed.
   */
  propose(command: Command): Promise<Proposed<Result>> {
    let host: NodeHost;
    try {
      host = this.#liveHost();
      this.#checkCommand(command);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    // Proposals of one turn share one Propose: one event, one log edit, one AppendEntries.
    return new Promise<Proposed<Result>>((resolve, reject) => {
      host.propose(command, ({ isLeader, index, term, leaderId }) => {
        if (!isLeader) {
          reject(
            host.failure ??
              (this.#stopped ? new NodeStoppedError(this.id) : new NotLeaderError(this.id, leaderId)),
          );
          return;
        }
        const timeoutMs = this.#options.proposalTimeoutMs ?? 5000;
        const timer = this.#clock.setTimeout(() => {
          this.#pending.delete(index);
          reject(new ProposalTimeoutError(index, timeoutMs));
        }, timeoutMs);
        this.#pending.set(index, { term, resolve, reject, timer });
      });
    });
  }

  /**
   * A linearizable read barrier (ReadIndex): resolves once this node has applied everything
   * committed when the read was issued, as confirmed by a quorum; reading the state machine
   * then gives a linearizable answer.
   */
  read(options: ReadOptions = {}): Promise<ReadDone> {
    let host: NodeHost;
    try {
      host = this.#liveHost();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const timeoutMs = options.timeoutMs ?? this.#options.proposalTimeoutMs ?? 5000;
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
      return Promise.reject(new RangeError(`read: timeoutMs must be a positive number, got ${timeoutMs}`));
    }
    return new Promise<ReadDone>((resolve, reject) => {
      const read: PendingRead = { id: 0, index: null, resolve, reject, timer: null };
      this.#reads.add(read);
      read.timer = this.#clock.setTimeout(() => {
        host.cancelRead(read.id);
        this.#settleRead(read, new ReadTimeoutError(this.id, timeoutMs));
      }, timeoutMs);
      read.id = host.read((index) => {
        if (index === null) {
          this.#settleRead(read, new NotLeaderError(this.id, this.#leaderId));
        } else {
          read.index = index;
          this.#releaseReads();
        }
      });
    });
  }

  /**
   * Appends a command to the log if this node leads, and answers at once, without waiting
   * for it to commit (etcd's Propose): the index it will have if it is committed, the term,
   * and whether this node leads (if not, `leaderId` hints who does). The application learns
   * of the outcome when the entry is applied, at that index, in that term. Throws
   * InvalidCommandError, NodeStoppedError or NodeFailedError, as `propose` rejects.
   */
  submit(command: Command): Submission {
    const host = this.#liveHost();
    this.#checkCommand(command);
    return host.submit([command]);
  }

  /** Throws InvalidCommandError for a command that cannot be stored and sent. */
  #checkCommand(command: Command): void {
    if (command === null) {
      throw new InvalidCommandError(
        "the command is null, which marks a leader's no-op entry: propose any other JSON value",
      );
    }
    const check = checkJsonValue(command, this.#commandLimits);
    if (!check.ok) throw new InvalidCommandError(check.problem);
  }

  protected override listenersChanged(event: keyof RaftNodeEvents<Result>): void {
    if (event === 'step') this.#forwardSteps();
  }

  /** Steps pass from the host while anyone here listens; unwatched, they cost nothing. */
  #forwardSteps(): void {
    const host = this.#host;
    if (host === null) return;
    const wanted = this.listenerCount('step') > 0;
    if (wanted && this.#stepForwarder === null) {
      this.#stepForwarder = (step) => this.emit('step', step);
      host.on('step', this.#stepForwarder);
    } else if (!wanted && this.#stepForwarder !== null) {
      host.off('step', this.#stepForwarder);
      this.#stepForwarder = null;
    }
  }

  /**
   * The application's snapshot of its state through `index` (an index it has applied): the
   * log through there is discarded. For applications that snapshot on their own schedule
   * (`snapshotEvery: 0`); ignored (false) at or below the current snapshot or past what is
   * committed. Returns whether the node now holds a snapshot at `index`.
   */
  saveSnapshot(index: number, data: string): boolean {
    const saved = this.#liveHost().saveSnapshot(index, data);
    if (saved) this.#lastSnapshotIndex = Math.max(this.#lastSnapshotIndex, index);
    return saved;
  }

  #liveHost(): NodeHost {
    const host = this.#host;
    if (host?.failure) throw host.failure;
    if (host === null || this.#stopped) throw new NodeStoppedError(this.id);
    return host;
  }

  /** What storage held when the node started: where a recording of its inputs begins. */
  get recovered(): PersistedState {
    return this.#liveHost().recovered;
  }

  /** The chart's timers now pending, with their deadlines on the node's clock. */
  pendingTimers(): PendingTimer[] {
    return this.#host?.pendingTimers() ?? [];
  }

  /** For a simulator: it moved a pending timer (by its clock handle) to a new deadline. */
  timerMoved(handle: unknown, deadline: number): void {
    this.#host?.timerMoved(handle, deadline);
  }

  /** The failure that stopped this node, or null while it runs (or was stopped on purpose). */
  get failure(): NodeFailedError | null {
    return this.#host?.failure ?? null;
  }

  /**
   * The statechart's state now, its context and state value: what an inspector that
   * connects late starts from (the `step` events carry the same after every step). Read
   * it, never edit it. Throws NodeStoppedError before `start()`.
   */
  chartState(): { readonly context: RaftContext; readonly value: unknown } {
    const host = this.#host;
    if (host === null) throw new NodeStoppedError(this.id);
    const { context, value } = host.actorSnapshot();
    return { context, value };
  }

  status(): NodeStatus {
    const host = this.#host;
    if (host === null) throw new NodeStoppedError(this.id);
    return host.status();
  }

  /**
   * Applies one committed entry; synchronous when the state machine is, so a batch of
   * commits applies without a microtask per entry.
   */
  #apply(entry: AppliedEntry): void | Promise<void> {
    this.emit('committed', entry);
    if (entry.command === NOOP_COMMAND) {
      // A new leader's no-op: nothing to apply, but reads may wait for its index.
      this.#appliedIndex = entry.index;
      this.#releaseReads();
      return;
    }
    const result = this.#options.stateMachine.apply(entry.command as Command, entry.index);
    return isThenable(result)
      ? Promise.resolve(result).then((value) => this.#applied(entry, value))
      : this.#applied(entry, result);
  }

  #applied(entry: AppliedEntry, result: Result): void | Promise<void> {
    this.#appliedIndex = entry.index;
    this.emit('applied', { index: entry.index, term: entry.term, result });
    this.#releaseReads();
    this.#settle(entry.index, (pending) =>
      pending.term === entry.term
        ? pending.resolve({ index: entry.index, term: entry.term, result })
        : pending.reject(new NotLeaderError(this.id, this.#leaderId)),
    );
    const every = this.#options.snapshotEvery ?? 10_000;
    if (every > 0 && entry.index - this.#lastSnapshotIndex >= every) return this.#snapshotAt(entry.index);
  }

  /** The state machine's snapshot, handed to the node after the flush under way (an await). */
  async #snapshotAt(index: number): Promise<void> {
    const data = await this.#options.stateMachine.snapshot();
    if (this.#host?.saveSnapshot(index, data)) this.#lastSnapshotIndex = index;
  }

  async #restore(snapshot: SnapshotRecord): Promise<void> {
    this.emit('restored', snapshot);
    await this.#options.stateMachine.restore(snapshot.data, { index: snapshot.index, term: snapshot.term });
    this.#lastSnapshotIndex = snapshot.index;
    this.#appliedIndex = snapshot.index;
    this.#releaseReads();
    // Proposals a snapshot from another leader covers: their outcome here is unknown (the
    // entry there may be this one, committed, or another leader's).
    for (const index of [...this.#pending.keys()].filter((i) => i <= snapshot.index)) {
      this.#settle(index, (pending) => pending.reject(new ProposalOutcomeUnknownError(index)));
    }
  }

  #settle(index: number, settle: (pending: Pending<Result>) => void): void {
    const pending = this.#pending.get(index);
    if (pending === undefined) return;
    this.#pending.delete(index);
    this.#clock.clearTimeout(pending.timer);
    settle(pending);
  }

  #failAll(error: Error): void {
    for (const index of [...this.#pending.keys()]) this.#settle(index, (pending) => pending.reject(error));
    for (const read of [...this.#reads]) this.#settleRead(read, error);
  }

  /** Reads whose read index this node has now applied. */
  #releaseReads(): void {
    for (const read of this.#reads) {
      if (read.index !== null && read.index <= this.#appliedIndex) {
        this.#settleRead(read, { index: read.index });
      }
    }
  }

  #settleRead(read: PendingRead, outcome: ReadDone | Error): void {
    if (!this.#reads.delete(read)) return;
    this.#clock.clearTimeout(read.timer);
    if (outcome instanceof Error) read.reject(outcome);
    else read.resolve(outcome);
  }
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
