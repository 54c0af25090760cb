/**
 * Recordings as a cluster source: each file is replayed through the pure machine and its
 * steps become the inspection feed the page draws (nodeUp, step, timer and message events),
 * merged across files in time order. The page gets the whole history on subscribe and
 * scrubs it, forwards and backwards; there is nothing to control and no clock to drive.
 *
 * What a recording does not hold is inferred or left out: a message is `delivered` when the
 * receiver's recording shows it arriving (and `dropped` when that recording, present, never
 * does), `appliedIndex` is the commit index (the node hands committed entries on at once),
 * and a section's end is its node going down. Browser-safe.
 */
import type { NodeId, RaftMessage } from '../../machines/index.js';
import { TIMER_NAMES, isRaftMessageType, isTimerEvent } from '../../machines/index.js';
import type { StepEvent, TimerName } from '../../machines/index.js';
import { ConfigError } from '../errors.js';
import type { ClusterSource } from './cluster-source.js';
import type { InspectEvent, InspectListener } from './inspect-event.js';
import { summarize } from './node-summary.js';
import type { RecordingHeader, RecordingSection } from './recording.js';
import { parseRecording } from './recording.js';
import type { ReplayResult, ReplayStep } from './replay.js';
import { describeDivergence, replayRecording } from './replay.js';

export interface RecordingFileText {
  readonly name: string;
  readonly text: string;
}

/** A recording source also says how each file replayed. */
export interface RecordingSource extends ClusterSource {
  readonly kind: 'recording';
  readonly replays: readonly ReplayResult[];
  /** Every event, in order: what a subscriber is handed. */
  readonly events: readonly InspectEvent[];
}

/**
 * How far apart two processes' clocks may be once lined up by their headers' timeOrigin:
 * a message may seem to arrive this much before it was sent.
 */
const PROCESS_SKEW_MS = 100;

/**
 * Opens recordings of several nodes (one file per node) as one cluster. Throws
 * RecordingParseError for a file that is not a valid recording, and ConfigError for two
 * files of the same node.
 */
export function openRecordings(files: readonly RecordingFileText[]): RecordingSource {
  const recordings = files.map((file) => parseRecording(file.text, file.name));
  const byNode = new Map<NodeId, string>();
  for (const recording of recordings) {
    const other = byNode.get(recording.node);
    if (other !== undefined) {
      throw new ConfigError(
        `${other} and ${recording.name} both record node ${recording.node}: open one file per node`,
      );
    }
    byNode.set(recording.node, recording.name);
  }
  const replays = recordings.map((recording) => replayRecording(recording));
  const clock = alignClocks(recordings.flatMap((r) => r.sections));
  const events = feed(replays, clock);
  const ids = new Set<NodeId>();
  for (const recording of recordings) {
    ids.add(recording.node);
    for (const section of recording.sections) for (const peer of section.header.peers) ids.add(peer);
  }
  return {
    kind: 'recording',
    label: files.map((file) => file.name).join(', '),
    ids: [...ids].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })),
    replays,
    events,
    subscribe(listener: InspectListener) {
      let subscribed = true;
      for (const event of events) {
        if (!subscribed) break;
        listener(event);
      }
      return () => {
        subscribed = false;
      };
    },
    controls: {},
    time: null,
    close: () => Promise.resolve(),
  };
}

/** Maps a section's `at` (its header says whose clock) to the source's time. */
type Clock = (header: RecordingHeader, at: number) => number;

/**
 * Sections of real processes (each with a timeOrigin) line up on the wall clock, the
 * earliest input at 0; otherwise (a simulation's shared virtual clock) `at` is kept.
 */
function alignClocks(sections: readonly RecordingSection[]): Clock {
  if (sections.length === 0 || !sections.every((s) => s.header.timeOrigin !== undefined))
    return (_, at) => at;
  const base = Math.min(...sections.map((s) => s.header.timeOrigin! + (s.inputs[0]?.at ?? 0)));
  return (header, at) => header.timeOrigin! + at - base;
}

interface Sent {
  readonly id: string;
  readonly at: number;
  readonly message: RaftMessage;
  delivered: number | null;
}

interface Received {
  readonly at: number;
  sent: Sent | null;
}

/** Every replayed step as inspection events, merged across files by time (stable). */
function feed(replays: readonly ReplayResult[], clock: Clock): InspectEvent[] {
  const skew = replays.some((r) => r.sections.some((s) => s.header.timeOrigin !== undefined))
    ? PROCESS_SKEW_MS
    : 0;
  const timeOf = (replay: ReplayResult, step: ReplayStep) =>
    clock(replay.sections[step.section]!.header, step.at);
  // Messages: each send matched with the receiver's recording of its arrival, if there is one.
  const sends = new Map<ReplayStep, Sent[]>();
  const receives = new Map<ReplayStep, Received>();
  const arrivals = new Map<string, Received[]>();
  const recorded = new Set(replays.map((r) => r.node));
  const allSends: Sent[] = [];
  for (const replay of replays) {
    let count = 0;
    for (const step of stepsOf(replay)) {
      const at = timeOf(replay, step);
      const out = step.result.messages.map((message) => ({
        id: `${replay.node}:${++count}`,
        at,
        message,
        delivered: null,
      }));
      if (out.length > 0) sends.set(step, out);
      allSends.push(...out);
      if (isRaftMessageType(step.event.type)) {
        const received: Received = { at, sent: null };
        receives.set(step, received);
        const key = messageKey(step.event as RaftMessage);
        arrivals.set(key, [...(arrivals.get(key) ?? []), received]);
      }
    }
  }
  allSends.sort((a, b) => a.at - b.at);
  for (const sent of allSends) {
    const arrival = arrivals
      .get(messageKey(sent.message))
      ?.find((r) => r.sent === null && r.at >= sent.at - skew);
    if (arrival === undefined) continue;
    arrival.sent = sent;
    sent.delivered = Math.max(arrival.at, sent.at);
  }

  const lists = replays.map((replay) => {
    const list: InspectEvent[] = [];
    const push = (...events: InspectEvent[]) => list.push(...events);
    const node = replay.node;
    let lastAt: number | null = null;
    for (const { header, steps, divergence } of replay.sections) {
      for (const step of steps) {
        const at = clock(header, step.at);
        const { state } = step.result;
        const summary = summarize(state.context, state.snapshot.value, state.context.commitIndex);
        if (step.input === 0) {
          const reason = 'its recording ends here: stopped or crashed, then restarted';
          if (lastAt !== null) push({ type: 'nodeDown', at: lastAt, node, reason });
          push({ type: 'nodeUp', at, node, summary });
        } else {
          const from = receives.get(step)?.sent ?? null;
          if (from !== null)
            push({ type: 'message', at, id: from.id, phase: 'delivered', message: from.message });
          // A timer that fired is no longer pending (the step restarts it if its state does).
          const event = step.event as StepEvent;
          if (isTimerEvent(event))
            push({ type: 'timer', at, node, timer: timerOf(event.type), deadline: null });
        }
        for (const effect of step.result.timers) {
          const deadline = effect.type === 'startTimer' ? at + effect.delayMs : null;
          push({ type: 'timer', at, node, timer: effect.timer, deadline });
        }
        if (step.input > 0)
          push({ type: 'step', at, node, event: step.event.type, transitions: [], summary });
        for (const sent of sends.get(step) ?? []) push(...sentEvents(sent, recorded));
        lastAt = at;
      }
      if (divergence !== null) {
        const description = `replay stopped: ${describeDivergence(divergence)}`;
        push({ type: 'fault', at: clock(header, divergence.at), description });
      }
    }
    return list;
  });
  return merge(lists);
}

/**
 * The files' events (each list in time order) as one list in time order: the earliest
 * head first, ties by file order, except that a message is never delivered before it was
 * sent. Times are made non-decreasing (processes' clocks line up only within a few ms).
 */
function merge(lists: readonly InspectEvent[][]): InspectEvent[] {
  const heads = lists.map(() => 0);
  const sent = new Set<string>();
  const out: InspectEvent[] = [];
  const total = lists.reduce((sum, list) => sum + list.length, 0);
  let now = -Infinity;
  while (out.length < total) {
    let pick = -1;
    let fallback = -1;
    for (let file = 0; file < lists.length; file++) {
      const head = lists[file]![heads[file]!];
      if (head === undefined) continue;
      const earliest = (i: number) => i < 0 || head.at < lists[i]![heads[i]!]!.at;
      if (earliest(fallback)) fallback = file;
      const waiting = head.type === 'message' && head.phase === 'delivered' && !sent.has(head.id);
      if (!waiting && earliest(pick)) pick = file;
    }
    const file = pick >= 0 ? pick : fallback;
    const event = lists[file]![heads[file]!++]!;
    if (event.type === 'message' && event.phase === 'sent') sent.add(event.id);
    now = Math.max(now, event.at);
    out.push(event.at === now ? event : { ...event, at: now });
  }
  return out;
}

/** A message leaving: `sent`, and `dropped` at once when the receiver's recording never has it. */
function sentEvents(sent: Sent, recorded: ReadonlySet<NodeId>): InspectEvent[] {
  const { id, at, message, delivered } = sent;
  const events: InspectEvent[] = [
    {
      type: 'message',
      at,
      id,
      phase: 'sent',
      message,
      ...(delivered === null ? {} : { deliverAt: delivered }),
    },
  ];
  if (delivered === null && recorded.has(message.to)) {
    const reason = `${message.to}'s recording never shows it arriving (lost, or ${message.to} was down)`;
    events.push({ type: 'message', at, id, phase: 'dropped', message, reason });
  }
  return events;
}

function stepsOf(replay: ReplayResult): ReplayStep[] {
  return replay.sections.flatMap((section) => section.steps);
}

/** What a message is recognised by on both sides: sender, receiver, kind, term and rpc. */
function messageKey(message: RaftMessage): string {
  const rpc = 'rpcId' in message ? `r${message.rpcId}` : `i${message.inReplyTo}`;
  return `${message.type}|${message.from}|${message.to}|${message.term}|${rpc}`;
}

function timerOf(type: string): TimerName {
  const name = type.slice('xstate.after.'.length).split('.')[0];
  return TIMER_NAMES.find((timer) => timer === name) ?? 'electionTimeout';
}
