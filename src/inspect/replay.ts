/**
 * Replays a recording through the pure machine (`initialStep` / `step`) and checks that every
 * step does what the node did: the same messages and log edits, the same random draw, and no
 * timer firing that the replayed node does not have pending. The machine is pure and time
 * and randomness are recorded, so a recording of a correct node replays exactly; where it
 * does not, the first step that differs is the place to look (or the recording was edited).
 * Each section (one start of the node) replays from the state its header recovered.
 * Browser-safe.
 */
import type {
  ElectionTimeoutSource,
  RaftInput,
  RaftState,
  RaftTiming,
  StepEvent,
  StepResult,
} from '../../machines/index.js';
import { ArrayRaftLog, initialStep, isTimerEvent, step, stringifyJson } from '../../machines/index.js';
import type {
  RecordedEvent,
  RecordedInput,
  Recording,
  RecordingHeader,
  RecordingSection,
} from './recording.js';

export interface ReplayOptions {
  /** Keep every step's result (`steps`); default true. Off, only counts and the end state are kept. */
  readonly keepSteps?: boolean;
}

/** One replayed input: the step the pure machine took for it (`result.state` is the state after). */
export interface ReplayStep {
  /** Index of the section (the node's start) in the recording. */
  readonly section: number;
  /** Index of the input in its section; 0 is the start (`xstate.init`). */
  readonly input: number;
  readonly line: number;
  readonly at: number;
  readonly event: RecordedEvent;
  readonly result: StepResult;
}

/**
 * What differed: `messages` or `edits` (the step's outputs), `draw` (an election timeout
 * drawn by one side only), `timer` (a timer fired that the replayed node has not pending),
 * `threw` (the machine threw where the node did not).
 */
export type DivergenceKind = 'messages' | 'edits' | 'draw' | 'timer' | 'threw';

/** The first step that did not reproduce the recording. */
export interface Divergence {
  readonly recording: string;
  readonly node: string;
  readonly section: number;
  readonly input: number;
  readonly line: number;
  readonly at: number;
  /** The input's event type. */
  readonly event: string;
  readonly kind: DivergenceKind;
  /** What the recording says (the step's messages, edits, draw, or the timer that fired). */
  readonly expected: unknown;
  /** What the replay did instead (or, for `timer`, the timers pending; for `threw`, the error's message). */
  readonly got: unknown;
  /** The difference in words, first differing item first. */
  readonly detail: string;
}

export interface SectionReplay {
  readonly header: RecordingHeader;
  /** Inputs replayed without a difference. */
  readonly replayed: number;
  /** Every replayed step, when kept. */
  readonly steps: readonly ReplayStep[];
  /** The state after the last replayed step (null if not even the start replayed). */
  readonly final: RaftState | null;
  readonly divergence: Divergence | null;
  /** A last line cut off by a crash, skipped by the parser (its input is not replayed). */
  readonly tornLine: number | null;
}

export interface ReplayResult {
  readonly name: string;
  readonly node: string;
  readonly sections: readonly SectionReplay[];
  /** Inputs replayed without a difference, over all sections. */
  readonly replayed: number;
  /** The first divergence of any section, or null: every step reproduced its outputs. */
  readonly divergence: Divergence | null;
  readonly ok: boolean;
}

/** Replays every section of `recording`; a section stops at its first divergence. */
export function replayRecording(recording: Recording, options: ReplayOptions = {}): ReplayResult {
  const keep = options.keepSteps ?? true;
  const sections = recording.sections.map((section, index) => replaySection(recording, section, index, keep));
  const divergence = sections.find((s) => s.divergence !== null)?.divergence ?? null;
  return {
    name: recording.name,
    node: recording.node,
    sections,
    replayed: sections.reduce((sum, s) => sum + s.replayed, 0),
    divergence,
    ok: divergence === null,
  };
}

/** A divergence as one paragraph: where, which input, and what differed. */
export function describeDivergence(d: Divergence): string {
  return `${d.recording}:${d.line}: node ${d.node}'s input ${d.input} of start ${d.section + 1} (${d.event} at ${d.at} ms) does not replay: ${d.detail}`;
}

/** The machine's input for a section's start: the header's node and recovered state. */
export function initialInput(header: RecordingHeader): RaftInput {
  const { hardState, snapshot, entries } = header.recovered;
  return {
    id: header.node,
    peers: header.peers,
    timing: header.timing,
    noopOnElection: header.noopOnElection,
    ...(header.limits === undefined ? {} : { limits: header.limits }),
    ...(header.features === undefined ? {} : { features: header.features }),
    ...(header.config === undefined ? {} : { config: header.config }),
    hardState,
    log: new ArrayRaftLog(entries, snapshot),
    ...(snapshot === undefined ? {} : { snapshot }),
  };
}

function replaySection(
  recording: Recording,
  section: RecordingSection,
  sectionIndex: number,
  keep: boolean,
): SectionReplay {
  const { header, inputs, lines } = section;
  const steps: ReplayStep[] = [];
  let state: RaftState | null = null;
  let divergence: Divergence | null = null;
  let replayed = 0;
  for (let i = 0; i < inputs.length && divergence === null; i++) {
    const input = inputs[i]!;
    const diverge = (kind: DivergenceKind, expected: unknown, got: unknown, detail: string): Divergence => ({
      recording: recording.name,
      node: header.node,
      section: sectionIndex,
      input: i,
      line: lines[i]!,
      at: input.at,
      event: input.event.type,
      kind,
      expected,
      got,
      detail,
    });
    const outcome = replayInput(state, header, input);
    if ('kind' in outcome) {
      divergence = diverge(outcome.kind, outcome.expected, outcome.got, outcome.detail);
      break;
    }
    const { result, drew } = outcome;
    const difference = compareOutputs(input, result, drew);
    if (difference !== null) {
      divergence = diverge(difference.kind, difference.expected, difference.got, difference.detail);
      break;
    }
    state = result.state;
    replayed++;
    if (keep)
      steps.push({
        section: sectionIndex,
        input: i,
        line: lines[i]!,
        at: input.at,
        event: input.event,
        result,
      });
  }
  return { header, replayed, steps, final: state, divergence, tornLine: section.tornLine };
}

interface Difference {
  readonly kind: DivergenceKind;
  readonly expected: unknown;
  readonly got: unknown;
  readonly detail: string;
}

/** One input through the machine, with whether it drew an election timeout. */
function replayInput(
  state: RaftState | null,
  header: RecordingHeader,
  input: RecordedInput,
): { result: StepResult; drew: boolean } | Difference {
  const draw = recordedDraw(header.timing, input.electionTimeoutMs);
  const { event } = input;
  try {
    if (event.type === 'xstate.init' || state === null) {
      return {
        result: initialStep(initialInput(header), { electionTimeout: draw.source }),
        drew: draw.drew(),
      };
    }
    const stepEvent = event as StepEvent;
    if (isTimerEvent(stepEvent) && !(stepEvent.type in state.timers)) {
      const pending = Object.keys(state.timers);
      return {
        kind: 'timer',
        expected: stepEvent.type,
        got: pending,
        detail:
          `the node's timer ${stepEvent.type} fired, but the replayed node has no such timer pending ` +
          `(pending: ${pending.length === 0 ? 'none' : pending.join(', ')})`,
      };
    }
    return { result: step(state, stepEvent, { electionTimeout: draw.source }), drew: draw.drew() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      kind: 'threw',
      expected: null,
      got: message,
      detail: `the machine threw where the node did not: ${message}`,
    };
  }
}

/** The recorded draw, handed to the step, which says whether the step asked for it. */
function recordedDraw(
  timing: RaftTiming,
  drawn: number | null,
): { source: ElectionTimeoutSource; drew: () => boolean } {
  let drew = false;
  const offset = (drawn ?? timing.electionTimeoutMinMs) - timing.electionTimeoutMinMs;
  return {
    source: () => {
      drew = true;
      return offset;
    },
    drew: () => drew,
  };
}

function compareOutputs(input: RecordedInput, result: StepResult, drew: boolean): Difference | null {
  const messages = compareLists('message', input.messages, result.messages);
  if (messages !== null)
    return { kind: 'messages', expected: input.messages, got: result.messages, detail: messages };
  const edits = compareLists('log edit', input.edits, result.logEdits);
  if (edits !== null) return { kind: 'edits', expected: input.edits, got: result.logEdits, detail: edits };
  const recorded = input.electionTimeoutMs;
  if ((recorded !== null) !== drew) {
    return {
      kind: 'draw',
      expected: recorded,
      got: drew ? 'a draw' : null,
      detail:
        recorded !== null
          ? `the node drew an election timeout (${recorded} ms) here, but the replayed step started no election timer`
          : 'the replayed step drew an election timeout, but the node drew none here',
    };
  }
  return null;
}

/** The first difference between what the node did and what the replay did, in words; null if none. */
function compareLists(
  what: string,
  recorded: readonly unknown[],
  replayed: readonly unknown[],
): string | null {
  const length = Math.max(recorded.length, replayed.length);
  const counts =
    recorded.length === replayed.length
      ? ''
      : ` (the node's step produced ${plural(recorded.length, what)}, the replay ${replayed.length})`;
  for (let i = 0; i < length; i++) {
    if (i < recorded.length && i < replayed.length && jsonEqual(recorded[i], replayed[i])) continue;
    if (i >= recorded.length) return `an extra ${what}${counts}: replayed ${show(replayed[i])}`;
    if (i >= replayed.length) return `a ${what} missing${counts}: recorded ${show(recorded[i])}`;
    return `${what} ${i + 1} differs${counts}: recorded ${show(recorded[i])}, replayed ${show(replayed[i])}`;
  }
  return null;
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

const SHOWN = 400;

function show(value: unknown): string {
  const text = stringifyJson(value);
  return text.length <= SHOWN ? text : `${text.slice(0, SHOWN)}... (${text.length} characters)`;
}

/**
 * Equality of two values as JSON sees them (key order aside; undefined members absent),
 * by an explicit stack, since commands may be nested deeper than recursion allows.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  const stack: [unknown, unknown][] = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop()!;
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    if (Array.isArray(x)) {
      const ys = y as unknown[];
      if (x.length !== ys.length) return false;
      for (let i = 0; i < x.length; i++) stack.push([x[i], ys[i]]);
      continue;
    }
    const xo = x as Record<string, unknown>;
    const yo = y as Record<string, unknown>;
    const keys = Object.keys(xo).filter((k) => xo[k] !== undefined);
    if (keys.length !== Object.keys(yo).filter((k) => yo[k] !== undefined).length) return false;
    for (const key of keys) {
      if (!Object.hasOwn(yo, key)) return false;
      stack.push([xo[key], yo[key]]);
    }
  }
  return true;
}
