/** The wire codec: an AppendEntries written around its commands' cached JSON decodes to the message. */
import { describe, expect, it } from 'vitest';
import type { AppendEntries, LogEntry, RaftMessage } from '../../machines/index.js';
import { stringifyJson } from '../../machines/index.js';
import { entryCommandJson } from '../../src/entry-json.js';
import { JSON_FRAME_CODEC } from '../../src/transport/codec.js';

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { d: [value] };
  return value;
}

const COMMANDS: unknown[] = [
  null,
  0,
  -1.5e300,
  true,
  '',
  'plain',
  'quote " backslash \\ newline \n tab \t nul \u0000 é 😀 \ud800',
  [],
  [1, 'two', { three: [3] }],
  { kv: 'put', key: 'k', value: 'x'.repeat(128), client: 'c', seq: 7 },
  { 'weird "key"': { '': null } },
  nested(500),
];

function appendEntries(entries: LogEntry[]): AppendEntries {
  return {
    type: 'AppendEntries',
    from: 'a',
    to: 'b',
    term: 3,
    rpcId: 41,
    prevLogIndex: 9,
    prevLogTerm: 2,
    entries,
    leaderCommit: 8,
  };
}

describe('JSON_FRAME_CODEC', () => {
  it('encodes an AppendEntries to text that decodes to the message, whatever its commands', () => {
    const entries = COMMANDS.map((command, i) => ({ term: 1 + (i % 3), command }));
    const message = appendEntries(entries);
    const frame = JSON_FRAME_CODEC.encode(message);
    expect(JSON_FRAME_CODEC.decode(frame)).toEqual(JSON.parse(stringifyJson(message)));
    expect(frame.length).toBe(Buffer.byteLength(stringifyJson(message)));
  });

  it('encodes a command too deep for the native encoder (deeper than any comparison can walk)', () => {
    const deep: LogEntry = { term: 1, command: nested(50_000) };
    const message = appendEntries([deep]);
    expect(() => JSON.stringify(deep.command)).toThrow(RangeError);
    expect(JSON_FRAME_CODEC.encode(message).length).toBe(Buffer.byteLength(stringifyJson(message)));
    expect(entryCommandJson(deep)).toBe(stringifyJson(deep.command));
  });

  it('encodes each entry once for every message that carries it (followers share the text)', () => {
    const entry: LogEntry = { term: 1, command: { n: 1 } };
    const first = JSON_FRAME_CODEC.encode(appendEntries([entry]));
    const cached = entryCommandJson(entry);
    const second = JSON_FRAME_CODEC.encode({ ...appendEntries([entry]), to: 'c' });
    expect(entryCommandJson(entry)).toBe(cached);
    expect(JSON_FRAME_CODEC.decode(first)).toMatchObject({ entries: [entry] });
    expect(JSON_FRAME_CODEC.decode(second)).toMatchObject({ to: 'c', entries: [entry] });
  });

  it('encodes every other message, and an empty AppendEntries, as stringifyJson does', () => {
    const messages: RaftMessage[] = [
      appendEntries([]),
      {
        type: 'AppendEntriesReply',
        from: 'b',
        to: 'a',
        term: 3,
        inReplyTo: 41,
        success: true,
        matchIndex: 9,
      },
      { type: 'RequestVote', from: 'a', to: 'b', term: 4, rpcId: 1, lastLogIndex: 9, lastLogTerm: 3 },
    ];
    for (const message of messages) {
      expect(JSON_FRAME_CODEC.encode(message).toString('utf8')).toBe(stringifyJson(message));
    }
  });
});
