/**
 * The recording parser: a good file reads back as written; a bad one fails at its first bad
 * line, saying which line, what is wrong with it and what to do.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { RecordedInput, RecordingHeader } from '../../src/inspect/recording.js';
import { RecordingParseError, parseRecording } from '../../src/inspect/recording.js';
import { replayRecording } from '../../src/inspect/replay.js';
import { RecordedCluster } from './recording-cluster.js';

let lines: string[];
let header: RecordingHeader;
let inputs: RecordedInput[];

beforeAll(async () => {
  // A one-node cluster elects itself and commits its no-op: a short, complete recording.
  const recorded = new RecordedCluster({ seed: 4, size: 1 });
  await recorded.startAll();
  await recorded.cluster.runFor(1_000);
  recorded.cluster.stopAll();
  lines = recorded.text('0').trimEnd().split('\n');
  header = JSON.parse(lines[0]!) as RecordingHeader;
  inputs = lines.slice(1).map((line) => JSON.parse(line) as RecordedInput);
});

const text = (rows: readonly (string | object)[]) =>
  rows.map((row) => (typeof row === 'string' ? row : JSON.stringify(row))).join('\n');

function parseError(rows: readonly (string | object)[]): RecordingParseError {
  try {
    parseRecording(text(rows), 'bad.jsonl');
  } catch (error) {
    if (error instanceof RecordingParseError) return error;
    throw error;
  }
  throw new Error('the recording parsed');
}

describe('parseRecording', () => {
  it('reads a recording back as it was written, CRLF line ends too', () => {
    const recording = parseRecording(lines.join('\r\n') + '\r\n', 'a.jsonl');
    expect(recording).toMatchObject({ name: 'a.jsonl', node: '0' });
    expect(recording.sections).toHaveLength(1);
    const [section] = recording.sections;
    expect(section!.header).toEqual(header);
    expect(section!.inputs).toEqual(inputs);
    expect(section!.lines).toEqual(inputs.map((_, i) => i + 2));
    expect(section!.tornLine).toBeNull();
    expect(inputs.map((i) => i.event.type)).toContain('LogPersisted');
  });

  it('skips the last line of a section cut off by a crash, and says so', () => {
    const cut = lines.at(-1)!.slice(0, 20);
    const once = parseRecording(text([...lines.slice(0, -1), cut]));
    expect(once.sections[0]!.tornLine).toBe(lines.length);
    expect(once.sections[0]!.inputs).toHaveLength(inputs.length - 1);
    // The restarted node's new section follows the cut line.
    const twice = parseRecording(text([...lines.slice(0, -1), cut, ...lines]));
    expect(twice.sections.map((s) => s.tornLine)).toEqual([lines.length, null]);
    expect(replayRecording(twice).ok).toBe(true);
  });

  const cases: [string, () => (string | object)[], number, RegExp][] = [
    ['an empty file', () => [''], 0, /no header line: the file is empty, or not a recording.*--record/],
    [
      'a file of something else',
      () => ['hello'],
      1,
      /not JSON, and no header came before it: is this a file written by raftchart node --record\?/,
    ],
    ['an input first', () => [lines[1]!], 1, /an input before any header: a recording starts with/],
    ['a line of another type', () => [header, { type: 'note' }], 2, /a line of type "note": every line is/],
    [
      'a newer format',
      () => [{ ...header, version: 2 }],
      1,
      /format version 2, newer than this raftchart reads \(1\): replay it with the raftchart that wrote it/,
    ],
    [
      'a header without its recovered state',
      () => [{ ...header, recovered: undefined }],
      1,
      /the header must have required property 'recovered'/,
    ],
    [
      'a header whose peers include the node',
      () => [{ ...header, peers: ['0'] }],
      1,
      /peers must list the other nodes only/,
    ],
    [
      'impossible timing',
      () => [{ ...header, timing: { ...header.timing, electionTimeoutMaxMs: 1 } }],
      1,
      /timing\.electionTimeoutMaxMs \(1\) must be at least/,
    ],
    [
      'a section not starting with the start',
      () => [header, inputs[1]!],
      2,
      /first input after a header must be the node's start \(xstate\.init\), not /,
    ],
    [
      'a second start',
      () => [header, inputs[0]!, inputs[0]!],
      3,
      /xstate\.init in the middle of a section \(its header is line 1\)/,
    ],
    [
      'time going backwards',
      () => [header, inputs[0]!, { ...inputs[1]!, at: 500 }, { ...inputs[2]!, at: 400 }],
      4,
      /time runs backwards: at 400 after 500 on line 3/,
    ],
    [
      'a draw outside the timing',
      () => [header, { ...inputs[0]!, electionTimeoutMs: 5 }],
      2,
      /electionTimeoutMs 5 is outside the header's election timeout range \[300, 600\]/,
    ],
    [
      'a malformed message sent',
      () => [
        header,
        inputs[0]!,
        { ...inputs[1]!, messages: [{ type: 'RequestVote', from: '0', to: '1', term: -1 }] },
      ],
      3,
      /the input field messages\.0/,
    ],
    [
      'a malformed message received',
      () => [
        header,
        inputs[0]!,
        { ...inputs[1]!, event: { type: 'AppendEntriesReply', from: '1', to: '0', term: 1 } },
      ],
      3,
      /the input event AppendEntriesReply must have required property 'matchIndex'; the file was edited or damaged: fix the line, or record the node again/,
    ],
    [
      'a malformed local event',
      () => [header, inputs[0]!, { ...inputs[1]!, event: { type: 'LogPersisted', index: 'one', term: 1 } }],
      3,
      /the input event LogPersisted field index must be integer/,
    ],
    [
      'an event no node handles',
      () => [header, inputs[0]!, { ...inputs[1]!, event: { type: 'Reboot' } }],
      3,
      /the input event type "Reboot" is not one a node handles/,
    ],
    [
      'a section of another node',
      () => [header, inputs[0]!, { ...header, node: '9' }],
      3,
      /this header is node "9"'s, but the file began as node "0"'s: a file records one node/,
    ],
    [
      'a damaged line in the middle',
      () => [header, inputs[0]!, '{"type":"inp', inputs[1]!],
      3,
      /not JSON, yet lines of the same section follow it/,
    ],
    [
      'an unexpected field',
      () => [header, { ...inputs[0]!, extra: 1 }],
      2,
      /the input has an unexpected field "extra"/,
    ],
  ];
  for (const [what, rows, line, message] of cases) {
    it(`refuses ${what}, at line ${line}`, () => {
      const error = parseError(rows());
      expect(error.line).toBe(line);
      expect(error.file).toBe('bad.jsonl');
      expect(error.message).toMatch(new RegExp(`^bad\\.jsonl${line > 0 ? `:${line}` : ''}: `));
      expect(error.message).toMatch(message);
    });
  }
});
