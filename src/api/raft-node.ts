/**
 * The embedding API: a Raft node for an application, over any transport and storage.
 * It is the node host (the same one the simulator runs) with real time and randomness by
 * default, plus what an application needs: proposals that resolve once applied, the
 * application's state machine fed in order, and automatic snapshots. Browser-safe, since
 * the simulator runs it; `createRaftNode` (create-raft-node.ts) adds what only Node has,
 * the inspection feed's server.
 */
import type {
  ClusterConfig,
  ConfigChange,
  JsonLimits,
  LogEdit,
  NodeId,
  RaftContext,
  RaftFeatures,
  RaftMessage,
  RaftTiming,
  ReplicationLimits,
  SnapshotRecord,
} from '../../machines/index.js';
import { NOOP_COMMAND, checkJsonValue, isMember } from '../../machines/index.js';
import { Emitter } from '../emitter.js';
import {
  ConfigError,
  InvalidCommandError,
  LeadershipTransferError,
  MembershipChangeError,
  NodeStoppedError,
  NotLeaderError,
  ProposalOutcomeUnknownError,
  ProposalTimeoutError,
  ReadTimeoutError,
} from '../errors.js';
import type { NodeFailedError } from '../errors.js';
import { CRYPTO_RANDOM } from '../node/crypto-random.js';
import type {
  InputRecord,
  LeaderRequestAnswer,
  NodeStatus,
  NodeStep,
  Submission,
  XStateInspect,
} from '../node/node-host.js';
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
import { validateCommandLimits, validateFeatures } from '../node/validate-options.js';
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
  /**
   * A new cluster's other voters: the cluster starts as this node plus `peers`, all voting.
   * Once the membership changes, the log and snapshots hold it (docs/membership.md).
   */
  readonly peers: readonly NodeId[];
  /**
   * This node joins a running cluster: it starts as no member, never campaigns, and waits
   * for the leader to add it (`addLearner`, then `promote`; or `addVoter`). Default false.
   */
  readonly join?: boolean;
  /**
   * Pre-vote (docs/pre-vote.md) and check-quorum with leader stickiness
   * (docs/check-quorum.md); both on by default. Off, the node runs the Raft paper's election.
   */
  readonly features?: Partial<RaftFeatures>;
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

/** A membership change that committed: where, and the configuration from then on. */
export interface MembershipChanged {
  readonly index: number;
  readonly term: number;
  readonly config: ClusterConfig;
}

/** The node that leads after a transfer, and its term. */
export interface LeadershipTransferred {
  readonly leaderId: NodeId;
  readonly term: number;
}

export interface RaftNodeEvents<Result> {
  /** The configuration in force here changed (appended, truncated back, or from a snapshot). */
  membership: [ClusterConfig];
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
interface Pending<Value> {
  readonly term: number;
  resolve(value: Value): void;
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
  readonly #pending = new Map<number, Pending<Proposed<Result>>>();
  /** Membership changes appended here, by index, until they apply. */
  readonly #pendingChanges = new Map<number, Pending<MembershipChanged>>();
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
    validateFeatures(options.features);
  }

  /** Recovers from storage and joins the cluster. */
  async start(): Promise<void> {
    if (this.#host !== null || this.#stopped) throw new Error(`node ${this.id} was already started`);
    const options = this.#options;
    const host = await NodeHost.create({
      id: options.id,
      peers: options.peers,
      ...(options.join === true ? { config: { voters: [], learners: [], addresses: {} } } : {}),
      ...(options.features === undefined ? {} : { features: options.features }),
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
    host.on('role', ({ role, term }) => {
      if (role !== 'leader' && !isMember(host.config(), this.id))
        this.#settleOrphans(host.status().commitIndex);
      this.emit('role', { role, term });
    });
    host.on('config', (config) => this.emit('membership', config));
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
   * replaced it here before it was applied or this leader, removed, stepped down before it
   * committed, and NodeFailedError once the node has failed.
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
   * Hands this leader's leadership to `to` (thesis 3.10), or to its most up to date voter:
   * brings it up to date, tells it to campaign (TimeoutNow), and takes no proposal meanwhile
   * (they fail with NotLeaderError naming the target). Resolves with the new leader once this
   * node learns of it; rejects with NotLeaderError when this node does not lead, and with
   * LeadershipTransferError when it refuses (`to` is no voter, a transfer is under way) or
   * gives up after an election timeout.
   */
  transferLeadership(to?: NodeId): Promise<LeadershipTransferred> {
    let host: NodeHost;
    try {
      host = this.#liveHost();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const answer = host.transferLeadership(to ?? null);
    if (!answer.ok) return Promise.reject(this.#leaderRequestError(answer, to ?? null, 'transfer'));
    const target = answer.to;
    return new Promise<LeadershipTransferred>((resolve, reject) => {
      const done = (outcome: LeadershipTransferred | Error) => {
        host.off('leader', onLeader);
        host.off('transferAbandoned', onAbandoned);
        host.off('error', onError);
        this.#clock.clearTimeout(timer);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const onLeader = (leaderId: NodeId | null, term: number) => {
        if (leaderId !== null && leaderId !== this.id) done({ leaderId, term });
      };
      const onAbandoned = () =>
        done(new LeadershipTransferError(this.id, target, 'no new leader within an election timeout'));
      const onError = (error: Error) => done(error);
      // This node stepped down but heard of no leader (the target's election failed, say).
      const timeoutMs = this.#options.proposalTimeoutMs ?? 5000;
      const timer = this.#clock.setTimeout(
        () => done(new LeadershipTransferError(this.id, target, `no leader known after ${timeoutMs} ms`)),
        timeoutMs,
      );
      host.on('leader', onLeader);
      host.on('transferAbandoned', onAbandoned);
      host.on('error', onError);
    });
  }

  /** Adds `id` as a voter at once (docs/membership.md: adding a learner first, then promoting it, keeps quorums live). */
  addVoter(id: NodeId, address?: string): Promise<MembershipChanged> {
    return this.changeMembership({ type: 'addVoter', id, ...(address === undefined ? {} : { address }) });
  }

  /** Adds `id` as a learner: it receives the log and snapshots, and never votes until promoted. */
  addLearner(id: NodeId, address?: string): Promise<MembershipChanged> {
    return this.changeMembership({ type: 'addLearner', id, ...(address === undefined ? {} : { address }) });
  }

  /** Makes learner `id` a voter. */
  promote(id: NodeId): Promise<MembershipChanged> {
    return this.changeMembership({ type: 'promote', id });
  }

  /** Removes voter or learner `id`; a leader that removes itself steps down once the change commits. */
  removeMember(id: NodeId): Promise<MembershipChanged> {
    return this.changeMembership({ type: 'remove', id });
  }

  /**
   * One single-server membership change (docs/membership.md). Resolves once its
   * configuration entry is committed and applied here; rejects with NotLeaderError when this
   * node does not lead, MembershipChangeError when the change does not fit now (a change
   * is still uncommitted, no entry of this term is committed yet, `id` is a voter already...)
   * or does not commit within `proposalTimeoutMs`, and ConfigError for a malformed change.
   */
  changeMembership(change: ConfigChange): Promise<MembershipChanged> {
    let host: NodeHost;
    try {
      host = this.#liveHost();
      checkChange(change);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const answer = host.changeConfig(change);
    if (!answer.ok) return Promise.reject(this.#leaderRequestError(answer, change.id, 'membership'));
    const { index, term } = answer;
    return new Promise<MembershipChanged>((resolve, reject) => {
      const timeoutMs = this.#options.proposalTimeoutMs ?? 5000;
      const timer = this.#clock.setTimeout(() => {
        this.#pendingChanges.delete(index);
        reject(
          new MembershipChangeError(
            this.id,
            `not committed within ${timeoutMs} ms: its outcome is unknown`,
            index,
          ),
        );
      }, timeoutMs);
      this.#pendingChanges.set(index, { term, resolve, reject, timer });
    });
  }

  /** The configuration in force here: the latest in the log, committed or not. */
  membership(): ClusterConfig {
    const host = this.#host;
    if (host === null) throw new NodeStoppedError(this.id);
    return host.config();
  }

  #leaderRequestError(
    answer: Extract<LeaderRequestAnswer<unknown>, { ok: false }>,
    target: NodeId | null,
    kind: 'transfer' | 'membership',
  ): Error {
    if (answer.notLeader) return new NotLeaderError(this.id, answer.leaderId);
    return kind === 'transfer'
      ? new LeadershipTransferError(this.id, target, answer.reason)
      : new MembershipChangeError(this.id, answer.reason);
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
      // A new leader's no-op or a configuration entry: nothing to apply, but reads may wait
      // for its index, and a membership change for its commit.
      this.#appliedIndex = entry.index;
      this.#releaseReads();
      this.#settle(this.#pendingChanges, entry.index, (pending) =>
        pending.term === entry.term
          ? pending.resolve({ index: entry.index, term: entry.term, config: this.#configAt(entry) })
          : pending.reject(new NotLeaderError(this.id, this.#leaderId)),
      );
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
    this.#settle(this.#pending, entry.index, (pending) =>
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
    this.#abandonPending(
      (index) => index <= snapshot.index,
      (index) => new ProposalOutcomeUnknownError(index),
      "the leader's snapshot replaced it: its outcome is unknown",
    );
  }

  /**
   * A leader removed from the configuration stepped down: no leader replicates to it any
   * more, so what it proposed past `commitIndex` may commit elsewhere but is never learned
   * here. Those calls end now, their outcome unknown, rather than at their timeouts.
   */
  #settleOrphans(commitIndex: number): void {
    this.#abandonPending(
      (index) => index > commitIndex,
      (index) =>
        new ProposalOutcomeUnknownError(
          index,
          `the proposal at index ${index} was left uncommitted when this leader, removed from the ` +
            'configuration, stepped down; it may still commit on the others: retry only an idempotent command',
        ),
      'this node is no longer a member and stepped down before it learned the outcome',
    );
  }

  /** Rejects the proposals and membership changes at the indexes `which` picks: outcome unknown. */
  #abandonPending(
    which: (index: number) => boolean,
    proposalError: (index: number) => ProposalOutcomeUnknownError,
    changeReason: string,
  ): void {
    for (const index of [...this.#pending.keys()].filter(which)) {
      this.#settle(this.#pending, index, (pending) => pending.reject(proposalError(index)));
    }
    for (const index of [...this.#pendingChanges.keys()].filter(which)) {
      const unknown = new MembershipChangeError(this.id, changeReason, index);
      this.#settle(this.#pendingChanges, index, (pending) => pending.reject(unknown));
    }
  }

  /** The configuration an applied configuration entry holds (the one in force if it holds none). */
  #configAt(entry: AppliedEntry): ClusterConfig {
    return entry.config ?? this.membership();
  }

  #settle<Value>(
    waiting: Map<number, Pending<Value>>,
    index: number,
    settle: (pending: Pending<Value>) => void,
  ): void {
    const pending = waiting.get(index);
    if (pending === undefined) return;
    waiting.delete(index);
    this.#clock.clearTimeout(pending.timer);
    settle(pending);
  }

  #failAll(error: Error): void {
    for (const waiting of [this.#pending, this.#pendingChanges] as Map<number, Pending<never>>[]) {
      for (const index of [...waiting.keys()])
        this.#settle(waiting, index, (pending) => pending.reject(error));
    }
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

/** A change the single-server rules can judge: a known type and a member id (and a string address). */
function checkChange(change: ConfigChange): void {
  const types: readonly string[] = ['addVoter', 'addLearner', 'promote', 'remove'];
  if (typeof change !== 'object' || change === null || !types.includes(change.type)) {
    throw new ConfigError(`a membership change's type must be one of ${types.join(', ')}`);
  }
  if (typeof change.id !== 'string' || change.id.length === 0) {
    throw new ConfigError('a membership change needs the member id, a non-empty string');
  }
  if ('address' in change && change.address !== undefined && typeof change.address !== 'string') {
    throw new ConfigError(`the address of ${change.id} must be a string (its transport URL)`);
  }
}
