/**
 * KvStore as a state machine, alone: every operation, the session table (exactly once,
 * stale, eviction), log entries that are not commands, and snapshots.
 */
import { describe, expect, it } from 'vitest';
import type { KvCommand, KvResult } from '../../src/kv/kv-command.js';
import { parseKvCommand, validateKey, validateSession, validateValue } from '../../src/kv/kv-command.js';
import { InvalidKeyError, InvalidSessionError, InvalidValueError } from '../../src/kv/kv-errors.js';
import { KvStore } from '../../src/kv/kv-store.js';
import { ConfigError } from '../../src/errors.js';

/** Applies commands at indexes 1, 2, 3... (after `from`), returning their results. */
function applyAll(store: KvStore, commands: readonly unknown[], from = store.appliedIndex): KvResult[] {
  return commands.map((command, i) => store.apply(command as KvCommand, from + i + 1));
}

const meta = (index: number) => ({ index, term: 1 });
const s = (client: string, seq: number) => ({ client, seq });

describe('KvStore operations', () => {
  it('put, get, append (a missing key acts as put), delete', () => {
    const store = new KvStore();
    expect(
      applyAll(store, [
        { kv: 'get', key: 'a' },
        { kv: 'put', key: 'a', value: '1' },
        { kv: 'get', key: 'a' },
        { kv: 'append', key: 'a', value: '2' },
        { kv: 'append', key: 'b', value: 'x' },
        { kv: 'put', key: 'a', value: '' },
        { kv: 'get', key: 'a' },
        { kv: 'delete', key: 'a' },
        { kv: 'delete', key: 'a' },
        { kv: 'get', key: 'a' },
      ]),
    ).toEqual([
      { kv: 'get', value: null },
      { kv: 'put' },
      { kv: 'get', value: '1' },
      { kv: 'append' },
      { kv: 'append' },
      { kv: 'put' },
      { kv: 'get', value: '' },
      { kv: 'delete', existed: true },
      { kv: 'delete', existed: false },
      { kv: 'get', value: null },
    ]);
    expect(store.get('a')).toBeNull();
    expect(store.get('b')).toBe('x');
    expect(store.appliedIndex).toBe(10);
  });

  it('cas swaps only when the key holds the expected value; expected null means absent', () => {
    const store = new KvStore();
    expect(
      applyAll(store, [
        { kv: 'cas', key: 'k', expected: 'v', value: 'w' },
        { kv: 'cas', key: 'k', expected: null, value: 'v' },
        { kv: 'cas', key: 'k', expected: null, value: 'z' },
        { kv: 'cas', key: 'k', expected: 'x', value: 'z' },
        { kv: 'cas', key: 'k', expected: 'v', value: 'w' },
      ]),
    ).toEqual([
      { kv: 'cas', swapped: false, value: null },
      { kv: 'cas', swapped: true, value: 'v' },
      { kv: 'cas', swapped: false, value: 'v' },
      { kv: 'cas', swapped: false, value: 'v' },
      { kv: 'cas', swapped: true, value: 'w' },
    ]);
    expect(store.get('k')).toBe('w');
  });

  it('keys are sorted; size counts keys, UTF-8 bytes of keys and values, and sessions', () => {
    const store = new KvStore();
    applyAll(store, [
      { kv: 'put', key: 'b', value: 'é' }, // 1 + 2
      { kv: 'put', key: 'a', value: '12', session: { client: 'c', seq: 1 } }, // 1 + 2
      { kv: 'append', key: 'a', value: '€' }, // + 3
      { kv: 'append', key: 'z', value: '\u{1F600}' }, // 1 + 4
    ]);
    expect(store.keys()).toEqual(['a', 'b', 'z']);
    expect(store.size).toEqual({ keys: 3, bytes: 3 + 6 + 5, sessions: 1 });
    applyAll(store, [
      { kv: 'put', key: 'b', value: 'long value' },
      { kv: 'delete', key: 'z' },
    ]);
    expect(store.size).toEqual({ keys: 2, bytes: 11 + 6, sessions: 1 });
  });

  it('size stays exact when an append joins a surrogate pair split across two values', () => {
    const store = new KvStore();
    const [high, low] = ['\u{1F600}'.charAt(0), '\u{1F600}'.charAt(1)];
    applyAll(store, [
      { kv: 'put', key: 'k', value: `a${high}` },
      { kv: 'append', key: 'k', value: `${low}b` },
    ]);
    expect(store.get('k')).toBe('a\u{1F600}b');
    expect(store.size.bytes).toBe(1 + 1 + 4 + 1);
    const restored = new KvStore();
    restored.restore(store.snapshot(), meta(2));
    expect(restored.size).toEqual(store.size);
  });
});

describe('KvStore log entries that are not commands', () => {
  const junk: unknown[] = [
    null,
    'put a 1',
    42,
    [],
    {},
    { kv: 'set', key: 'a', value: '1' },
    { kv: 'put', key: 'a' },
    { kv: 'put', key: '', value: '1' },
    { kv: 'put', key: 'a\nb', value: '1' },
    { kv: 'put', key: 'a', value: 1 },
    { kv: 'put', key: 'a', value: '1', extra: true },
    { kv: 'put', key: 'a', value: '1', session: { client: 'c', seq: 0 } },
    { kv: 'put', key: 'a', value: '1', session: { client: '', seq: 1 } },
    { kv: 'put', key: 'a', value: '1', session: { client: 'c', seq: 1.5 } },
    { kv: 'put', key: 'a', value: '1', session: null },
    { kv: 'cas', key: 'a', value: '1' },
    { kv: 'cas', key: 'a', expected: 3, value: '1' },
    { kv: 'get', key: 'x'.repeat(1025) },
  ];

  it('are applied as nothing, with a message, and change neither data nor sessions', () => {
    const store = new KvStore();
    applyAll(store, [{ kv: 'put', key: 'a', value: 'kept', session: { client: 'c', seq: 1 } }]);
    const before = store.snapshot();
    const results = applyAll(store, junk);
    for (const [i, result] of results.entries()) {
      expect(result.kv, `entry ${JSON.stringify(junk[i])}`).toBe('invalid');
      expect((result as { message: string }).message).toMatch(/^the /);
    }
    expect(store.snapshot()).toBe(before);
    expect(store.appliedIndex).toBe(1 + junk.length);
  });

  it('parseKvCommand never throws and keeps only the fields of a command', () => {
    const hostile = { kv: 'put', key: 'a', value: 'v' };
    Object.defineProperty(hostile, 'session', { get: () => ({ client: 'c', seq: 2 }), enumerable: true });
    expect(parseKvCommand(hostile)).toEqual({
      kv: 'put',
      key: 'a',
      value: 'v',
      session: { client: 'c', seq: 2 },
    });
    expect(parseKvCommand(Object.create(null))).toHaveProperty('invalid');
    expect(parseKvCommand({ kv: '__proto__', key: 'a' })).toHaveProperty('invalid');
    expect(
      parseKvCommand({ kv: 'put', key: 'a', value: 'v', session: { client: 'c', seq: 1, x: 1 } }),
    ).toEqual({
      invalid: 'the session has an unknown field "x": give only client and seq',
    });
  });
});

describe('key, value and session checks', () => {
  it('a key is 1..1024 bytes of UTF-8 with no control characters', () => {
    for (const key of ['a', 'x'.repeat(1024), 'é'.repeat(512), 'a/b c?d', '\u{1F600}', 'DEL~']) {
      expect(() => validateKey(key)).not.toThrow();
    }
    const refused: [unknown, RegExp][] = [
      ['', /empty/],
      ['x'.repeat(1025), /1025 bytes of UTF-8, over the 1024 allowed: shorten it/],
      ['é'.repeat(513), /1026 bytes/],
      ['a\u0000', /U\+0000 at position 1/],
      ['\u001f', /U\+001F/],
      ['a\u007f', /U\+007F/],
      ['\ud800x', /lone surrogate at position 0/],
      [7, /the key is 7, not a string/],
      [undefined, /the key is missing/],
    ];
    for (const [key, message] of refused) {
      expect(() => validateKey(key)).toThrow(InvalidKeyError);
      expect(() => validateKey(key)).toThrow(message);
    }
    expect(() => validateKey('')).toThrow(/nothing was proposed/);
  });

  it('a value is any string; a session is { client, seq >= 1 }', () => {
    expect(() => validateValue('')).not.toThrow();
    expect(() => validateValue('\u0000\n')).not.toThrow();
    expect(() => validateValue(null)).toThrow(InvalidValueError);
    expect(() => validateValue({})).toThrow(/the value is a object, not a string: send text/);
    expect(() => validateSession({ client: 'c', seq: 1 })).not.toThrow();
    expect(() => validateSession({ client: 'c', seq: 0 })).toThrow(InvalidSessionError);
    expect(() => validateSession({ client: 'x'.repeat(257), seq: 1 })).toThrow(/over the 256 allowed/);
    expect(() => validateSession('c:1')).toThrow(/not an object \{ client, seq \}/);
  });
});

describe('KvStore client sessions', () => {
  it('a retried request (same seq) returns the cached result and applies once', () => {
    const store = new KvStore();
    const results = applyAll(store, [
      { kv: 'append', key: 'k', value: 'x', session: s('c', 1) },
      { kv: 'append', key: 'k', value: 'x', session: s('c', 1) }, // a retry of the same request
      { kv: 'cas', key: 'k', expected: 'x', value: 'y', session: s('c', 2) },
      { kv: 'cas', key: 'k', expected: 'x', value: 'y', session: s('c', 2) }, // would fail if applied again
      { kv: 'delete', key: 'k', session: s('c', 3) },
      { kv: 'delete', key: 'k', session: s('c', 3) },
      { kv: 'append', key: 'k', value: 'z', session: s('d', 1) }, // another client's own seq 1
    ]);
    expect(results).toEqual([
      { kv: 'append' },
      { kv: 'append' },
      { kv: 'cas', swapped: true, value: 'y' },
      { kv: 'cas', swapped: true, value: 'y' },
      { kv: 'delete', existed: true },
      { kv: 'delete', existed: true },
      { kv: 'append' },
    ]);
    expect(store.get('k')).toBe('z');
    expect(store.lastSeq('c')).toBe(3);
    expect(store.lastSeq('d')).toBe(1);
  });

  it('an older seq is stale and applies nothing; seqs may skip; requests without a session always apply', () => {
    const store = new KvStore();
    const results = applyAll(store, [
      { kv: 'put', key: 'k', value: 'a', session: s('c', 5) },
      { kv: 'put', key: 'k', value: 'b', session: s('c', 4) },
      { kv: 'get', key: 'k', session: s('c', 1) },
      { kv: 'put', key: 'k', value: 'c', session: s('c', 9) },
      { kv: 'append', key: 'k', value: '!' },
      { kv: 'append', key: 'k', value: '!' },
    ]);
    expect(results).toEqual([
      { kv: 'put' },
      { kv: 'stale', lastSeq: 5 },
      { kv: 'stale', lastSeq: 5 },
      { kv: 'put' },
      { kv: 'append' },
      { kv: 'append' },
    ]);
    expect(store.get('k')).toBe('c!!');
    expect(store.lastSeq('c')).toBe(9);
  });

  it('a get through the log with a session caches its answer: a retry sees the value it first read', () => {
    const store = new KvStore();
    const results = applyAll(store, [
      { kv: 'put', key: 'k', value: 'old' },
      { kv: 'get', key: 'k', session: s('r', 1) },
      { kv: 'put', key: 'k', value: 'new' },
      { kv: 'get', key: 'k', session: s('r', 1) },
    ]);
    expect(results[3]).toEqual({ kv: 'get', value: 'old' });
  });

  it('exactly once survives a snapshot and restore', () => {
    const store = new KvStore();
    applyAll(store, [
      { kv: 'append', key: 'k', value: 'x', session: s('c', 1) },
      { kv: 'append', key: 'k', value: 'y', session: s('d', 7) },
    ]);
    const restored = new KvStore();
    restored.restore(store.snapshot(), meta(2));
    expect(restored.appliedIndex).toBe(2);
    const results = applyAll(restored, [
      { kv: 'append', key: 'k', value: 'x', session: s('c', 1) },
      { kv: 'append', key: 'k', value: 'y', session: s('d', 6) },
      { kv: 'append', key: 'k', value: 'y', session: s('d', 7) },
      { kv: 'append', key: 'k', value: 'z', session: s('c', 2) },
    ]);
    expect(results).toEqual([
      { kv: 'append' },
      { kv: 'stale', lastSeq: 7 },
      { kv: 'append' },
      { kv: 'append' },
    ]);
    expect(restored.get('k')).toBe('xyz');
    expect(restored.appliedIndex).toBe(6);
  });

  it('the table is bounded: it forgets the client whose last request is oldest, the same on every replica', () => {
    const commands: KvCommand[] = [];
    // Clients a, b, c write; a writes again (now the newest); d arrives: b is the oldest.
    for (const [client, seq] of [
      ['a', 1],
      ['b', 1],
      ['c', 1],
      ['a', 2],
      ['d', 1],
    ] as const) {
      commands.push({ kv: 'append', key: 'k', value: `${client}${seq}`, session: s(client, seq) });
    }
    const one = new KvStore({ maxClients: 3 });
    applyAll(one, commands.slice(0, 3));
    // A second replica catches up from a snapshot mid-way, then applies the rest.
    const two = new KvStore({ maxClients: 3 });
    two.restore(one.snapshot(), meta(3));
    applyAll(one, commands.slice(3));
    applyAll(two, commands.slice(3));
    for (const store of [one, two]) {
      expect(store.size.sessions).toBe(3);
      expect(['a', 'b', 'c', 'd'].map((c) => store.lastSeq(c))).toEqual([2, 0, 1, 1]);
    }
    expect(two.snapshot()).toBe(one.snapshot());
    // b forgotten: its retry of seq 1 applies again (why the bound must exceed the live clients).
    expect(one.apply({ kv: 'append', key: 'k', value: 'b1', session: s('b', 1) }, 6)).toEqual({
      kv: 'append',
    });
    expect(one.lastSeq('c')).toBe(0); // c was then the oldest
    expect(one.get('k')).toBe('a1b1c1a2d1b1');
  });

  it('the default bound is 10,000 clients; a bound must be a whole number >= 1', () => {
    const store = new KvStore();
    for (let i = 1; i <= 10_001; i++)
      store.apply({ kv: 'put', key: 'k', value: '', session: s(`c${i}`, 1) }, i);
    expect(store.size.sessions).toBe(10_000);
    expect(store.lastSeq('c1')).toBe(0);
    expect(store.lastSeq('c2')).toBe(1);
    expect(() => new KvStore({ maxClients: 0 })).toThrow(ConfigError);
    expect(() => new KvStore({ maxClients: 1.5 })).toThrow(/maxClients is 1.5/);
  });

  it('a restore keeps the newest sessions when the snapshot holds more than the bound', () => {
    const big = new KvStore();
    applyAll(
      big,
      ['a', 'b', 'c'].map((client) => ({ kv: 'put', key: 'k', value: client, session: s(client, 1) })),
    );
    const small = new KvStore({ maxClients: 2 });
    small.restore(big.snapshot(), meta(3));
    expect(['a', 'b', 'c'].map((c) => small.lastSeq(c))).toEqual([0, 1, 1]);
  });
});

describe('KvStore snapshots', () => {
  it('hold the state only: one key and five sessions take well under 500 bytes', () => {
    const store = new KvStore();
    // The course's snapshot-size test: 200 rounds of put x 0 / get / put x 1 / get, through sessions.
    let seq = 0;
    for (let round = 0; round < 200; round++) {
      for (const value of ['0', '1']) {
        store.apply({ kv: 'put', key: 'x', value, session: s(`client-${round % 5}`, ++seq) }, seq);
      }
    }
    const snapshot = store.snapshot();
    const bytes = Buffer.byteLength(snapshot);
    console.log(
      `KvStore snapshot, 1 key + ${store.size.sessions} sessions after 400 puts: ${bytes} bytes: ${snapshot}`,
    );
    expect(store.size).toEqual({ keys: 1, bytes: 2, sessions: 5 });
    expect(bytes).toBeLessThan(500);
    expect(bytes).toBeLessThan(250);
  });

  it('restore gives back the same state, and replaces what the store held', () => {
    const store = new KvStore();
    applyAll(store, [
      { kv: 'put', key: 'a', value: '1' },
      { kv: 'put', key: 'quote"\\', value: 'é\n\u0000', session: { client: 'c', seq: 3 } },
      { kv: 'delete', key: 'a', session: { client: 'd', seq: 1 } },
      { kv: 'put', key: '__proto__', value: 'p' },
    ]);
    const target = new KvStore();
    applyAll(target, [{ kv: 'put', key: 'gone', value: 'x', session: { client: 'e', seq: 1 } }]);
    target.restore(store.snapshot(), meta(40));
    expect(target.keys()).toEqual(store.keys());
    expect(target.get('quote"\\')).toBe('é\n\u0000');
    expect(target.get('__proto__')).toBe('p');
    expect(target.get('gone')).toBeNull();
    expect(target.lastSeq('e')).toBe(0);
    expect(target.size).toEqual(store.size);
    expect(target.appliedIndex).toBe(40);
    expect(target.snapshot()).toBe(store.snapshot());
    expect(target.apply({ kv: 'delete', key: 'a', session: { client: 'd', seq: 1 } }, 41)).toEqual({
      kv: 'delete',
      existed: true,
    });
  });

  it('restore refuses a malformed snapshot with a TypeError that says what is wrong, changing nothing', () => {
    const store = new KvStore();
    applyAll(store, [{ kv: 'put', key: 'k', value: 'v', session: { client: 'c', seq: 1 } }]);
    const before = store.snapshot();
    const ok = { v: 1, data: [['k', 'v']], sessions: [['c', 1, { kv: 'put' }]] };
    const bad: [string, RegExp][] = [
      ['not json', /is JSON text, and this is not/],
      ['[]', /a JSON object \{ v: 1, data, sessions \}/],
      ['null', /a JSON object/],
      [JSON.stringify(['k', 'v']), /a JSON object/],
      [JSON.stringify({ ...ok, v: 2 }), /version 2; this version reads version 1 only/],
      [JSON.stringify({ data: [], sessions: [] }), /version undefined/],
      [JSON.stringify({ ...ok, data: {} }), /"data" is an array of \[key, value\] pairs/],
      [JSON.stringify({ ...ok, data: [['k']] }), /data pair 0 is not \[key, value\]/],
      [JSON.stringify({ ...ok, data: [['k', 1]] }), /data pair 0 has a value that is not a string/],
      [JSON.stringify({ ...ok, data: [['', 'v']] }), /data pair 0: the key is empty/],
      [
        JSON.stringify({
          ...ok,
          data: [
            ['k', 'v'],
            ['k', 'w'],
          ],
        }),
        /data pair 1 repeats the key "k"/,
      ],
      [JSON.stringify({ ...ok, sessions: null }), /"sessions" is an array of \[client, seq, result\]/],
      [JSON.stringify({ ...ok, sessions: [['c', 1]] }), /session entry 0 is not \[client, seq, result\]/],
      [
        JSON.stringify({ ...ok, sessions: [['c', 0, { kv: 'put' }]] }),
        /session entry 0: the session's seq is 0/,
      ],
      [
        JSON.stringify({ ...ok, sessions: [['c', 1, { kv: 'put', x: 1 }]] }),
        /entry 0 holds a result that is not/,
      ],
      [
        JSON.stringify({ ...ok, sessions: [['c', 1, { kv: 'stale', lastSeq: 1 }]] }),
        /not an applied command's/,
      ],
      [
        JSON.stringify({
          ...ok,
          sessions: [
            ['c', 1, { kv: 'put' }],
            ['c', 2, { kv: 'put' }],
          ],
        }),
        /session entry 1 repeats client "c"/,
      ],
    ];
    for (const [snapshot, message] of bad) {
      expect(() => store.restore(snapshot, meta(9)), snapshot).toThrow(TypeError);
      expect(() => store.restore(snapshot, meta(9)), snapshot).toThrow(message);
    }
    expect(store.snapshot()).toBe(before);
    expect(store.appliedIndex).toBe(1);
    store.restore(JSON.stringify(ok), meta(9));
    expect(store.snapshot()).toBe(JSON.stringify(ok));
  });

  it('every result kind a session may cache survives a restore', () => {
    const store = new KvStore();
    const commands: KvCommand[] = [
      { kv: 'put', key: 'k', value: 'v', session: { client: 'a', seq: 1 } },
      { kv: 'append', key: 'k', value: 'v', session: { client: 'b', seq: 1 } },
      { kv: 'get', key: 'k', session: { client: 'c', seq: 1 } },
      { kv: 'get', key: 'none', session: { client: 'd', seq: 1 } },
      { kv: 'delete', key: 'none', session: { client: 'e', seq: 1 } },
      { kv: 'cas', key: 'k', expected: null, value: 'w', session: { client: 'f', seq: 1 } },
      { kv: 'cas', key: 'none', expected: null, value: 'w', session: { client: 'g', seq: 1 } },
    ];
    const results = applyAll(store, commands);
    const restored = new KvStore();
    restored.restore(store.snapshot(), meta(7));
    expect(applyAll(restored, commands)).toEqual(results);
  });
});
