/**
 * The wire codec (`npm run bench:micro`): JSON text frames against MessagePack at the sizes
 * replication sends, encode + decode per frame, and the bytes each frame takes (printed as
 * a table when the file loads); then the cost of validating one decoded frame with the
 * compiled wire schema. The choice and the numbers are in docs/transport.md. Not a test:
 * nothing here fails on a slow machine.
 */
import { bench, describe } from 'vitest';
import type { RaftMessage } from '../../machines/index.js';
import type { FrameCodec } from '../../src/transport/codec.js';
import { JSON_FRAME_CODEC, MSGPACK_FRAME_CODEC } from '../../src/transport/codec.js';
import { validateRaftMessage } from '../../src/transport/wire-schema.js';

/** A small key-value command, as an application would propose. */
function command(i: number): unknown {
  return { op: 'put', key: `user:${String(i).padStart(6, '0')}`, value: i * 7919 };
}

function appendEntries(entries: readonly { term: number; command: unknown }[]): RaftMessage {
  return {
    type: 'AppendEntries',
    from: 'node-1',
    to: 'node-2',
    term: 12,
    rpcId: 48_213,
    prevLogIndex: 150_000,
    prevLogTerm: 12,
    entries,
    leaderCommit: 149_990,
  };
}

function smallEntries(n: number): { term: number; command: unknown }[] {
  return Array.from({ length: n }, (_, i) => ({ term: 12, command: command(150_001 + i) }));
}

/** An application snapshot as it would be: the JSON text of a key-value map, about 64 KiB. */
function snapshotData(bytes: number): string {
  const state: Record<string, number> = {};
  let text = '{}';
  for (let i = 0; text.length < bytes; i++) {
    state[`user:${String(i).padStart(6, '0')}`] = i * 7919;
    if (i % 64 === 0) text = JSON.stringify(state);
  }
  return JSON.stringify(state).slice(0, bytes);
}

const cases: readonly (readonly [string, RaftMessage])[] = [
  ['heartbeat (AppendEntries, no entries)', appendEntries([])],
  ['AppendEntries, 1 small entry', appendEntries(smallEntries(1))],
  ['AppendEntries, 64 small entries', appendEntries(smallEntries(64))],
  ['AppendEntries, 512 small entries', appendEntries(smallEntries(512))],
  ['AppendEntries, one 5000-character command', appendEntries([{ term: 12, command: 'x'.repeat(5000) }])],
  [
    'InstallSnapshot, 64 KiB',
    {
      type: 'InstallSnapshot',
      from: 'node-1',
      to: 'node-2',
      term: 12,
      rpcId: 48_214,
      lastIncludedIndex: 150_000,
      lastIncludedTerm: 12,
      offset: 0,
      data: snapshotData(64 * 1024),
      done: true,
    },
  ],
];

const codecs: readonly FrameCodec[] = [JSON_FRAME_CODEC, MSGPACK_FRAME_CODEC];

console.table(
  cases.map(([name, message]) => {
    const json = JSON_FRAME_CODEC.encode(message).length;
    const msgpack = MSGPACK_FRAME_CODEC.encode(message).length;
    return {
      frame: name,
      'json bytes': json,
      'msgpack bytes': msgpack,
      'msgpack/json': +(msgpack / json).toFixed(2),
    };
  }),
);

for (const [name, message] of cases) {
  describe(`encode + decode: ${name}`, () => {
    for (const codec of codecs) {
      bench(codec.name, () => {
        codec.decode(codec.encode(message));
      });
    }
  });
}

describe('wire schema: validate one decoded frame', () => {
  for (const [name, message] of cases) {
    const decoded = JSON_FRAME_CODEC.decode(JSON_FRAME_CODEC.encode(message));
    bench(name, () => {
      if (!validateRaftMessage(decoded).ok) throw new Error(`fixture ${name} fails the schema`);
    });
  }
});
