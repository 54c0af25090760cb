/**
 * Commands as JSON values: the door's check (shape, depth, exact encoded size) and the
 * encoder that is total over depth; and the leader's byte bound on one AppendEntries.
 */
import { describe, expect, it } from 'vitest';
import type { LogEntry, RaftContext } from '../../machines/index.js';
import {
  ArrayRaftLog,
  checkJsonValue,
  initialContext,
  jsonStringBytes,
  planAppend,
  splitJsonString,
  stringifyJson,
} from '../../machines/index.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import { testSeeds } from '../support/seeds.js';

function nested(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { k: value };
  return value;
}

const STRINGS = [
  '',
  'plain',
  'quote " and \\ backslash',
  '\n\t\r\b\f',
  '\u0000\u001f',
  'é',
  '€',
  '😀',
  '\ud800',
  'x\udc00y',
];

/** A random plain JSON value, a few levels deep. */
function randomValue(random: SeededRandom, depth = 0): unknown {
  const kind = random.int(depth > 3 ? 3 : 5);
  switch (kind) {
    case 0:
      return random.pick([null, true, false]);
    case 1:
      return random.pick([0, -0, 1, -17, 3.25, 1e21, 1e-7, Number.MAX_SAFE_INTEGER]);
    case 2:
    case 3:
      return random.pick(STRINGS) + random.pick(STRINGS);
    case 4:
      return Array.from({ length: random.int(4) }, () => randomValue(random, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: random.int(4) }, (_, i) => [
          random.pick(STRINGS) + i,
          randomValue(random, depth + 1),
        ]),
      );
  }
}

describe('checkJsonValue', () => {
  it.each(testSeeds(5))('measures exactly the UTF-8 bytes of JSON.stringify (seed=%i)', (seed) => {
    const random = new SeededRandom(seed, 'values');
    for (let i = 0; i < 500; i++) {
      const value = randomValue(random);
      const check = checkJsonValue(value);
      expect(check, `seed=${seed} value=${JSON.stringify(value)}`).toMatchObject({
        ok: true,
        bytes: Buffer.byteLength(JSON.stringify(value)),
      });
    }
  });

  it('counts string escapes as JSON.stringify writes them', () => {
    for (const s of STRINGS) expect(jsonStringBytes(s), s).toBe(Buffer.byteLength(JSON.stringify(s)));
  });

  it('counts every character class at its edges as JSON.stringify writes it', () => {
    const codes = [
      [0x08],
      [0x0b],
      [0x0d],
      [0x0e],
      [0x1f],
      [0x20],
      [0x22],
      [0x5c],
      [0x7f],
      [0x80],
      [0x7ff],
      [0x800],
      [0xd7ff],
      [0xd800, 0xdc00],
      [0xdbff, 0xdfff],
      [0xd800, 0xdbff],
      [0xdbff, 0xe000],
      [0xdbff],
      [0xdc00],
      [0xdfff],
      [0xe000],
      [0xffff],
    ];
    for (const code of codes) {
      const s = String.fromCharCode(...code, 0x61);
      expect(jsonStringBytes(s), code.map((c) => c.toString(16)).join(' ')).toBe(
        Buffer.byteLength(JSON.stringify(s)),
      );
    }
  });

  it('reports depth: a scalar is 0, [1] is 1, and any depth is measured without recursion', () => {
    expect(checkJsonValue(1)).toMatchObject({ depth: 0 });
    expect(checkJsonValue([1])).toMatchObject({ depth: 1 });
    expect(checkJsonValue({ a: [1] })).toMatchObject({ depth: 2 });
    expect(checkJsonValue(nested(300_000))).toMatchObject({ ok: true, depth: 300_000 });
  });

  it('refuses at the first limit crossed, saying which', () => {
    expect(checkJsonValue(nested(101), { maxDepth: 100, maxBytes: Infinity })).toEqual({
      ok: false,
      problem: 'the command is nested more than 100 levels deep (maxCommandDepth): flatten it',
    });
    expect(checkJsonValue(nested(100), { maxDepth: 100, maxBytes: Infinity }).ok).toBe(true);
    expect(checkJsonValue('abc', { maxDepth: 1, maxBytes: 5 })).toMatchObject({ ok: true, bytes: 5 });
    expect(checkJsonValue('abcd', { maxDepth: 1, maxBytes: 5 })).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/over 5 bytes as JSON \(maxCommandBytes\)/),
    });
    // Too big is said of the whole command, wherever the walk was.
    expect(checkJsonValue({ a: ['abcdef'] }, { maxDepth: 10, maxBytes: 8 })).toEqual({
      ok: false,
      problem: 'the command is over 8 bytes as JSON (maxCommandBytes): make it smaller',
    });
  });

  it('refuses a cycle as too deep instead of walking forever', () => {
    const cycle: unknown[] = [];
    cycle.push(cycle);
    expect(checkJsonValue(cycle, { maxDepth: 1000, maxBytes: Infinity }).ok).toBe(false);
  });

  it('refuses what a JSON round trip would change, naming where', () => {
    const cases: [unknown, RegExp][] = [
      [undefined, /^the command is undefined/],
      [{ a: [1, undefined] }, /at \.a\[1\] is undefined/],
      [{ f: () => 1 }, /at \.f is a function/],
      [Symbol('s'), /is a symbol/],
      [10n, /is a bigint/],
      [Infinity, /is Infinity/],
      [new Map(), /not a plain object/],
      [{ [Symbol('k')]: 1 }, /symbol keys/],
    ];
    for (const [value, problem] of cases) {
      const check = checkJsonValue(value);
      expect(check.ok).toBe(false);
      if (!check.ok) expect(check.problem).toMatch(problem);
    }
    expect(checkJsonValue(Object.create(null) as object).ok).toBe(true);
  });

  it('shortens a long path in its message to 80 characters, ending in ...', () => {
    const key = 'k'.repeat(100);
    const check = checkJsonValue({ [key]: undefined });
    expect(check).toEqual({
      ok: false,
      problem: `the command at .${key.slice(0, 76)}... is undefined, not a JSON value`,
    });
    expect(checkJsonValue({ [key.slice(0, 79)]: undefined })).toEqual({
      ok: false,
      problem: `the command at .${key.slice(0, 79)} is undefined, not a JSON value`,
    });
  });
});

describe('stringifyJson', () => {
  it.each(testSeeds(5))('writes what JSON.stringify writes (seed=%i)', (seed) => {
    const random = new SeededRandom(seed, 'values');
    for (let i = 0; i < 200; i++) {
      const value = randomValue(random);
      expect(stringifyJson(value)).toBe(JSON.stringify(value));
    }
  });

  it('writes a value too deep for JSON.stringify, and JSON.parse reads it back whole', () => {
    const deep = nested(200_000, { s: 'x"y', u: undefined, n: [undefined, () => 0] });
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    const text = stringifyJson(deep);
    // The text nested() describes: [ and {"k": around the leaf, closed in reverse.
    const opens: string[] = [];
    for (let i = 0; i < 200_000; i++) opens.push(i % 2 === 0 ? '[' : '{"k":');
    const closes = opens.map((open) => (open === '[' ? ']' : '}'));
    const leaf = '{"s":"x\\"y","n":[null,null]}';
    expect(text).toBe(opens.reverse().join('') + leaf + closes.join(''));
    expect(checkJsonValue(JSON.parse(text))).toMatchObject({ ok: true, depth: 200_002 });
  });

  it('calls toJSON in a value too deep for JSON.stringify, with the key, as JSON.stringify does', () => {
    const leaf = {
      d: new Date(0),
      t: { toJSON: (key: string) => `key ${key}` },
      a: [{ toJSON: () => undefined }, Symbol('in an array: null')],
      n: null,
      s: Symbol('a member: omitted'),
    };
    const text = stringifyJson(nested(100_000, leaf));
    const inner = '{"d":"1970-01-01T00:00:00.000Z","t":"key t","a":[null,null],"n":null}';
    expect(text.slice(text.indexOf('{"d"'), text.indexOf('{"d"') + inner.length)).toBe(inner);
    expect(JSON.stringify(leaf)).toBe(inner); // The root's toJSON gets the empty key.
    const root = { toJSON: (key: string) => nested(100_000, `key "${key}"`) };
    expect(stringifyJson(root)).toContain('["key \\"\\""]');
  });

  it('throws what JSON.stringify throws for a value within its depth', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const native = (() => {
      try {
        return JSON.stringify(cycle);
      } catch (error) {
        return error;
      }
    })();
    expect(native).toBeInstanceOf(TypeError);
    expect(() => stringifyJson(cycle)).toThrow((native as TypeError).message);
  });

  it('still refuses a cycle and a bigint, as JSON.stringify does', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = nested(100_000, cycle);
    expect(() => stringifyJson(cycle)).toThrow(/circular/);
    expect(() => stringifyJson(nested(100_000, 1n))).toThrow(/BigInt/);
  });
});

describe('AppendEntries are bounded by bytes as well as entries', () => {
  function leaderWith(entries: LogEntry[], maxBytesPerMessage: number): RaftContext {
    const context = initialContext({
      id: 'a',
      peers: ['b'],
      timing: { heartbeatIntervalMs: 50, electionTimeoutMinMs: 300, electionTimeoutMaxMs: 600 },
      hardState: { currentTerm: 1, votedFor: 'a' },
      log: new ArrayRaftLog(entries),
      limits: { maxEntriesPerMessage: 512, maxInflightEntries: 4096, maxBytesPerMessage },
    });
    return {
      ...context,
      progress: { b: { nextIndex: 1, matchIndex: 0, mode: 'replicate', probeRpcId: null } },
    };
  }
  const big = (i: number): LogEntry => ({ term: 1, command: `${i}`.padEnd(1000, '.') }); // 1002 bytes

  it('sends the entries that fit, then the rest in the next message', () => {
    const context = leaderWith(
      Array.from({ length: 10 }, (_, i) => big(i)),
      3_500,
    );
    const planned = planAppend(context, 'b', 1, 'stream')!;
    expect(planned.message.type === 'AppendEntries' && planned.message.entries.length).toBe(3);
    expect(planned.progress.nextIndex).toBe(4);
  });

  it('sends an entry larger than the bound alone, never nothing', () => {
    const context = leaderWith([big(0), big(1)], 10);
    const planned = planAppend(context, 'b', 1, 'stream')!;
    expect(planned.message.type === 'AppendEntries' && planned.message.entries.length).toBe(1);
  });
});

describe('splitJsonString', () => {
  it('cuts a string into pieces within the byte bound as JSON, whatever their characters', () => {
    const text = 'ab"c\\\u0001é€😀\ud800'.repeat(50);
    for (const max of [1, 6, 7, 64, 1000]) {
      const pieces = splitJsonString(text, max);
      expect(pieces.join('')).toBe(text);
      for (const piece of pieces) {
        // Quotes aside; a piece is one character at least, so a 6-byte escape exceeds a bound of 1.
        const bytes = jsonStringBytes(piece) - 2;
        expect(bytes <= max || [...piece].length === 1, `max=${max} piece=${JSON.stringify(piece)}`).toBe(
          true,
        );
      }
    }
    expect(splitJsonString('😀😀', 5)).toEqual(['😀', '😀']); // a pair is never cut
    expect(splitJsonString('', 10)).toEqual(['']);
  });

  it('cuts only where the next character would not fit: every piece but the last is full', () => {
    expect(splitJsonString('abcdef', 3)).toEqual(['abc', 'def']);
    expect(splitJsonString('abcdefg', 3)).toEqual(['abc', 'def', 'g']);
    expect(splitJsonString('abc', 3)).toEqual(['abc']);
    expect(splitJsonString('abc', 10)).toEqual(['abc']);
    expect(splitJsonString('a"b', 3)).toEqual(['a"', 'b']); // the quote takes 2 bytes escaped
    // A character alone over the bound is a piece of its own, never preceded by an empty one.
    expect(splitJsonString('\u0001a\u0001', 1)).toEqual(['\u0001', 'a', '\u0001']);
  });
});
