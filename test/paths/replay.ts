/**
 * Replays one generated path against the real machine (the production log, recording
 * effects) on a step clock, and checks every step against the reference model of the
 * path's setup (its features). A timeout fires the clock's timers in order until the one the
 * path names has fired: a follower's lease may lapse on the way (a step of its own, checked
 * like any other), any other timer is a failure; each fires when the model says. Reads
 * answered (`answerReads`) are checked like messages: each read's index, or its refusal, in
 * the step the model says.
 */
import type { AnyActorRef, AnyTransitionDefinition } from 'xstate';
import { createActor } from 'xstate';
import type { RaftContext, RaftFeatures, RaftMessage, ReadAnswer } from '../../machines/index.js';
import { ArrayRaftLog, raftMachine, roleOf } from '../../machines/index.js';
import { describeTakenTransition, transitionKey } from '../../src/inspect/chart-outline.js';
import type { PathEvent } from './alphabet.js';
import { LEADER_LEASE, PATH_TIMING } from './alphabet.js';
import { describeConfig } from './reference-membership.js';
import type { Answer } from './reference-reads.js';
import type { Expected, Model, Prediction, SentRequest } from './reference-model.js';
import { configOf, initialModel, lastIndex, nextTimer, step, timerDueAt } from './reference-model.js';

/** Virtual time between two steps: too short for any timer to fire unasked, long enough to tell when one was started. */
const GAP_MS = 1;

export interface ReplayResult {
  /** The first step (1-based) where the machine and the model disagree, and how; null if none. */
  readonly failure: { readonly step: number; readonly reason: string } | null;
  /** Keys (transitionKey) of every transition taken. */
  readonly transitions: ReadonlySet<string>;
  /** Every state node the actor was in, as paths like `leader.heartbeating`. */
  readonly states: ReadonlySet<string>;
}

/**
 * Virtual time for one actor, advanced only by the replay: the actor handles every event
 * synchronously, so a timer fires (and is handled) inside `fireNext`. No promise to settle,
 * which a path's thousands of replays would otherwise wait on.
 */
class StepClock {
  #now = 0;
  #next = 0;
  readonly #timers = new Map<number, { due: number; fire: () => void }>();

  now(): number {
    return this.#now;
  }
  setTimeout(fire: () => void, ms: number): number {
    this.#timers.set(++this.#next, { due: this.#now + ms, fire });
    return this.#next;
  }
  clearTimeout(id: number): void {
    this.#timers.delete(id);
  }
  nextDue(): number | undefined {
    let due: number | undefined;
    for (const timer of this.#timers.values()) if (due === undefined || timer.due < due) due = timer.due;
    return due;
  }
  /** Lets `ms` pass, refusing (false) if a timer falls due meanwhile. */
  pass(ms: number): boolean {
    const due = this.nextDue();
    if (due !== undefined && due <= this.#now + ms) return false;
    this.#now += ms;
    return true;
  }
  /** Fires the earliest timer (the first set, among those due together); false if none. */
  fireNext(): boolean {
    let first: [number, { due: number; fire: () => void }] | undefined;
    for (const entry of this.#timers) if (first === undefined || entry[1].due < first[1].due) first = entry;
    if (first === undefined) return false;
    this.#timers.delete(first[0]);
    this.#now = first[1].due;
    first[1].fire();
    return true;
  }
}

/** Transition keys by definition: the same definitions are taken in every replay. */
const keys = new WeakMap<AnyTransitionDefinition, string>();
function keyOf(t: AnyTransitionDefinition): string {
  let key = keys.get(t);
  if (key === undefined) keys.set(t, (key = transitionKey(describeTakenTransition(t))));
  return key;
}

/** Where the machine's effects go: the replay under way's lists. */
let sink: { sent: RaftMessage[]; answered: ReadAnswer[] } = { sent: [], answered: [] };

/**
 * Provided once: a machine built by `provide` resolves its transitions anew, which for this
 * chart cost more than the steps of a short path. The election timeout is the maximum, so
 * the lease (the minimum) lapses first.
 */
const machine = raftMachine.provide({
  actions: {
    send: (_, { messages }) => void sink.sent.push(...messages),
    persistLog: () => {},
    answerReads: (_, answer) => void sink.answered.push(answer),
  },
  delays: { electionTimeout: ({ context }) => context.timing.electionTimeoutMaxMs },
});

export async function replay(events: readonly PathEvent[], features: RaftFeatures): Promise<ReplayResult> {
  await Promise.resolve();
  const clock = new StepClock();
  const sent: RaftMessage[] = [];
  const answered: ReadAnswer[] = [];
  sink = { sent, answered };
  const errors: unknown[] = [];
  const transitions = new Set<string>();
  const states = new Set<string>();
  const received: string[] = [];
  // Inspection starts while the actor is being built; only events of this actor count.
  let root: AnyActorRef | undefined = undefined;
  const actor = createActor(machine, {
    clock,
    input: {
      id: 'a',
      peers: ['b', 'c'],
      timing: PATH_TIMING,
      features,
      noopOnElection: false,
      log: new ArrayRaftLog(),
    },
    inspect: (inspection) => {
      if (inspection.actorRef !== root) return;
      if (inspection.type === '@xstate.event') received.push(inspection.event.type);
      if (inspection.type === '@xstate.microstep') {
        for (const t of inspection._transitions) transitions.add(keyOf(t));
        addStates(states, (inspection.snapshot as unknown as { value: unknown }).value);
      }
    },
  });
  root = actor;
  actor.subscribe({ error: (error) => void errors.push(error) });
  actor.start();
  addStates(states, actor.getSnapshot().value);

  let model: Model = initialModel(features);
  /** Checks the step the actor just took (on `event`) against the model's; a failure's reason, or null. */
  const check = (event: PathEvent, before: number, answeredBefore: number): string | null => {
    const out = sent.slice(before);
    const prediction = step(model, event, clock.now(), out.filter(isRequest));
    model = prediction.model;
    if (errors.length > 0) return `the actor failed: ${String(errors[0])}`;
    return (
      compare(actor, model, out, prediction) ??
      compareAnswers(answered.slice(answeredBefore), prediction.answers)
    );
  };
  /** Fires the next timer; the reason it disagrees with the model, or null. `timer` is what fired. */
  const fire = (): { timer: string | undefined; reason: string | null } => {
    received.length = 0;
    const [before, answeredBefore] = [sent.length, answered.length];
    if (!clock.fireNext()) return { timer: undefined, reason: 'no timer is pending' };
    const timer = received[0];
    if (timer === undefined) return { timer, reason: 'a timer fired no event' };
    const due = timerDueAt(model, timer);
    if (clock.now() !== due) {
      return { timer, reason: `${timer} fired at t=${clock.now()}ms, the model says ${String(due)}` };
    }
    return { timer, reason: check({ type: timer as `xstate.after.${string}` }, before, answeredBefore) };
  };

  let failure: ReplayResult['failure'] = null;
  try {
    for (let i = 0; i < events.length && failure === null; i++) {
      const event = events[i]!;
      if (event.type.startsWith('xstate.after.')) {
        for (;;) {
          const { timer, reason } = fire();
          if (reason !== null) failure = { step: i + 1, reason };
          else if (timer !== event.type && timer !== LEADER_LEASE) {
            failure = {
              step: i + 1,
              reason: `expected the timer ${event.type} to fire, got ${String(timer)}`,
            };
          }
          if (failure !== null || timer === event.type) break;
        }
        continue;
      }
      if (!clock.pass(GAP_MS)) {
        failure = {
          step: i + 1,
          reason: `a timer was due before this step, at t=${String(clock.nextDue())}ms`,
        };
        break;
      }
      const [before, answeredBefore] = [sent.length, answered.length];
      actor.send(event as Exclude<PathEvent, { type: `xstate.after.${string}` }>);
      const reason = check(event, before, answeredBefore);
      if (reason !== null) failure = { step: i + 1, reason };
    }
    // Every path ends with the final state's own timer: a timer that was (or was not)
    // restarted along the path shows in which fires, and when.
    if (failure === null) {
      const expected = nextTimer(model);
      const { timer, reason } = fire();
      if (reason !== null || timer !== expected) {
        failure = {
          step: events.length + 1,
          reason: reason ?? `the final timer was ${String(timer)}, the model says ${expected}`,
        };
      }
    }
  } finally {
    actor.stop();
  }
  return { failure, transitions, states };
}

/** Every state node of `value`, as paths like `follower.waiting.leased`. */
function addStates(states: Set<string>, value: unknown, prefix = ''): void {
  if (typeof value === 'string') {
    states.add(prefix + value);
    return;
  }
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    states.add(prefix + key);
    addStates(states, child, `${prefix}${key}.`);
  }
}

type Actor = { getSnapshot(): { value: unknown; context: RaftContext } };

/** The node's requests carry its rpcIds; the model learns them from here. */
function isRequest(m: RaftMessage): m is RaftMessage & SentRequest {
  return 'rpcId' in m;
}

/** Where the reads the machine answered in a step differ from the model's, or null. */
function compareAnswers(actual: readonly ReadAnswer[], predicted: readonly Answer[]): string | null {
  const got = actual.flatMap((a) => a.ids.map((id) => `read ${id}: ${String(a.index)}`)).sort();
  const want = predicted.map((a) => `read ${a.id}: ${String(a.index)}`).sort();
  if (JSON.stringify(got) === JSON.stringify(want)) return null;
  return `answered reads [${got.join(', ')}], the model says [${want.join(', ')}]`;
}

/** Where the machine's state and messages differ from the model's prediction, or null. */
function compare(
  actor: Actor,
  model: Model,
  out: readonly RaftMessage[],
  prediction: Prediction,
): string | null {
  const expected = prediction.sent;
  const { value, context } = actor.getSnapshot();
  const role = roleOf(value);
  const actual = {
    role,
    leased: role === 'follower' && JSON.stringify(value).includes('"leased"'),
    term: context.currentTerm,
    votedFor: context.votedFor,
    leader: context.leaderId,
    lastIndex: context.log.lastIndex,
    commitIndex: context.commitIndex,
    config: describeConfig(context.config),
  };
  const predicted = {
    role: model.role,
    leased: model.role === 'follower' && model.leased,
    term: model.term,
    votedFor: model.votedFor,
    leader: model.leader,
    lastIndex: lastIndex(model),
    commitIndex: model.commitIndex,
    config: describeConfig(configOf(model)),
  };
  if (JSON.stringify(actual) !== JSON.stringify(predicted)) {
    return `state ${JSON.stringify(actual)}, the model says ${JSON.stringify(predicted)}`;
  }
  // The log itself: a rule that keeps, drops or overwrites the wrong entry can leave its length right.
  const { log } = context;
  const actualLog = describeLog(
    log.snapshotIndex,
    log.snapshotTerm,
    log.slice(log.snapshotIndex + 1, log.lastIndex),
  );
  const predictedLog = describeLog(model.snapshotIndex, model.snapshotTerm, model.entries);
  if (actualLog !== predictedLog) return `log ${actualLog}, the model says ${predictedLog}`;
  // Replies, RequestVotes, PreVotes, TimeoutNow and ReadIndex requests are fixed by the
  // rules: exactly these, nothing else.
  const fixed = (m: { type: string }) =>
    m.type.endsWith('Reply') ||
    m.type === 'RequestVote' ||
    m.type === 'PreVote' ||
    m.type === 'TimeoutNow' ||
    m.type === 'ReadIndex';
  const outFixed = out.filter(fixed).map(essentials).sort();
  const expectedFixed = expected.filter(fixed).map(essentials).sort();
  if (JSON.stringify(outFixed) !== JSON.stringify(expectedFixed)) {
    return `sent ${JSON.stringify(outFixed)}, the model says ${JSON.stringify(expectedFixed)}`;
  }
  // AppendEntries and InstallSnapshot: only a leader sends them, in its term; a heartbeat reaches every peer.
  const appends = out.filter((m) => m.type === 'AppendEntries' || m.type === 'InstallSnapshot');
  if (appends.some((m) => model.role !== 'leader' || m.term !== model.term)) {
    return `sent ${JSON.stringify(appends.map(essentials))} as a ${model.role} of term ${model.term}`;
  }
  for (const e of expected.filter((m) => m.type === 'AppendEntries')) {
    if (!appends.some((m) => m.to === e.to))
      return `no AppendEntries or InstallSnapshot to ${e.to} on a heartbeat`;
  }
  const empty = appends.filter((m) => m.type === 'AppendEntries' && m.entries.length === 0);
  if (prediction.entriesOnly && empty.length > 0) {
    return `sent empty AppendEntries to ${empty.map((m) => m.to).join(', ')} on a Flush that is no read round`;
  }
  return null;
}

/**
 * A log as a comparable string: the snapshot's boundary, then each entry's index, term and
 * command, and a configuration entry's members.
 */
function describeLog(
  snapshotIndex: number,
  snapshotTerm: number,
  entries: readonly { term: number; command: unknown; config?: Parameters<typeof describeConfig>[0] }[],
): string {
  const listed = entries.map(
    (e, i) =>
      `${snapshotIndex + 1 + i}:${e.term}:${String(e.command)}` +
      (e.config === undefined ? '' : `:${describeConfig(e.config)}`),
  );
  return `[snapshot ${snapshotIndex}/${snapshotTerm}${listed.map((e) => `, ${e}`).join('')}]`;
}

/** What the rules fix about a message, as a comparable string. */
function essentials(m: Expected | RaftMessage): string {
  const record = m as unknown as Record<string, unknown>;
  const fields = [
    'inReplyTo',
    'voteGranted',
    'success',
    'matchIndex',
    'lastLogIndex',
    'lastLogTerm',
    'readIndex',
    'transfer',
  ].filter((f) => f in record);
  return JSON.stringify([m.type, m.to, m.term, ...fields.map((f) => `${f}=${String(record[f])}`)]);
}

/** A path as a readable list, one numbered line per event, to replay it by hand. */
export function describePath(events: readonly PathEvent[]): string {
  return events.map((event, i) => `  ${String(i + 1).padStart(2)}. ${describeEvent(event)}`).join('\n');
}

function describeEvent(e: PathEvent): string {
  switch (e.type) {
    case 'RequestVote':
      return (
        `RequestVote from ${e.from}, term ${e.term}, last log ${e.lastLogIndex}/${e.lastLogTerm}` +
        (e.transfer === true ? ', transfer' : '')
      );
    case 'PreVote':
      return `PreVote from ${e.from}, term ${e.term}, last log ${e.lastLogIndex}/${e.lastLogTerm}`;
    case 'PreVoteReply':
      return `PreVoteReply from ${e.from}, term ${e.term}, ${e.voteGranted ? 'granted' : 'refused'}, to rpc ${e.inReplyTo}`;
    case 'TimeoutNow':
      return `TimeoutNow from ${e.from}, term ${e.term}`;
    case 'TransferLeadership':
      return `TransferLeadership to ${e.to}`;
    case 'ChangeConfig':
      return `ChangeConfig ${e.change.type} ${e.change.id}`;
    case 'RequestVoteReply':
      return `RequestVoteReply from ${e.from}, term ${e.term}, ${e.voteGranted ? 'granted' : 'refused'}`;
    case 'AppendEntries':
      return (
        `AppendEntries from ${e.from}, term ${e.term}, prev ${e.prevLogIndex}/${e.prevLogTerm}, ` +
        `entries of terms [${e.entries.map((x) => (x.config ? `${x.term} (${describeConfig(x.config)})` : x.term)).join(',')}], ` +
        `leaderCommit ${e.leaderCommit}`
      );
    case 'AppendEntriesReply':
      return e.success
        ? `AppendEntriesReply from ${e.from}, term ${e.term}, success, matchIndex ${e.matchIndex}, to rpc ${e.inReplyTo}`
        : `AppendEntriesReply from ${e.from}, term ${e.term}, refused${e.conflict ? `, conflict ${JSON.stringify(e.conflict)}` : ''}, to rpc ${e.inReplyTo}`;
    case 'InstallSnapshot':
      return `InstallSnapshot from ${e.from}, term ${e.term}, through ${e.lastIncludedIndex}/${e.lastIncludedTerm}`;
    case 'InstallSnapshotReply':
      return `InstallSnapshotReply from ${e.from}, term ${e.term}, matchIndex ${e.matchIndex}`;
    case 'Propose':
      return `Propose ${JSON.stringify(e.commands)}`;
    case 'LogPersisted':
      return `LogPersisted ${e.index}/${e.term}`;
    case 'Snapshot':
      return `Snapshot through ${e.index}`;
    case 'Flush':
      return 'Flush';
    case 'Read':
      return `Read ${JSON.stringify(e.ids)}`;
    case 'ReadIndex':
      return `ReadIndex from ${e.from}, term ${e.term}, rpc ${e.rpcId}`;
    case 'ReadIndexReply':
      return `ReadIndexReply from ${e.from}, term ${e.term}, to rpc ${e.inReplyTo}, readIndex ${String(e.readIndex)}`;
    default:
      return `timeout (${e.type.slice('xstate.after.'.length)})`;
  }
}
