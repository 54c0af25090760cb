/**
 * The search's data structures alone: the entry list's order and lift/unlift, the
 * linearized set's canonical records (the memo's keys), and the memo table.
 */
import { describe, expect, it } from 'vitest';
import { CALL, EXPIRY, EntryList, RETURN } from '../../src/check/entry-list.js';
import { LinearizedSet } from '../../src/check/linearized-set.js';
import { MemoTable } from '../../src/check/memo-table.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';

function walk(list: EntryList): string[] {
  const seen: string[] = [];
  for (let e = list.next[EntryList.HEAD]!; e !== list.tail; e = list.next[e]!) {
    const kind = list.kind[e] === CALL ? 'call' : list.kind[e] === RETURN ? 'ret' : 'exp';
    seen.push(`${kind}${list.op[e]}`);
  }
  return seen;
}

describe('EntryList', () => {
  it('orders events by time, calls before returns at equal times', () => {
    const list = new EntryList([0, 5, 5, 2], [5, 9, undefined, 4], [false, false, true, false]);
    expect(walk(list)).toEqual(['call0', 'call3', 'ret3', 'call1', 'call2', 'ret0', 'ret1']);
    const expiring = new EntryList([0, 1], [3, 3], [false, true]);
    expect(walk(expiring)).toEqual(['call0', 'call1', 'ret0', 'exp1']);
    expect(expiring.kind[4]).toBe(EXPIRY);
  });

  it('lift takes out a call and its end; unlifts in reverse order restore the list', () => {
    const random = new SeededRandom(3, 'entry-list');
    const calls = Array.from({ length: 30 }, () => random.int(50));
    const ends = calls.map((call) => (random.chance(1, 5) ? undefined : call + random.int(10)));
    const list = new EntryList(
      calls,
      ends,
      ends.map(() => false),
    );
    const original = walk(list);
    const lifted: number[] = [];
    for (let round = 0; round < 200; round++) {
      const calls = [];
      for (let e = list.next[EntryList.HEAD]!; e !== list.tail; e = list.next[e]!) {
        if (list.kind[e] === CALL) calls.push(e);
      }
      if (calls.length > 0 && (lifted.length === 0 || random.chance(2, 3))) {
        const call = random.pick(calls);
        list.lift(call);
        lifted.push(call);
        expect(walk(list)).not.toContain(`call${list.op[call]}`);
        expect(walk(list)).not.toContain(`ret${list.op[call]}`);
      } else if (lifted.length > 0) list.unlift(lifted.pop()!);
    }
    while (lifted.length > 0) list.unlift(lifted.pop()!);
    expect(walk(list)).toEqual(original);
  });
});

describe('LinearizedSet', () => {
  const returned = 100;
  const open = 40;

  function build(members: readonly number[]): LinearizedSet {
    const set = new LinearizedSet(returned, open);
    for (const op of members) set.add(op);
    return set;
  }

  function record(set: LinearizedSet): Uint32Array {
    const pool = new Uint32Array(set.recordLength());
    set.writeRecord(pool, 0);
    return pool;
  }

  it('keeps lo, hi and the hash canonical through random adds and removes', () => {
    const random = new SeededRandom(5, 'linearized-set');
    const set = new LinearizedSet(returned, open);
    const members = new Set<number>();
    let maxLo = 0;
    for (let step = 0; step < 5000; step++) {
      // As the search does: mostly fill the lowest gap, sometimes undo or jump, so lo moves both ways.
      const roll = random.int(99);
      let op = random.int(returned + open - 1);
      if (roll < 55) {
        op = 0;
        while (members.has(op)) op++;
      } else if (roll < 85 && members.size > 0) {
        op = random.pick([...members]);
      }
      if (members.has(op)) {
        set.remove(op);
        members.delete(op);
      } else if (op < returned + open) {
        set.add(op);
        members.add(op);
      }
      maxLo = Math.max(maxLo, set.lo);
      const fresh = build([...members].sort((a, b) => b - a));
      expect(set.lo).toBe(fresh.lo);
      expect(set.hi).toBe(fresh.hi);
      expect(set.hash).toBe(fresh.hash);
      expect(record(set)).toEqual(record(fresh));
      for (const probe of [op, random.int(returned + open - 1)])
        expect(set.has(probe)).toBe(members.has(probe));
    }
    expect(maxLo).toBeGreaterThanOrEqual(2);
  });

  it('covers a record with the same returned part and a subset of its open part', () => {
    const base = [...Array.from({ length: 40 }, (_, i) => i), 45, 77];
    const a = build([...base, returned + 3]);
    const stored = record(a);
    expect(build([...base, returned + 3]).coversRecord(stored, 0)).toBe(true);
    expect(build([...base, returned + 3, returned + 39]).coversRecord(stored, 0)).toBe(true);
    expect(build(base).coversRecord(stored, 0)).toBe(false);
    expect(build([...base, returned + 4]).coversRecord(stored, 0)).toBe(false);
    expect(build([...base, 46, returned + 3]).coversRecord(stored, 0)).toBe(false);
    expect(build([...base.filter((op) => op !== 7), returned + 3]).coversRecord(stored, 0)).toBe(false);
    // The hash is the returned part's: open members do not change it.
    expect(build([...base, returned + 3]).hash).toBe(build(base).hash);
  });

  it('records a long dense prefix in a few words', () => {
    const set = build(Array.from({ length: 96 }, (_, i) => i));
    expect(set.lo).toBe(3);
    expect(set.recordLength()).toBe(2 + 0 + 2); // lo, hi, no mixed word (hi = lo = 3), two open words
    set.add(96);
    expect(set.recordLength()).toBe(2 + 1 + 2);
  });
});

describe('MemoTable', () => {
  it('adds a (set, state) pair once, telling pairs apart by members and state, through growth', () => {
    const memo = new MemoTable<string>((a, b) => a === b);
    const sets = Array.from({ length: 3000 }, (_, i) => {
      const set = new LinearizedSet(64, 0);
      for (let bit = 0; bit < 12; bit++) if ((i >> bit) & 1) set.add(bit * 5);
      return set;
    });
    const key = (set: LinearizedSet) => set.hash;
    for (const [i, set] of sets.entries()) expect(memo.add(set, key(set), `s${i % 7}`)).toBe(true);
    for (const [i, set] of sets.entries()) expect(memo.add(set, key(set), `s${i % 7}`)).toBe(false);
    for (const [i, set] of sets.entries()) expect(memo.add(set, key(set), `t${i % 7}`)).toBe(true);
    expect(memo.size).toBe(6000);
  });
});
