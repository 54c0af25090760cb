/**
 * The chart's transition as a pure function, like etcd's `RawNode.Step`: a state and an
 * event in, the next state and the step's effects out, as plain data. Nothing is sent,
 * written or scheduled; the caller does that (the node host does the same with an actor).
 *
 * Built on XState's `initialTransition` / `transition`, which resolve eventless (`always`)
 * transitions and raised events inside the step and return the actions instead of running
 * them; this module turns those actions into `Effect`s.
 */
import type { ExecutableActionObject, SnapshotFrom } from 'xstate';
import { initialTransition, transition } from 'xstate';
import type { HardState, RaftContext, RaftInput } from './context.js';
import type { NodeEvent } from './events.js';
import type { LogEdit } from './log-edit.js';
import type { RaftMessage } from './messages.js';
import type { ReadAnswer, ReadId } from './read-index.js';
import { raftMachine } from './raft-machine.js';
import type { Role } from './role.js';
import { roleOf } from './role.js';
import { PersistentRaftLog } from './step-log.js';
import type { RaftTiming } from './timing.js';
import { electionTimeoutMs } from './timing.js';

/** The chart's timers, by the name of the delay that drives them. */
export type TimerName = 'electionTimeout' | 'heartbeatInterval' | 'leaderLease';

export const TIMER_NAMES: readonly TimerName[] = ['electionTimeout', 'heartbeatInterval', 'leaderLease'];

/** What a timer carries: step the node with it when the timer fires. */
export interface TimerEvent {
  readonly type: `xstate.after.${string}`;
}

/** Anything a node can be stepped with: a message, a local event, or a timer that fired. */
export type StepEvent = NodeEvent | TimerEvent;

/** Hand these messages to the transport, once what they depend on is durable. */
export interface SendEffect {
  readonly type: 'send';
  readonly messages: readonly RaftMessage[];
}

/** Write this edit to the log; report the write with a `LogPersisted` event once durable. */
export interface PersistLogEffect {
  readonly type: 'persistLog';
  readonly edit: LogEdit;
}

/**
 * Start the timer `id` to fire in `delayMs`, replacing any pending timer with that id
 * (a state that is re-entered restarts its timer under the same id). When it fires, step
 * the node with `event`.
 */
export interface StartTimerEffect {
  readonly type: 'startTimer';
  readonly id: string;
  readonly timer: TimerName;
  readonly delayMs: number;
  readonly event: TimerEvent;
}

/** Cancel the pending timer `id`: its state was left, so it must not fire. */
export interface CancelTimerEffect {
  readonly type: 'cancelTimer';
  readonly id: string;
  readonly timer: TimerName;
}

/**
 * Where reads given in `Read` events ended: answer each once the state machine has applied
 * through `index`, or refuse it (null: no leadership was shown; retry, maybe elsewhere).
 */
export interface AnswerReadsEffect {
  readonly type: 'answerReads';
  readonly ids: readonly ReadId[];
  readonly index: number | null;
}

/** A change to the node's timers. */
export type TimerEffect = StartTimerEffect | CancelTimerEffect;

/** One thing the caller must do for a step; data only. */
export type Effect = SendEffect | PersistLogEffect | AnswerReadsEffect | TimerEffect;

/** The chart's snapshot: `value` is the state (such as `{ leader: 'heartbeating' }`). */
export type RaftSnapshot = SnapshotFrom<typeof raftMachine>;

/**
 * A node between steps. Never edited: every step returns a new state, and the old one
 * stays valid (its log is persistent), so a trace can be replayed or branched.
 */
export interface RaftState {
  readonly snapshot: RaftSnapshot;
  /** Read off the snapshot's value. */
  readonly role: Role;
  /** The snapshot's context: term, vote, log, commitIndex, progress... */
  readonly context: RaftContext;
  /** Timers started and neither fired nor cancelled yet, by id. */
  readonly timers: Readonly<Record<string, StartTimerEffect>>;
}

/**
 * A step's outcome: the next state and the effects, in the order the machine produced
 * them, with the same effects grouped by kind for convenience. Timer effects are net for
 * the step: a timer started and cancelled within it does not appear, and a restart appears
 * as one `startTimer`.
 */
export interface StepResult {
  readonly state: RaftState;
  readonly effects: readonly Effect[];
  /** Every `send` effect's messages, in order. */
  readonly messages: readonly RaftMessage[];
  /** Every `persistLog` effect's edit, in order; to be applied one after the other. */
  readonly logEdits: readonly LogEdit[];
  /** Every timer effect, in order. */
  readonly timers: readonly TimerEffect[];
  /** Every `answerReads` effect, in order. */
  readonly reads: readonly AnswerReadsEffect[];
  /**
   * The term and vote, when this step changed them (else null): make them durable, with
   * the step's log edits, before sending any of its messages (etcd's `Ready.HardState`).
   */
  readonly hardState: HardState | null;
}

/**
 * The delay of any election timer a step starts: a pre-drawn delay in ms (within the
 * timing's [min, max]), or a draw `(span) => uniform integer in [0, span]` whose result is
 * added to `electionTimeoutMinMs`, as the node host draws it from its random source.
 */
export type ElectionTimeoutSource = number | ((span: number) => number);

/** Per-step choices the machine leaves to its host. */
export interface StepOptions {
  /**
   * Defaults to `electionTimeoutMinMs`, the machine's deterministic default: fine for one
   * node, but a cluster needs timeouts that differ between nodes to elect a leader.
   */
  readonly electionTimeout?: ElectionTimeoutSource;
}

/**
 * Creates a node from its input (as `createActor(raftMachine, { input })` would) and
 * returns its first step: the initial state and the effects of entering it (the first
 * election timer). The input's log is copied into a persistent log, never edited.
 */
export function initialStep(input: RaftInput, options: StepOptions = {}): StepResult {
  const withLog = { ...input, log: PersistentRaftLog.from(input.log) };
  const [snapshot, actions] = withElectionTimeout(options.electionTimeout, () =>
    initialTransition(stepMachine, withLog),
  );
  return finish(snapshot, actions, {}, null);
}

/**
 * Steps a node with one event: a message from a peer, a local event (`Propose`, `Flush`,
 * `LogPersisted`, `Snapshot`, `Read`), or the `event` of a `startTimer` effect whose timer fired.
 * A timer event for a timer that is not pending (cancelled, or fired already) is ignored.
 * Throws what the machine throws (and a RangeError for an election timeout outside the
 * timing's bounds); `state` is unchanged either way.
 */
export function step(state: RaftState, event: StepEvent, options: StepOptions = {}): StepResult {
  let pending = state.timers;
  if (isTimerEvent(event)) {
    if (!(event.type in pending)) {
      return { state, effects: [], messages: [], logEdits: [], timers: [], reads: [], hardState: null };
    }
    // It fired: no longer pending, so the exit of its state has nothing to cancel.
    const { [event.type]: _fired, ...rest } = pending;
    pending = rest;
  }
  const [snapshot, actions] = withElectionTimeout(options.electionTimeout, () =>
    // The machine's events are NodeEvents; its `after` events are internal, and this is
    // how XState's own scheduler delivers them.
    transition(stepMachine, state.snapshot, event as NodeEvent),
  );
  return finish(snapshot, actions, pending, state.context);
}

/** Whether an event is a timer's (the `event` of a `startTimer` effect). */
export function isTimerEvent(event: StepEvent): event is TimerEvent {
  return event.type.startsWith(AFTER_PREFIX);
}

const AFTER_PREFIX = 'xstate.after.';

/**
 * The election timeout source of the step under way. XState reads a delay from the
 * machine the snapshot was made by, not from the call, so the step machine's delay reads
 * this slot; `transition` is synchronous, so it is set only for the duration of one call.
 */
let currentElectionTimeout: ElectionTimeoutSource | undefined;

const stepMachine = raftMachine.provide({
  delays: {
    electionTimeout: ({ context }) => drawElectionTimeout(context.timing, currentElectionTimeout),
  },
});

function withElectionTimeout<T>(source: ElectionTimeoutSource | undefined, run: () => T): T {
  const outer = currentElectionTimeout;
  currentElectionTimeout = source;
  try {
    return run();
  } finally {
    currentElectionTimeout = outer;
  }
}

function drawElectionTimeout(timing: RaftTiming, source: ElectionTimeoutSource | undefined): number {
  const { electionTimeoutMinMs: min, electionTimeoutMaxMs: max } = timing;
  const delay =
    source === undefined ? min : typeof source === 'number' ? source : electionTimeoutMs(timing, source);
  if (!(delay >= min && delay <= max)) {
    throw new RangeError(`election timeout ${delay} ms is outside the timing's [${min}, ${max}] ms`);
  }
  return delay;
}

/** Turns XState's actions into effects and folds the timer effects into the pending set. */
function finish(
  snapshot: RaftSnapshot,
  actions: readonly ExecutableActionObject[],
  pendingBefore: Readonly<Record<string, StartTimerEffect>>,
  before: HardState | null,
): StepResult {
  if (snapshot.status !== 'active') throw snapshot.error ?? new Error(`the machine is ${snapshot.status}`);
  const effects: Effect[] = [];
  const pending: Record<string, StartTimerEffect> = { ...pendingBefore };
  for (const action of actions) {
    const effect = toEffect(action);
    if (effect === null) continue;
    if (effect.type !== 'startTimer' && effect.type !== 'cancelTimer') {
      effects.push(effect);
      continue;
    }
    // Net per timer: only its last start or cancel in this step counts.
    const earlier = effects.findIndex((e) => 'id' in e && e.id === effect.id);
    if (earlier >= 0) effects.splice(earlier, 1);
    if (effect.type === 'startTimer') {
      pending[effect.id] = effect;
      effects.push(effect);
    } else {
      delete pending[effect.id];
      if (effect.id in pendingBefore) effects.push(effect);
    }
  }
  const state: RaftState = {
    snapshot,
    role: roleOf(snapshot.value),
    context: snapshot.context,
    timers: pending,
  };
  return {
    state,
    effects,
    messages: effects.flatMap((e) => (e.type === 'send' ? e.messages : [])),
    logEdits: effects.flatMap((e) => (e.type === 'persistLog' ? [e.edit] : [])),
    timers: effects.filter((e): e is TimerEffect => e.type === 'startTimer' || e.type === 'cancelTimer'),
    reads: effects.filter((e): e is AnswerReadsEffect => e.type === 'answerReads'),
    hardState: hardStateChange(before, snapshot.context),
  };
}

function hardStateChange(before: HardState | null, after: RaftContext): HardState | null {
  if (before === null) return null;
  if (before.currentTerm === after.currentTerm && before.votedFor === after.votedFor) return null;
  return { currentTerm: after.currentTerm, votedFor: after.votedFor };
}

/** One XState action as an effect; null for what the step already resolved (a raised event). */
function toEffect(action: ExecutableActionObject): Effect | null {
  switch (action.type) {
    case 'send': {
      const { messages } = action.params as { messages: readonly RaftMessage[] };
      return messages.length === 0 ? null : { type: 'send', messages };
    }
    case 'persistLog':
      return { type: 'persistLog', edit: action.params as LogEdit };
    case 'answerReads': {
      const { ids, index } = action.params as ReadAnswer;
      return { type: 'answerReads', ids, index };
    }
    case 'xstate.raise': {
      const { event, id, delay } = action.params as { event: { type: string }; id?: string; delay?: number };
      // Without a delay the event was raised: XState handled it within this step.
      if (delay === undefined) return null;
      const timerId = id ?? event.type;
      return {
        type: 'startTimer',
        id: timerId,
        timer: timerName(timerId),
        delayMs: delay,
        event: { type: event.type as TimerEvent['type'] },
      };
    }
    case 'xstate.cancel': {
      const { sendId } = action.params as { sendId: string };
      return { type: 'cancelTimer', id: sendId, timer: timerName(sendId) };
    }
    default:
      throw new Error(`step: the machine asked for "${action.type}", an effect the pure step does not know`);
  }
}

/** The delay's name in an `after` event id: `xstate.after.<delay>.<state id>`. */
function timerName(id: string): TimerName {
  const name = id.startsWith(AFTER_PREFIX) ? id.slice(AFTER_PREFIX.length).split('.')[0] : undefined;
  if ((TIMER_NAMES as readonly (string | undefined)[]).includes(name)) return name as TimerName;
  throw new Error(`step: timer "${id}" is not one of the chart's named timers`);
}
