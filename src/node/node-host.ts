/**
 * The node host: the imperative shell around one Raft actor, and the only host there is.
 * Simulated and real nodes differ only in the providers they are given.
 *
 * The ready loop: the actor's named actions (`send`, `persistLog`) record effects in the
 * host's outbox; the first effect of a turn queues one flush (at the end of the event loop's
 * turn on a real clock, `Clock.defer`; a microtask otherwise), which, outside the actor's
 * processing,
 *   0. delivers the turn's proposals as one Propose and its reads as one Read, and lets a
 *      leader add one AppendEntries per streaming follower for what the turn appended,
 *   1. hands hardState and log edits to storage as one write,
 *   2. sends each message once the storage write it depends on is durable,
 *   3. hands newly committed entries to the apply queue (which never holds up the flush),
 * and storage completions come back to the actor as LogPersisted events.
 */
import type {
  AnyEventObject,
  AnyTransitionDefinition,
  InspectionEvent,
  Observer,
  SnapshotFrom,
} from 'xstate';
import { createActor } from 'xstate';
import type {
  ClusterConfig,
  ConfigChange,
  HardState,
  LogEdit,
  NodeEvent,
  RaftContext,
  SnapshotRecord,
  NodeId,
  RaftMessage,
  ReadAnswer,
  ReadId,
  RaftFeatures,
  RaftTiming,
  ReplicationLimits,
  Role,
} from '../../machines/index.js';
import {
  ArrayRaftLog,
  DEFAULT_LIMITS,
  PRODUCTION_FEATURES,
  bestTransferTarget,
  bootstrapConfig,
  configChangeRefusal,
  transferRefusal,
  electionTimeoutMs,
  isRaftMessageType,
  mergeLogEdits,
  raftMachine,
  roleOf,
} from '../../machines/index.js';
import { Emitter } from '../emitter.js';
import { describeTakenTransition, transitionKey } from '../inspect/chart-outline.js';
import { NodeFailedError } from '../errors.js';
import { ApplyQueue } from './apply-queue.js';
import type {
  ApplySink,
  Clock,
  PersistedState,
  RandomSource,
  Storage,
  StorageBatch,
  Transport,
} from './providers.js';
import { DEFAULT_SNAPSHOT_CHUNK, SnapshotAssembler, chunkSnapshot } from './snapshot-chunks.js';
import type { PendingTimer, TimerKind } from './timer-tap.js';
import { TimerTap } from './timer-tap.js';
import {
  validateFeatures,
  validateMembership,
  validateReplication,
  validateSnapshotChunk,
  validateTiming,
} from './validate-options.js';

/** XState's inspection hook, in either of the forms `createActor` takes: a function or an observer. */
export type XStateInspect = ((inspection: InspectionEvent) => void) | Observer<InspectionEvent>;

export interface NodeHostOptions {
  readonly id: NodeId;
  /** A new cluster's other voters (its bootstrap configuration is id plus peers). */
  readonly peers: readonly NodeId[];
  /**
   * The bootstrap configuration instead of id plus peers; a node joining a running cluster
   * passes one with no members. The log's and snapshot's configurations take precedence.
   */
  readonly config?: ClusterConfig;
  /** Pre-vote and check-quorum (machines/context.ts); default both on (`PRODUCTION_FEATURES`). */
  readonly features?: Partial<RaftFeatures>;
  readonly timing: RaftTiming;
  readonly transport: Transport;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** Receives committed entries in order; by default they are dropped. */
  readonly applySink?: ApplySink;
  /** Bytes of snapshot data (as JSON text) per InstallSnapshot chunk on the wire; default 1 MiB. */
  readonly maxSnapshotChunk?: number;
  /** A new leader appends a no-op entry (command null) so earlier entries commit; default true. */
  readonly noopOnElection?: boolean;
  /** The leader's window per follower (entries per message, in flight, bytes per message). */
  readonly replication?: Partial<ReplicationLimits>;
  /** XState's inspection hook for the node's actor (e.g. @statelyai/inspect's `inspect`). */
  readonly inspect?: XStateInspect;
}

export interface NodeStatus {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: number;
  readonly votedFor: NodeId | null;
  readonly leaderId: NodeId | null;
  readonly commitIndex: number;
  /** The highest index handed to the application (queued for delivery). */
  readonly appliedIndex: number;
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  /**
   * Why the node failed and stopped, or null while it is healthy. A failed node leads no
   * one and knows no leader (`leaderId` null); `role` and `term` are where it stopped.
   */
  readonly failure: string | null;
}

/** What `submit` answers at once: where the command will sit if it is ever committed. */
export interface Submission {
  /** Index of the (last) command submitted; meaningful only when isLeader. */
  readonly index: number;
  readonly term: number;
  readonly isLeader: boolean;
  /** Not the leader: whom this node believes leads, if anyone (a hint for the client). */
  readonly leaderId: NodeId | null;
}

export interface RoleChange {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: number;
  readonly at: number;
}

/** A step: one event fully processed by the actor, and the status it left. */
export interface NodeStep {
  readonly event: AnyEventObject;
  readonly status: NodeStatus;
  /** The actor's context after the step; read it, never edit it. */
  readonly context: RaftContext;
  /** The chart's state value after the step, e.g. `{ leader: 'heartbeating' }`. */
  readonly value: unknown;
  /** The transitions taken, in order, each as its chart-outline line (`transitionKey`). */
  readonly transitions: readonly string[];
}

/**
 * One input of the node's statechart and what it did with it: enough to replay the node
 * through the pure machine and check that it does the same. `at` is the node's clock.
 */
export interface InputRecord {
  readonly at: number;
  /** A message, a local event, a timer's `xstate.after...` event, or `xstate.init` on start. */
  readonly event: AnyEventObject;
  /** The election timeout drawn during this step, if one was (the step's only random draw). */
  readonly electionTimeoutMs: number | null;
  readonly messages: readonly RaftMessage[];
  readonly edits: readonly LogEdit[];
}

/** An InputRecord while its step is under way: the draw and the outputs are still coming. */
type OpenRecord = Pick<InputRecord, 'at' | 'event'> & {
  electionTimeoutMs: number | null;
  readonly messages: RaftMessage[];
  readonly edits: LogEdit[];
};

/** What `transferLeadership` and `changeConfig` answer at once. */
export type LeaderRequestAnswer<T> =
  | ({ readonly ok: true } & T)
  | {
      readonly ok: false;
      readonly notLeader: boolean;
      readonly reason: string;
      readonly leaderId: NodeId | null;
    };

export interface NodeHostEvents {
  /** The configuration in force changed (an entry appended or truncated, or a snapshot installed). */
  config: [ClusterConfig];
  /** The leadership transfer this leader had under way ended without a new leader: it gave up. */
  transferAbandoned: [to: NodeId];
  /** The role or the term changed. */
  role: [RoleChange];
  /** Whom this node believes leads changed (null: no one known). */
  leader: [leaderId: NodeId | null, term: number];
  /** After every event the actor processed; listeners must not call into the node. */
  step: [NodeStep];
  /** A turn's log edit went to storage; `prevTerm` is the term of the entry before `edit.from`. */
  logWritten: [edit: LogEdit, prevTerm: number];
  /** A snapshot (taken here or installed) went to storage. */
  snapshotWritten: [SnapshotRecord];
  /** A message left for the transport (after what it depends on became durable). */
  sent: [RaftMessage];
  /** A message addressed to this node arrived (a whole snapshot once reassembled). */
  received: [RaftMessage];
  /** The actor failed; the node has stopped. */
  error: [NodeFailedError];
  /** One of the chart's timers was set (its deadline on the node's clock) or ended (null). */
  timer: [kind: TimerKind, deadline: number | null];
  /** Every input of the statechart, with its outputs, while someone listens (a recorder). */
  input: [InputRecord];
}

interface QueuedMessage {
  readonly message: RaftMessage;
  /** The storage write that must be durable before the message may leave. */
  readonly afterWrite: number;
}

const NO_WRITE = 0;

/** The default application: committed entries and snapshots go nowhere. */
const DROP: ApplySink = { apply: () => {}, restore: () => {} };

export class NodeHost extends Emitter<NodeHostEvents> {
  readonly id: NodeId;
  readonly #options: NodeHostOptions;
  readonly #actor;
  #started = false;
  #stopped = false;
  #failure: NodeFailedError | null = null;
  #lastEvent: AnyEventObject = { type: '(start)' };
  #lastRole: Role = 'follower';
  #lastTerm: number;
  #lastLeader: NodeId | null = null;
  #lastConfig: ClusterConfig;
  #lastTransfer: NodeId | null = null;

  // The ready loop's state.
  #flushQueued = false;
  #flushing = false;
  #outbox: RaftMessage[] = [];
  #pendingEdit: LogEdit | null = null;
  #writtenHardState: HardState;
  #writtenSnapshot: SnapshotRecord | null;
  #issuedWrite = NO_WRITE;
  #durableWrite = NO_WRITE;
  #hardStateWrite = NO_WRITE;
  #waiting: QueuedMessage[] = [];
  /** Proposals made this turn, delivered as one `Propose` event when the turn ends. */
  #proposals: unknown[] = [];
  #proposalAnswers: ((submission: Submission) => void)[] = [];
  /** XState's inspection, while `step` or `input` listeners need it (and no `inspect` hook has it anyway). */
  #watching: { unsubscribe(): void } | null = null;
  /** Reads asked for this turn, delivered as one `Read` event when the turn ends. */
  #readQueue: ReadId[] = [];
  #nextReadId = 1;
  readonly #readAnswers = new Map<ReadId, (index: number | null) => void>();
  readonly #snapshots = new SnapshotAssembler();
  readonly #applyQueue: ApplyQueue;
  readonly #timers: TimerTap;
  readonly #recovered: PersistedState;
  #recording: OpenRecord | null = null;
  /**
   * The transitions the step under way took (XState's microsteps), while someone watches
   * steps; kept as XState's definitions and named only when a listener reads them.
   */
  #taken: AnyTransitionDefinition[] = [];

  /** Loads the node's persisted state and builds its actor; `start()` sets it running. */
  static async create(options: NodeHostOptions): Promise<NodeHost> {
    validateMembership(options.id, options.peers);
    validateTiming(options.timing);
    validateSnapshotChunk(options.maxSnapshotChunk);
    validateReplication(options.replication);
    validateFeatures(options.features);
    return new NodeHost(options, await options.storage.load());
  }

  private constructor(options: NodeHostOptions, persisted: PersistedState) {
    super();
    const { hardState, snapshot } = persisted;
    const log = new ArrayRaftLog(persisted.entries, snapshot);
    this.id = options.id;
    this.#options = options;
    this.#writtenHardState = hardState;
    this.#writtenSnapshot = snapshot ?? null;
    this.#lastTerm = hardState.currentTerm;
    this.#lastConfig = options.config ?? bootstrapConfig(options.id, options.peers);
    // A restarted node hands the application its snapshot first, then applies the
    // committed entries after it again, as the leader's commit index reaches them.
    this.#applyQueue = new ApplyQueue(options.applySink ?? DROP, 0, (error) => this.#fail(error));
    if (snapshot !== undefined) this.#applyQueue.pushSnapshot(snapshot);
    this.#recovered = persisted;
    this.#timers = new TimerTap(
      options.clock,
      (kind, deadline) => this.emit('timer', kind, deadline),
      (fire) => this.#fireTimer(fire),
    );
    const { random } = options;
    const machine = raftMachine.provide({
      actions: {
        send: (_, { messages }) => this.#record(messages),
        persistLog: (_, edit) => this.#recordEdit(edit),
        answerReads: (_, answer) => this.#answerReads(answer),
      },
      delays: {
        electionTimeout: ({ context }) => {
          this.#timers.expect('electionTimeout');
          const ms = electionTimeoutMs(context.timing, (span) => random.int(span));
          if (this.#recording !== null) this.#recording.electionTimeoutMs = ms;
          return ms;
        },
        heartbeatInterval: ({ context }) => {
          this.#timers.expect('heartbeatInterval');
          return context.timing.heartbeatIntervalMs;
        },
        leaderLease: ({ context }) => {
          this.#timers.expect('leaderLease');
          return context.timing.electionTimeoutMinMs;
        },
      },
    });
    this.#actor = createActor(machine, {
      input: {
        id: options.id,
        peers: options.peers,
        ...(options.config === undefined ? {} : { config: options.config }),
        features: { ...PRODUCTION_FEATURES, ...options.features },
        timing: options.timing,
        hardState,
        log,
        ...(options.noopOnElection === undefined ? {} : { noopOnElection: options.noopOnElection }),
        ...(options.replication === undefined
          ? {}
          : { limits: { ...DEFAULT_LIMITS, ...options.replication } }),
        ...(snapshot === undefined ? {} : { snapshot }),
      },
      clock: this.#timers,
      // XState's inspection costs work on every event: the actor is inspected only while
      // someone asks to (this hook, `step` or `input` listeners, a timer firing).
      ...(options.inspect === undefined
        ? {}
        : {
            inspect: (inspection: InspectionEvent) => {
              this.#noteEvent(inspection);
              const { inspect } = options;
              if (typeof inspect === 'function') inspect(inspection);
              else inspect?.next?.(inspection);
            },
          }),
    });
    this.#actor.subscribe({
      next: (state) => this.#afterStep(state),
      error: (error) => this.#fail(error),
    });
    this.#lastConfig = this.#actor.getSnapshot().context.config;
  }

  start(): void {
    if (this.#started) throw new Error(`node ${this.id} was already started`);
    this.#started = true;
    this.#options.transport.listen((message) => this.receive(message));
    this.#actor.start();
  }

  /** Stops the node for good: timers cancelled, nothing more sent, written or delivered. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#actor.stop();
    this.#applyQueue.stop();
    this.#options.transport.close();
    this.#outbox = [];
    this.#waiting = [];
    this.#readQueue = [];
    this.#readAnswers.clear();
    this.#answerProposals(null);
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** The failure that stopped the node, or null. */
  get failure(): NodeFailedError | null {
    return this.#failure;
  }

  /** Hands an inbound message to the actor; only RaftMessages addressed to this node pass. */
  receive(message: RaftMessage): void {
    if (this.#stopped || !this.#started) return;
    if (message.to !== this.id || !isRaftMessageType(message.type)) return;
    const whole = message.type === 'InstallSnapshot' ? this.#snapshots.accept(message) : message;
    if (whole === null) return;
    this.emit('received', whole);
    this.#deliver(whole);
  }

  /**
   * Appends commands to the log if this node leads, and answers at once: the index the last
   * command will have if it is committed, the term, and whether this node is the leader.
   * All commands of one call are one batch: one event, one edit. The caller checks them.
   */
  submit(commands: readonly unknown[]): Submission {
    if (this.#stopped || !this.#started || commands.length === 0 || !this.#takesProposals()) {
      return this.#notLeading();
    }
    this.#deliver({ type: 'Propose', commands });
    const after = this.status();
    return { index: after.lastLogIndex, term: after.term, isLeader: true, leaderId: this.id };
  }

  /**
   * Queues a command for this turn's `Propose` (one event and one log edit for all the
   * turn's proposals), and calls `answer` when the turn ends with where it went, as
   * `submit` answers (not the leader then, or stopped: isLeader false).
   */
  propose(command: unknown, answer: (submission: Submission) => void): void {
    if (this.#stopped || !this.#started) {
      answer(this.#notLeading());
      return;
    }
    this.#proposals.push(command);
    this.#proposalAnswers.push(answer);
    this.#queueFlush();
  }

  /** Delivers the turn's proposals as one Propose (if this node leads) and answers each. */
  #deliverProposals(): void {
    const commands = this.#proposals;
    if (commands.length === 0) return;
    this.#proposals = [];
    if (!this.#takesProposals()) return this.#answerProposals(null);
    const before = this.#actor.getSnapshot().context.log.lastIndex;
    this.#deliver({ type: 'Propose', commands });
    const { log, currentTerm } = this.#actor.getSnapshot().context;
    const appended = log.lastIndex === before + commands.length;
    this.#answerProposals(appended ? { first: before + 1, term: currentTerm } : null);
  }

  /** Answers the queued proposals: appended from index `first` in `term`, or not (null). */
  #answerProposals(appended: { first: number; term: number } | null): void {
    const answers = this.#proposalAnswers;
    this.#proposalAnswers = [];
    this.#proposals = [];
    if (answers.length === 0) return;
    const refusal = appended === null ? this.#notLeading() : null;
    answers.forEach((answer, i) =>
      answer(
        refusal ?? { index: appended!.first + i, term: appended!.term, isLeader: true, leaderId: this.id },
      ),
    );
  }

  /** A leader takes proposals, except while it hands its leadership over. */
  #takesProposals(): boolean {
    return this.#lastRole === 'leader' && this.#actor.getSnapshot().context.transfer === null;
  }

  /** Not taking proposals: during a transfer, its target is the hint (it is about to lead). */
  #notLeading(): Submission {
    const { lastLogIndex, term, leaderId } = this.status();
    const transfer = this.#stopped ? null : this.#actor.getSnapshot().context.transfer;
    return { index: lastLogIndex, term, isLeader: false, leaderId: transfer?.to ?? leaderId };
  }

  /**
   * Leadership transfer (thesis 3.10): this leader brings `to` (or, for null, its most up to
   * date voter) up to date and tells it to campaign; proposals are refused meanwhile. The
   * answer says whether it started; the `leader` event tells who leads after, and
   * `transferAbandoned` that it gave up (an election timeout without a new leader).
   */
  transferLeadership(to: NodeId | null): LeaderRequestAnswer<{ readonly to: NodeId }> {
    const refusal = this.#leaderRefusal();
    if (refusal !== null) return refusal;
    const context = this.#actor.getSnapshot().context;
    const target = to ?? bestTransferTarget(context);
    const reason =
      target === null ? 'there is no other voter to hand over to' : transferRefusal(context, target);
    if (reason !== null || target === null) return this.#refused(reason ?? '', false);
    this.#deliver({ type: 'TransferLeadership', to: target });
    return { ok: true, to: target };
  }

  /**
   * A membership change (machines/membership.ts), appended as a configuration entry if this
   * node leads and the single-server rules allow it now; the answer says where it went.
   */
  changeConfig(change: ConfigChange): LeaderRequestAnswer<{ readonly index: number; readonly term: number }> {
    const refusal = this.#leaderRefusal();
    if (refusal !== null) return refusal;
    const reason = configChangeRefusal(this.#actor.getSnapshot().context, change);
    if (reason !== null) return this.#refused(reason, false);
    this.#deliver({ type: 'ChangeConfig', change });
    const { configIndex, currentTerm } = this.#actor.getSnapshot().context;
    return { ok: true, index: configIndex, term: currentTerm };
  }

  /** The configuration in force (the latest in the log, committed or not). */
  config(): ClusterConfig {
    return this.#actor.getSnapshot().context.config;
  }

  #leaderRefusal(): LeaderRequestAnswer<never> | null {
    if (this.#stopped || !this.#started || this.#lastRole !== 'leader') {
      return this.#refused(`node ${this.id} is not the leader`, true);
    }
    const { transfer } = this.#actor.getSnapshot().context;
    return transfer === null ? null : this.#refused(`a transfer to ${transfer.to} is under way`, false);
  }

  #refused(reason: string, notLeader: boolean): LeaderRequestAnswer<never> {
    return { ok: false, notLeader, reason, leaderId: this.#notLeading().leaderId };
  }

  /**
   * Asks for a read index (ReadIndex): `answer` gets it once the leader confirmed it still
   * leads (the caller then waits until it has applied that far), or null if no leader could
   * confirm it. Reads asked in one turn share one round. Returns an id for `cancelRead`.
   */
  read(answer: (index: number | null) => void): ReadId {
    const id = this.#nextReadId++;
    if (this.#stopped || !this.#started) {
      answer(null);
      return id;
    }
    this.#readAnswers.set(id, answer);
    this.#readQueue.push(id);
    this.#queueFlush();
    return id;
  }

  /** The caller gave up on a read (it timed out): its answer is dropped. */
  cancelRead(id: ReadId): void {
    this.#readAnswers.delete(id);
  }

  #answerReads({ ids, index }: ReadAnswer): void {
    for (const id of ids) {
      const answer = this.#readAnswers.get(id);
      if (answer === undefined) continue;
      this.#readAnswers.delete(id);
      answer(index);
    }
  }

  status(): NodeStatus {
    const { context, value } = this.#actor.getSnapshot();
    return {
      id: this.id,
      role: roleOf(value),
      term: context.currentTerm,
      votedFor: context.votedFor,
      // A stopped node must not send clients to itself (or to whom it last followed).
      leaderId: this.#stopped ? null : context.leaderId,
      commitIndex: context.commitIndex,
      appliedIndex: this.#applyQueue.lastQueued,
      lastLogIndex: context.log.lastIndex,
      lastLogTerm: context.log.lastTerm,
      failure: this.#failure?.message ?? null,
    };
  }

  /**
   * The application's snapshot of its state through `index` (an index it has applied): the
   * node discards its log through there, persisting snapshot and log together. A snapshot
   * at or below the current one, or past what is committed, is ignored. Returns whether the
   * node now holds a snapshot at `index`.
   */
  saveSnapshot(index: number, data: string): boolean {
    if (this.#stopped || !this.#started) return false;
    if (!Number.isSafeInteger(index) || index < 1) {
      throw new RangeError(`saveSnapshot: index must be a positive integer, got ${index}`);
    }
    this.#deliver({ type: 'Snapshot', index, data });
    return this.#actor.getSnapshot().context.snapshot?.index === index;
  }

  /** The actor's state, for inspection and tests; never edit what it returns. */
  actorSnapshot() {
    return this.#actor.getSnapshot();
  }

  #deliver(event: NodeEvent): void {
    this.#lastEvent = event;
    this.#timers.forgetExpected();
    this.#actor.send(event);
  }

  protected override listenersChanged(event: keyof NodeHostEvents): void {
    if (event !== 'step' && event !== 'input') return;
    if (this.#options.inspect !== undefined) return; // its hook notes every event already
    const needed = this.listenerCount('step') > 0 || this.listenerCount('input') > 0;
    if (needed && this.#watching === null) {
      this.#watching = this.#actor.system.inspect((inspection) => this.#noteEvent(inspection));
    } else if (!needed && this.#watching !== null) {
      this.#watching.unsubscribe();
      this.#watching = null;
    }
  }

  /**
   * A timer's event never passes through `#deliver`: it is noted by inspecting the actor
   * just while the timer's step runs (XState delivers it synchronously), unless inspected anyway.
   */
  #fireTimer(fire: () => void): void {
    this.#timers.forgetExpected();
    if (this.#watching !== null || this.#options.inspect !== undefined) return fire();
    const watch = this.#actor.system.inspect((inspection) => this.#noteEvent(inspection));
    try {
      fire();
    } finally {
      watch.unsubscribe();
    }
  }

  /** What storage held when the node was created: where a recording starts. */
  get recovered(): PersistedState {
    return this.#recovered;
  }

  /** The chart's timers now pending, with their deadlines on the node's clock. */
  pendingTimers(): PendingTimer[] {
    return this.#timers.pending();
  }

  /** A simulator moved a pending timer on its clock (to fire it early, or align it). */
  timerMoved(handle: unknown, deadline: number): void {
    this.#timers.moved(handle, deadline);
  }

  /** Recorded on arrival, so a failure and the step feed can name the event that caused it. */
  #noteEvent(inspection: InspectionEvent): void {
    if (inspection.actorRef !== this.#actor) return;
    if (inspection.type === '@xstate.microstep') {
      if (this.listenerCount('step') > 0) {
        this.#taken.push(...inspection._transitions);
      }
      return;
    }
    if (inspection.type !== '@xstate.event') return;
    const { event } = inspection;
    this.#lastEvent = event;
    this.#taken = [];
    // Inputs come from outside (send) or from a timer; a raised event is the step's own work.
    const input = inspection.sourceRef === undefined || event.type.startsWith('xstate.after.');
    if (input && this.listenerCount('input') > 0) {
      const at = this.#options.clock.now();
      this.#recording = { at, event, electionTimeoutMs: null, messages: [], edits: [] };
    }
  }

  /** After every event the actor processed (its subscription), outside the actor's processing. */
  #afterStep(state: SnapshotFrom<typeof raftMachine>): void {
    if (state.status !== 'active') return;
    const { context } = state;
    // Some steps change state without an effect: a commit that advanced (for the apply
    // queue) or a snapshot taken (for storage). The flush picks them up.
    if (
      context.commitIndex > this.#applyQueue.lastQueued ||
      context.snapshot !== this.#writtenSnapshot ||
      context.reads.roundDue
    ) {
      this.#queueFlush();
    }
    const role = roleOf(state.value);
    if (role !== this.#lastRole || context.currentTerm !== this.#lastTerm) {
      this.#lastRole = role;
      this.#lastTerm = context.currentTerm;
      this.emit('role', { id: this.id, role, term: context.currentTerm, at: this.#options.clock.now() });
    }
    if (context.leaderId !== this.#lastLeader) {
      this.#lastLeader = context.leaderId;
      this.emit('leader', context.leaderId, context.currentTerm);
    }
    if (context.config !== this.#lastConfig) {
      this.#lastConfig = context.config;
      this.emit('config', context.config);
    }
    const transferTo = context.transfer?.to ?? null;
    if (transferTo !== this.#lastTransfer) {
      const ended = this.#lastTransfer;
      this.#lastTransfer = transferTo;
      if (ended !== null && role === 'leader') this.emit('transferAbandoned', ended);
    }
    if (this.listenerCount('step') > 0) {
      const taken = this.#taken;
      let names: readonly string[] | undefined;
      this.emit('step', {
        event: this.#lastEvent,
        status: this.status(),
        context,
        value: state.value,
        // Named on first read: the node's own listeners (leader tracking, the invariant
        // checker) never read it, so every step does not build strings nobody looks at.
        get transitions() {
          return (names ??= taken.map((t) => transitionKey(describeTakenTransition(t))));
        },
      });
    }
    const record = this.#recording;
    if (record !== null) {
      this.#recording = null;
      this.emit('input', record);
    }
  }

  #fail(error: unknown): void {
    if (this.#failure !== null) return; // the first failure is the one to report
    const failure = new NodeFailedError(this.id, describeEvent(this.#lastEvent), error);
    this.#failure = failure;
    this.stop();
    this.emit('error', failure);
  }

  // --- the ready loop ---

  #record(messages: readonly RaftMessage[]): void {
    this.#recording?.messages.push(...messages);
    for (const message of messages) this.#outbox.push(message);
    this.#queueFlush();
  }

  #recordEdit(edit: LogEdit): void {
    this.#recording?.edits.push(edit);
    this.#pendingEdit = this.#pendingEdit === null ? edit : mergeLogEdits(this.#pendingEdit, edit);
    this.#queueFlush();
  }

  #queueFlush(): void {
    if (this.#flushQueued || this.#flushing) return;
    this.#flushQueued = true;
    const defer = this.#options.clock.defer;
    if (defer === undefined) queueMicrotask(() => this.#flush());
    else defer.call(this.#options.clock, () => this.#flush());
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#stopped) return;
    // A provider that throws (instead of rejecting) fails the node, never the process.
    try {
      this.#flushTurn();
    } catch (error) {
      this.#fail(error);
    }
  }

  #flushTurn(): void {
    // 0. The turn's proposals and reads, each as one batch; then a leader sends, once per
    // turn, what the turn appended and the round its reads need (their effects join this flush).
    if (this.#proposals.length > 0 || this.#readQueue.length > 0 || this.#lastRole === 'leader') {
      const ids = this.#readQueue;
      this.#readQueue = [];
      this.#flushing = true;
      try {
        this.#deliverProposals();
        if (this.#stopped) return;
        if (ids.length > 0) this.#deliver({ type: 'Read', ids });
        if (this.#lastRole === 'leader') this.#deliver({ type: 'Flush' });
      } finally {
        this.#flushing = false;
      }
      if (this.#stopped) return;
    }
    const { currentTerm, votedFor, commitIndex, log, snapshot } = this.#actor.getSnapshot().context;
    const hardStateChanged =
      currentTerm !== this.#writtenHardState.currentTerm || votedFor !== this.#writtenHardState.votedFor;
    const newSnapshot = snapshot !== this.#writtenSnapshot ? snapshot : null;
    // 1. One write for the turn. A new snapshot rewrites the log: it becomes the base, and
    // what follows it the whole tail.
    const edit =
      newSnapshot !== null
        ? { from: newSnapshot.index + 1, entries: log.slice(newSnapshot.index + 1, log.lastIndex) }
        : this.#pendingEdit;
    this.#pendingEdit = null;
    if (hardStateChanged || edit !== null) {
      const write = ++this.#issuedWrite;
      const hardState = { currentTerm, votedFor };
      if (hardStateChanged) {
        this.#writtenHardState = hardState;
        this.#hardStateWrite = write;
      }
      if (newSnapshot !== null) {
        this.#writtenSnapshot = newSnapshot;
        this.emit('snapshotWritten', newSnapshot);
      }
      if (edit !== null) this.emit('logWritten', edit, log.termAt(edit.from - 1) ?? 0);
      const batch: StorageBatch = {
        ...(hardStateChanged ? { hardState } : {}),
        ...(newSnapshot !== null ? { snapshot: newSnapshot } : {}),
        ...(edit !== null ? { log: edit } : {}),
      };
      const written = edit === null ? null : { index: log.lastIndex, term: log.lastTerm };
      this.#options.storage
        .write(batch)
        .then(() => this.#onDurable(write, written))
        .catch((error: unknown) => this.#fail(error));
    }
    // 2. Messages leave once the write they depend on is durable.
    const outbox = this.#outbox;
    this.#outbox = [];
    for (const message of outbox) {
      // Everything waits for this turn's write, except the leader's AppendEntries, which
      // may go before its own append is durable when the term and vote did not change.
      const afterWrite = message.type === 'AppendEntries' ? this.#hardStateWrite : this.#issuedWrite;
      if (afterWrite <= this.#durableWrite) this.#transmit(message);
      else this.#waiting.push({ message, afterWrite });
    }
    // 3. Committed entries to the application; an installed snapshot ahead of those it covers.
    if (snapshot !== null && snapshot.index > this.#applyQueue.lastQueued)
      this.#applyQueue.pushSnapshot(snapshot);
    const applied = this.#applyQueue.lastQueued;
    if (commitIndex > applied) this.#applyQueue.push(applied + 1, log.slice(applied + 1, commitIndex));
  }

  #transmit(message: RaftMessage): void {
    const maxChunk = this.#options.maxSnapshotChunk ?? DEFAULT_SNAPSHOT_CHUNK;
    for (const part of message.type === 'InstallSnapshot' ? chunkSnapshot(message, maxChunk) : [message]) {
      this.emit('sent', part);
      this.#options.transport.send(part);
    }
  }

  #onDurable(write: number, written: { index: number; term: number } | null): void {
    if (this.#stopped) return;
    this.#durableWrite = write;
    const stillWaiting: QueuedMessage[] = [];
    for (const queued of this.#waiting) {
      if (queued.afterWrite <= write) this.#transmit(queued.message);
      else stillWaiting.push(queued);
    }
    this.#waiting = stillWaiting;
    if (written !== null) this.#deliver({ type: 'LogPersisted', index: written.index, term: written.term });
  }
}

function describeEvent(event: AnyEventObject): string {
  const from = 'from' in event ? ` from ${String(event.from)}` : '';
  const term = 'term' in event ? ` (term ${String(event.term)})` : '';
  return `${event.type}${from}${term}`;
}
