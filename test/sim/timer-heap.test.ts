/** The simulated clock's queue: a min-heap ordered by (due time, sequence number). */
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import type { SimTimer } from '../../src/sim/timer-heap.js';
import { TimerHeap } from '../../src/sim/timer-heap.js';

function timer(due: number, seq: number): SimTimer {
  return { due, seq, callback: () => {}, cancelled: false };
}

/** Pops until the heap is empty; returns the timers in the order popped. */
function popAll(heap: TimerHeap): SimTimer[] {
  const popped: SimTimer[] = [];
  for (let t = heap.pop(); t !== undefined; t = heap.pop()) popped.push(t);
  return popped;
}

/** Pops until the heap is empty; returns [due, seq] of each timer in the order popped. */
function drain(heap: TimerHeap): Array<[number, number]> {
  return popAll(heap).map((t) => [t.due, t.seq]);
}

function byDueThenSeq(a: SimTimer, b: SimTimer): number {
  return a.due - b.due || a.seq - b.seq;
}

describe('TimerHeap', () => {
  it('is empty at first: size 0, peek and pop give undefined', () => {
    const heap = new TimerHeap();
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
    expect(heap.pop()).toBeUndefined();
    expect(heap.size).toBe(0);
  });

  it('hands back the very timer objects it was given', () => {
    const heap = new TimerHeap();
    const a = timer(5, 1);
    heap.push(a);
    expect(heap.peek()).toBe(a);
    expect(heap.size).toBe(1);
    expect(heap.pop()).toBe(a);
    expect(heap.size).toBe(0);
    expect(heap.pop()).toBeUndefined();
  });

  it('pops in order of due time, whatever the push order', () => {
    const heap = new TimerHeap();
    for (const [due, seq] of [
      [30, 1],
      [10, 2],
      [50, 3],
      [20, 4],
      [40, 5],
    ] as const) {
      heap.push(timer(due, seq));
    }
    expect(heap.size).toBe(5);
    expect(heap.peek()).toMatchObject({ due: 10, seq: 2 });
    expect(drain(heap)).toEqual([
      [10, 2],
      [20, 4],
      [30, 1],
      [40, 5],
      [50, 3],
    ]);
  });

  it('breaks ties on due time by sequence number, lowest first', () => {
    const heap = new TimerHeap();
    for (const seq of [7, 3, 9, 1, 5, 2, 8, 4, 6]) heap.push(timer(100, seq));
    heap.push(timer(99, 10));
    heap.push(timer(101, 0));
    const tiedAt100 = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((seq) => [100, seq]);
    expect(drain(heap)).toEqual([[99, 10], ...tiedAt100, [101, 0]]);
  });

  it('keeps FIFO order for equal due times when sequence numbers grow with pushes', () => {
    const heap = new TimerHeap();
    const pushed: SimTimer[] = [];
    for (let seq = 1; seq <= 50; seq++) {
      const t = timer(seq % 3, seq);
      pushed.push(t);
      heap.push(t);
    }
    const popped = popAll(heap);
    expect(popped).toEqual([...pushed].sort(byDueThenSeq));
    expect(popped.filter((t) => t.due === 1).map((t) => t.seq)).toEqual(
      pushed.filter((t) => t.due === 1).map((t) => t.seq),
    );
  });

  it('matches a sorted reference over many random pushes (with many ties)', () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      const random = new SeededRandom(seed, 'timer-heap');
      const heap = new TimerHeap();
      const reference: SimTimer[] = [];
      const count = 500 + random.int(500);
      for (let seq = 1; seq <= count; seq++) {
        const t = timer(random.int(60), seq);
        heap.push(t);
        reference.push(t);
      }
      expect(heap.size).toBe(count);
      reference.sort(byDueThenSeq);
      const popped = popAll(heap);
      expect(popped).toHaveLength(count);
      for (let i = 0; i < count; i++) expect(popped[i]).toBe(reference[i]);
      expect(heap.size).toBe(0);
    }
  });

  it('matches a sorted reference when pushes and pops interleave at random', () => {
    for (const seed of [7, 8, 9]) {
      const random = new SeededRandom(seed, 'timer-heap-interleaved');
      const heap = new TimerHeap();
      let reference: SimTimer[] = [];
      let seq = 0;
      for (let step = 0; step < 3000; step++) {
        if (reference.length === 0 || random.int(2) > 0) {
          const t = timer(random.int(1000), ++seq);
          heap.push(t);
          reference.push(t);
        } else {
          reference.sort(byDueThenSeq);
          const expected = reference[0];
          reference = reference.slice(1);
          expect(heap.peek()).toBe(expected);
          expect(heap.pop()).toBe(expected);
        }
        expect(heap.size).toBe(reference.length);
      }
      reference.sort(byDueThenSeq);
      for (const expected of reference) expect(heap.pop()).toBe(expected);
      expect(heap.pop()).toBeUndefined();
    }
  });

  it('orders negative and fractional due times too', () => {
    const heap = new TimerHeap();
    heap.push(timer(0.5, 1));
    heap.push(timer(-1, 2));
    heap.push(timer(0, 3));
    heap.push(timer(0.25, 4));
    expect(drain(heap)).toEqual([
      [-1, 2],
      [0, 3],
      [0.25, 4],
      [0.5, 1],
    ]);
  });
});
