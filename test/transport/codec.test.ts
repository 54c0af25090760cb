/**
 * The wire codec: an AppendEntries written around its commands' cached JSON decodes to the
 * message, and every message type round trips through both codecs and the wire schema.
 */
import { describe, expect, it } from 'vitest';
import type { AppendEntries, LogEntry, RaftMessage } from '../../machines/index.js';
import { RAFT_MESSAGE_TYPES, stringifyJson } from '../../machines/index.js';
import { entryCommandJson } from '../../src/entry-json.js';
import { JSON_FRAME_CODEC, MSGPACK_FRAME_CODEC } from '../../src/transport/codec.js';
import { validateRaftMessage } from '../../src/transport/wire-schema.js';
import { CONFIG, EVERY_MESSAGE } from './messages.js';

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

  it('writes a configuration entry with its config, in the fixed field order', () => {
    const shuffled = { addresses: { a: 'ws://x' }, learners: [], voters: ['a'] };
    const message = appendEntries([{ term: 2, command: null, config: shuffled }]);
    const text = JSON_FRAME_CODEC.encode(message).toString('utf8');
    expect(text).toContain(
      '"entries":[{"term":2,"command":null,"config":{"voters":["a"],"learners":[],"addresses":{"a":"ws://x"}}}]',
    );
    expect(JSON_FRAME_CODEC.decode(Buffer.from(text))).toEqual(message);
  });
});

describe.each([JSON_FRAME_CODEC, MSGPACK_FRAME_CODEC])('$name codec round trips', (codec) => {
  it('covers every wire type', () => {
    expect(new Set(EVERY_MESSAGE.map((message) => message.type))).toEqual(new Set(RAFT_MESSAGE_TYPES));
  });

  it.each(EVERY_MESSAGE.map((message, i) => [`${i}: ${message.type}`, message] as const))(
    '%s decodes to itself and passes the schema',
    (_name, message) => {
      const decoded = codec.decode(codec.encode(message));
      expect(decoded).toEqual(message);
      expect(validateRaftMessage(decoded)).toEqual({ ok: true, message });
    },
  );

  it('keeps the optional fields: a transfer vote, a snapshot and entries with a configuration', () => {
    const decoded = EVERY_MESSAGE.map((message) => codec.decode(codec.encode(message)));
    expect(decoded).toContainEqual(expect.objectContaining({ type: 'RequestVote', transfer: true }));
    expect(decoded).toContainEqual(expect.objectContaining({ type: 'InstallSnapshot', config: CONFIG }));
    expect(decoded).toContainEqual(
      expect.objectContaining({
        type: 'AppendEntries',
        entries: expect.arrayContaining([{ term: 4, command: null, config: CONFIG }]) as unknown,
      }),
    );
  });
});
