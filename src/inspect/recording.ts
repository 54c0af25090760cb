/**
 * The recording format: what entered one node's statechart, as JSON lines. A section is a
 * header line (who the node is and the state it recovered from storage) and then one line
 * per input (the event, the election timeout drawn, and the messages and log edits the step
 * produced), in the order the node handled them. A restarted node appends a new section to
 * the same file: one file, one node, one section per start.
 *
 * The parser checks every line (shape, and what replay relies on: the first input of a
 * section is `xstate.init`, time never runs backwards, draws within the timing) and throws a
 * RecordingParseError naming the line. The last line of a section, cut off mid-write by a
 * crash, is skipped and reported (`tornLine`). Browser-safe.
 */
import type { ErrorObject } from 'ajv';
import { Ajv } from 'ajv';
import type {
  ClusterConfig,
  LogEdit,
  NodeId,
  RaftFeatures,
  RaftMessage,
  RaftTiming,
  ReplicationLimits,
  StepEvent,
} from '../../machines/index.js';
import { TIMER_NAMES, isRaftMessageType, stringifyJson } from '../../machines/index.js';
import { RaftError } from '../errors.js';
import type { PersistedState } from '../node/providers.js';
import { validateMembership, validateTiming } from '../node/validate-options.js';
import { validateRaftMessage, RAFT_MESSAGE_SCHEMA } from '../transport/wire-schema.js';

export const RECORDING_VERSION = 1;

/** The first line of a section: enough to rebuild the node as it started. */
export interface RecordingHeader {
  readonly type: 'recording';
  readonly version: typeof RECORDING_VERSION;
  readonly node: NodeId;
  readonly peers: readonly NodeId[];
  readonly timing: RaftTiming;
  readonly noopOnElection: boolean;
  /** The machine's default (DEFAULT_LIMITS) when absent. */
  readonly limits?: ReplicationLimits;
  /** Pre-vote and check-quorum; the machine's default (the paper's, both off) when absent. */
  readonly features?: RaftFeatures;
  /**
   * The configuration the node started from (before its log's and snapshot's); `node` and
   * `peers`, all voting, when absent.
   */
  readonly config?: ClusterConfig;
  /** What storage held when the node started: the replay's initial state. */
  readonly recovered: PersistedState;
  /**
   * Wall-clock time (ms since the epoch) at which `at` is 0, when `at` is a process's own
   * clock (a real node's `performance.now()`): lines up recordings of several processes.
   * Absent for a simulation, whose nodes share one virtual clock.
   */
  readonly timeOrigin?: number;
}

/** The start of a node's actor: replayed as `initialStep` from the header. */
export interface InitEvent {
  readonly type: 'xstate.init';
}

/** What a recorded step was fed: the start, a message, a local event or a timer that fired. */
export type RecordedEvent = InitEvent | StepEvent;

/** One input and what the node's step did with it. */
export interface RecordedInput {
  readonly type: 'input';
  /** The node's clock when the input arrived, in ms. */
  readonly at: number;
  readonly event: RecordedEvent;
  /** The election timeout the step drew, if it drew one (a step's only random draw). */
  readonly electionTimeoutMs: number | null;
  /** What the step sent, in order. */
  readonly messages: readonly RaftMessage[];
  /** The log edits the step asked storage for, in order. */
  readonly edits: readonly LogEdit[];
}

/** One start of the node: its header and its inputs. */
export interface RecordingSection {
  readonly header: RecordingHeader;
  /** Line numbers count from 1. */
  readonly headerLine: number;
  readonly inputs: readonly RecordedInput[];
  /** The line of each input, parallel to `inputs`. */
  readonly lines: readonly number[];
  /** The section's last line, cut off mid-write (a crash) and skipped; null when none was. */
  readonly tornLine: number | null;
}

/** A parsed recording file: one node, one section per start. */
export interface Recording {
  /** The file's name, for messages. */
  readonly name: string;
  readonly node: NodeId;
  readonly sections: readonly RecordingSection[];
}

/**
 * A recording file could not be read: `line` (from 1; 0 for the file as a whole) says
 * where, the message what is wrong and what to do.
 */
export class RecordingParseError extends RaftError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(`${file}${line > 0 ? `:${line}` : ''}: ${problem}`);
  }
}

/** A line of a recording file, newline included. Total over the depth of commands. */
export function encodeLine(line: RecordingHeader | RecordedInput): string {
  return `${stringifyJson(line)}\n`;
}

/** Parses a recording file's text; throws RecordingParseError at the first bad line. */
export function parseRecording(text: string, name = 'recording'): Recording {
  const sections: MutableSection[] = [];
  // A line that is not JSON: tolerated only as the last of a section (a crash cut it short).
  let torn: number | null = null;
  const fail: Fail = (line, problem) => {
    throw new RecordingParseError(name, line, problem);
  };
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!.replace(/\r$/, '');
    const line = i + 1;
    if (row.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(row);
    } catch {
      if (sections.length === 0) {
        fail(
          line,
          'the line is not JSON, and no header came before it: is this a file written by raftchart node --record?',
        );
      }
      if (torn !== null) fail(torn, notJson('and neither is the next line'));
      torn = line;
      continue;
    }
    const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
    if (torn !== null && type !== 'recording') fail(torn, notJson('yet lines of the same section follow it'));
    if (type === 'recording') {
      const header = checkHeader(value, line, fail);
      const first = sections[0];
      if (first !== undefined && header.node !== first.header.node) {
        fail(
          line,
          `this header is node "${header.node}"'s, but the file began as node "${first.header.node}"'s: ` +
            'a file records one node; give each node its own --record file',
        );
      }
      const previous = sections.at(-1);
      if (previous !== undefined) previous.tornLine = torn;
      torn = null;
      sections.push({ header, headerLine: line, inputs: [], lines: [], tornLine: null });
    } else if (type === 'input') {
      const section = sections.at(-1);
      if (section === undefined) {
        return fail(
          line,
          'an input before any header: a recording starts with a {"type":"recording",...} line ' +
            '(is this a file written by raftchart node --record?)',
        );
      }
      section.inputs.push(checkInput(value, line, section, fail));
      section.lines.push(line);
    } else {
      fail(
        line,
        `a line of type ${JSON.stringify(type)}: every line is a "recording" header or an "input" ` +
          '(is this a file written by raftchart node --record?)',
      );
    }
  }
  const last = sections.at(-1);
  if (last === undefined) {
    return fail(
      0,
      'no header line: the file is empty, or not a recording. A node writes its header when it ' +
        'starts; record with raftchart node --record <file>',
    );
  }
  last.tornLine = torn;
  return { name, node: last.header.node, sections };
}

interface MutableSection {
  readonly header: RecordingHeader;
  readonly headerLine: number;
  readonly inputs: RecordedInput[];
  readonly lines: number[];
  tornLine: number | null;
}

type Fail = (line: number, problem: string) => never;

/** What a line that breaks the format was: edited by hand, or damaged on disk. */
const DAMAGED = '; the file was edited or damaged: fix the line, or record the node again';

function notJson(why: string): string {
  return `the line is not JSON, ${why}${DAMAGED}`;
}

// --- schemas: the shape of each line; what they cannot say is checked after them ---

const counter = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const positive = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;
const nodeId = { type: 'string', minLength: 1 } as const;
/** The wire schema's definition of `name` in message `type`, so a recording checks what the wire checks. */
function wireProperty(type: RaftMessage['type'], name: string) {
  const at = RAFT_MESSAGE_SCHEMA.oneOf.findIndex(
    (message) => (message as { properties: { type: { const?: string } } }).properties.type.const === type,
  );
  return { $ref: `RaftMessage#/oneOf/${at}/properties/${name}` } as const;
}
// Log entries and configurations as the wire schema checks them in an AppendEntries and an InstallSnapshot.
const entries = wireProperty('AppendEntries', 'entries');
const config = wireProperty('InstallSnapshot', 'config');
const snapshot = {
  type: 'object',
  additionalProperties: false,
  required: ['index', 'term', 'data'],
  properties: { index: counter, term: counter, data: { type: 'string' }, config },
} as const;

const ajv = new Ajv({ discriminator: true, strict: true, allErrors: false });
ajv.addSchema(RAFT_MESSAGE_SCHEMA as object, 'RaftMessage');

const validateHeader = ajv.compile<RecordingHeader>({
  type: 'object',
  additionalProperties: false,
  required: ['type', 'version', 'node', 'peers', 'timing', 'noopOnElection', 'recovered'],
  properties: {
    type: { const: 'recording' },
    version: { const: RECORDING_VERSION },
    node: nodeId,
    peers: { type: 'array', items: nodeId },
    timing: {
      type: 'object',
      additionalProperties: false,
      required: ['heartbeatIntervalMs', 'electionTimeoutMinMs', 'electionTimeoutMaxMs'],
      properties: {
        heartbeatIntervalMs: positive,
        electionTimeoutMinMs: positive,
        electionTimeoutMaxMs: positive,
      },
    },
    noopOnElection: { type: 'boolean' },
    limits: {
      type: 'object',
      additionalProperties: false,
      required: ['maxEntriesPerMessage', 'maxInflightEntries', 'maxBytesPerMessage'],
      properties: {
        maxEntriesPerMessage: positive,
        maxInflightEntries: positive,
        maxBytesPerMessage: positive,
      },
    },
    recovered: {
      type: 'object',
      additionalProperties: false,
      required: ['hardState', 'entries'],
      properties: {
        hardState: {
          type: 'object',
          additionalProperties: false,
          required: ['currentTerm', 'votedFor'],
          properties: { currentTerm: counter, votedFor: { anyOf: [nodeId, { type: 'null' }] } },
        },
        snapshot,
        entries,
      },
    },
    features: {
      type: 'object',
      additionalProperties: false,
      required: ['preVote', 'checkQuorum'],
      properties: { preVote: { type: 'boolean' }, checkQuorum: { type: 'boolean' } },
    },
    config,
    timeOrigin: { type: 'number' },
  },
});

const validateInput = ajv.compile<RecordedInput>({
  type: 'object',
  additionalProperties: false,
  required: ['type', 'at', 'event', 'electionTimeoutMs', 'messages', 'edits'],
  properties: {
    type: { const: 'input' },
    at: { type: 'number', minimum: 0 },
    event: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } },
    electionTimeoutMs: { anyOf: [positive, { type: 'null' }] },
    messages: { type: 'array', items: { $ref: 'RaftMessage' } },
    edits: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['from', 'entries'],
        properties: { from: positive, entries },
      },
    },
  },
});

/** The local events, by type; a message is checked by the wire schema, a timer or the start by name. */
const validateLocalEvent = ajv.compile({
  type: 'object',
  required: ['type'],
  properties: { type: { type: 'string' } },
  discriminator: { propertyName: 'type' },
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'commands'],
      properties: { type: { const: 'Propose' }, commands: { type: 'array' } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: { type: { const: 'Flush' } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'index', 'term'],
      properties: { type: { const: 'LogPersisted' }, index: counter, term: counter },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'index', 'data'],
      properties: { type: { const: 'Snapshot' }, index: positive, data: { type: 'string' } },
    },
  ],
});

const LOCAL_EVENTS = new Set(['Propose', 'Flush', 'LogPersisted', 'Snapshot']);
/** `xstate.after.<timer>.<state id>`, for any of the machine's named delays. */
const TIMER_EVENT = new RegExp(`^xstate\\.after\\.(${TIMER_NAMES.join('|')})\\.[^\\s]+$`);

function checkHeader(value: unknown, line: number, failWith: Fail): RecordingHeader {
  const version = (value as { version?: unknown }).version;
  if (typeof version === 'number' && version > RECORDING_VERSION) {
    failWith(
      line,
      `the recording is format version ${version}, newer than this raftchart reads ` +
        `(${RECORDING_VERSION}): replay it with the raftchart that wrote it, or a newer one`,
    );
  }
  const fail: Fail = (at, problem) => failWith(at, `${problem}${DAMAGED}`);
  if (!validateHeader(value)) fail(line, `the header ${describe(validateHeader.errors)}`);
  const header = value as RecordingHeader;
  try {
    validateMembership(header.node, header.peers);
    validateTiming(header.timing);
  } catch (error) {
    fail(line, `the header's ${(error as Error).message}`);
  }
  return header;
}

function checkInput(value: unknown, line: number, section: MutableSection, failWith: Fail): RecordedInput {
  const fail: Fail = (at, problem) => failWith(at, `${problem}${DAMAGED}`);
  if (!validateInput(value)) fail(line, `the input ${describe(validateInput.errors)}`);
  const input = value as RecordedInput;
  const { event } = input;
  const first = section.inputs.length === 0;
  if (event.type === 'xstate.init') {
    if (!first) {
      fail(
        line,
        `xstate.init in the middle of a section (its header is line ${section.headerLine}): a node starts once per section`,
      );
    }
    if (Object.keys(event).length !== 1)
      fail(line, 'the input event xstate.init carries nothing but its type');
  } else if (first) {
    fail(
      line,
      `the first input after a header must be the node's start (xstate.init), not ${event.type}: ` +
        'lines were lost or reordered',
    );
  } else if (isRaftMessageType(event.type)) {
    const checked = validateRaftMessage(event);
    if (!checked.ok) fail(line, `the input event ${event.type}${checked.reason.replace(/^frame/, '')}`);
  } else if (LOCAL_EVENTS.has(event.type)) {
    if (!validateLocalEvent(event))
      fail(line, `the input event ${event.type} ${describe(validateLocalEvent.errors)}`);
  } else if (TIMER_EVENT.test(event.type)) {
    if (Object.keys(event).length !== 1)
      fail(line, `the timer event ${event.type} carries nothing but its type`);
  } else {
    fail(
      line,
      `the input event type "${event.type}" is not one a node handles ` +
        '(a Raft message, Propose, Flush, LogPersisted, Snapshot, an xstate.after timer, or xstate.init)',
    );
  }
  const previous = section.inputs.at(-1);
  if (previous !== undefined && input.at < previous.at) {
    fail(line, `time runs backwards: at ${input.at} after ${previous.at} on line ${section.lines.at(-1)!}`);
  }
  const { electionTimeoutMinMs: min, electionTimeoutMaxMs: max } = section.header.timing;
  const drawn = input.electionTimeoutMs;
  if (drawn !== null && (drawn < min || drawn > max)) {
    fail(line, `electionTimeoutMs ${drawn} is outside the header's election timeout range [${min}, ${max}]`);
  }
  return input;
}

/** Ajv's first error as a phrase: `/messages/0/term must be integer`. */
function describe(errors: readonly ErrorObject[] | null | undefined): string {
  const first = errors?.[0];
  if (first === undefined) return 'is invalid';
  const where = first.instancePath === '' ? '' : `field ${first.instancePath.slice(1).replaceAll('/', '.')} `;
  if (first.keyword === 'additionalProperties') {
    return `${where}has an unexpected field "${String(first.params.additionalProperty)}"`;
  }
  if (first.keyword === 'const') {
    return `${where}must be ${JSON.stringify((first.params as { allowedValue: unknown }).allowedValue)}`;
  }
  if (first.keyword === 'discriminator') return `${where}is not a known event`;
  return `${where}${first.message ?? 'is invalid'}`;
}
