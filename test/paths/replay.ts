/**
 * Replays one generated path against the real machine (the production log, recording
 * effects) on the simulated clock, and checks every step against the reference model.
 * Timeouts fire by advancing the clock to the one pending timer; the step then checks that
 * the timer that fired is the one the path names. Reads answered (`answerReads`) are
 * checked like messages: each read's index, or its refusal, in the step the model says.
 */
import { createActor } from 'xstate';
import type { RaftContext, RaftMessage, ReadAnswer } from '../../machines/index.js';
import { ArrayRaftLog, raftMachine, roleOf } from '../../machines/index.js';
import { describeTakenTransition, transitionKey } from '../../src/inspect/chart-outline.js';
import { SimClock } from '../../src/sim/sim-clock.js';
import { TEST_TIMING } from '../machines/machine-harness.js';
import type { PathEvent } from './alphabet.js';
import type { Answer } from './reference-reads.js';
import type { Expected, Model, Prediction, SentRequest } from './reference-model.js';
import { INITIAL_MODEL, lastIndex, step, timerDueAt } from './reference-model.js';

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

export async function replay(events: readonly PathEvent[]): Promise<ReplayResult> {
  const clock = new SimClock();
  const sent: RaftMessage[] = [];
  const answered: ReadAnswer[] = [];
  const errors: unknown[] = [];
  const transitions = new Set<string>();
  const states = new Set<string>();
  const received: string[] = [];
  const machine = raftMachine.provide({
    actions: {
      send: (_, { messages }) => void sent.push(...messages),
      persistLog: () => {},
      answerReads: (_, answer) => void answered.push(answer),
    },
  });
  // Inspection starts while the actor is being built; only events of this actor count.
  let root: unknown = undefined;
  const actor = createActor(machine, {
    clock,
    input: {
      id: 'a',
      peers: ['b', 'c'],
      timing: TEST_TIMING,
      noopOnElection: false,
      log: new ArrayRaftLog(),
    },
    inspect: (inspection) => {
      if (inspection.actorRef !== root) return;
      if (inspection.type === '@xstate.event') received.push(inspection.event.type);
      if (inspection.type === '@xstate.microstep') {
        for (const t of inspection._transitions) transitions.add(transitionKey(describeTakenTransition(t)));
        addStates(states, (inspection.snapshot as unknown as { value: unknown }).value);
      }
    },
  });
  root = actor;
  actor.subscribe({ error: (error) => void errors.push(error) });
  actor.start();
  addStates(states, actor.getSnapshot().value);

  let model: Model = INITIAL_MODEL;
  let failure: ReplayResult['failure'] = null;
  try {
    for (let i = 0; i < events.length && failure === null; i++) {
      const event = events[i]!;
      const before = sent.length;
      const answeredBefore = answered.length;
      received.length = 0;
      const timeout = event.type.startsWith('xstate.after.');
      if (timeout) {
        await clock.runToNextTimer();
      } else {
        await clock.runFor(GAP_MS);
        if (received.length > 0) {
          failure = { step: i + 1, reason: `a timer fired unasked before this step: ${received.join(', ')}` };
          break;
        }
        actor.send(event as Exclude<PathEvent, { type: `xstate.after.${string}` }>);
      }
      if (timeout && !received.includes(event.type)) {
        failure = {
          step: i + 1,
          reason: `expected the timer ${event.type} to fire, got ${received.join(', ')}`,
        };
        break;
      }
      if (timeout && clock.now() !== timerDueAt(model, TEST_TIMING)) {
        const due = timerDueAt(model, TEST_TIMING);
        failure = { step: i + 1, reason: `the timer fired at t=${clock.now()}ms, the model says t=${due}ms` };
        break;
      }
      const out = sent.slice(before);
      const prediction = step(model, event, clock.now(), out.filter(isRequest));
      model = prediction.model;
      const reason =
        errors.length > 0
          ? `the actor failed: ${String(errors[0])}`
          : (compare(actor, model, out, prediction) ??
            compareAnswers(answered.slice(answeredBefore), prediction.answers));
      if (reason !== null) failure = { step: i + 1, reason };
    }
    // Every path ends with the final state's own timer, fired by the clock: a timer that was
    // (or was not) restarted along the path shows in when it fires.
    if (failure === null) {
      received.length = 0;
      await clock.runToNextTimer();
      const due = timerDueAt(model, TEST_TIMING);
      if (clock.now() !== due) {
        failure = {
          step: events.length + 1,
          reason: `the final timer fired at t=${clock.now()}ms, the model says t=${due}ms`,
        };
      }
    }
  } finally {
    actor.stop();
  }
  return { failure, transitions, states };
}

function addStates(states: Set<string>, value: unknown): void {
  const role = roleOf(value);
  states.add(role);
  const leaf = (value as Record<string, unknown>)[role];
  if (typeof leaf === 'string') states.add(`${role}.${leaf}`);
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
  const actual = {
    role: roleOf(value),
    term: context.currentTerm,
    votedFor: context.votedFor,
    leader: context.leaderId,
    lastIndex: context.log.lastIndex,
    commitIndex: context.commitIndex,
  };
  const predicted = {
    role: model.role,
    term: model.term,
    votedFor: model.votedFor,
    leader: model.leader,
    lastIndex: lastIndex(model),
    commitIndex: model.commitIndex,
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
  // Replies, RequestVotes and ReadIndex requests are fixed by the rules: exactly these, nothing else.
  const fixed = (m: { type: string }) =>
    m.type.endsWith('Reply') || m.type === 'RequestVote' || m.type === 'ReadIndex';
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

/** A log as a comparable string: the snapshot's boundary, then each entry's index, term and command. */
function describeLog(
  snapshotIndex: number,
  snapshotTerm: number,
  entries: readonly { term: number; command: unknown }[],
): string {
  const listed = entries.map((e, i) => `${snapshotIndex + 1 + i}:${e.term}:${String(e.command)}`);
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
      return `RequestVote from ${e.from}, term ${e.term}, last log ${e.lastLogIndex}/${e.lastLogTerm}`;
    case 'RequestVoteReply':
      return `RequestVoteReply from ${e.from}, term ${e.term}, ${e.voteGranted ? 'granted' : 'refused'}`;
    case 'AppendEntries':
      return (
        `AppendEntries from ${e.from}, term ${e.term}, prev ${e.prevLogIndex}/${e.prevLogTerm}, ` +
        `entries of terms [${e.entries.map((x) => x.term).join(',')}], leaderCommit ${e.leaderCommit}`
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
