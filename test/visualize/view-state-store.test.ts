import { describe, expect, it } from 'vitest';
import { summary } from './view-state-fixtures.js';
import type { NodeId } from '../../machines/index.js';
import type { InspectEvent, NodeSummary } from '../../src/inspect/inspect-event.js';
import { DisplayClock } from '../../visualize/src/display-clock.js';
import { CHECKPOINT_EVERY, EventStore } from '../../visualize/src/event-store.js';
import { reduceView } from '../../visualize/src/view-state.js';
import type { ViewEvent } from '../../visualize/src/view-state.js';

const ids = ['0', '1', '2'];

/** A follower in `term` whose log holds entries of `logTerms`. */
function logOf(term: number, logTerms: readonly number[]): NodeSummary {
  return summary({ term, logTerms, lastLogIndex: logTerms.length });
}

/** A long stream: steps on every node, a term change every 50 events, timers in between. */
function stream(count: number): ViewEvent[] {
  const events: ViewEvent[] = ids.map((node): InspectEvent => ({
    type: 'nodeUp',
    at: 0,
    node,
    summary: logOf(0, []),
  }));
  for (let i = events.length; i < count; i++) {
    const node: NodeId = ids[i % ids.length]!;
    const term = Math.floor(i / 50);
    events.push(
      i % 4 === 0
        ? { type: 'timer', at: i, node, timer: 'electionTimeout', deadline: i + 300 }
        : {
            type: 'step',
            at: i,
            node,
            event: 'AppendEntries',
            transitions: [],
            summary: logOf(term, [1, 1, term]),
          },
    );
  }
  return events;
}

describe('event store', () => {
  it('gives the state after any number of events, equal to reducing them from the start', () => {
    const events = stream(CHECKPOINT_EVERY * 3 + 17);
    const store = new EventStore(ids);
    for (const event of events) store.push(event);
    expect(store.count).toBe(events.length);
    for (const count of [
      0,
      1,
      5,
      CHECKPOINT_EVERY,
      CHECKPOINT_EVERY + 1,
      2 * CHECKPOINT_EVERY - 1,
      events.length,
    ]) {
      expect(store.stateAt(count)).toEqual(reduceView(ids, events, count));
    }
    expect(store.stateAt(events.length)).toBe(store.head);
  });

  it('finds how many events happened by a time', () => {
    const store = new EventStore(ids);
    for (const event of stream(100)) store.push(event);
    expect(store.countAt(-1)).toBe(0);
    expect(store.countAt(0)).toBe(3); // the three nodeUp at 0
    expect(store.countAt(10)).toBe(11);
    expect(store.countAt(1e9)).toBe(100);
    expect(store.span()).toEqual({ from: 0, to: 99 });
  });

  it('counts by time over events a little out of order (live feeds stamp them by their own clocks)', () => {
    const store = new EventStore(ids);
    for (const [node, at] of [
      ['0', 10],
      ['1', 8],
      ['2', 12],
      ['0', 11],
    ] as const) {
      store.push({ type: 'timer', at, node, timer: 'electionTimeout', deadline: at + 300 });
    }
    expect([store.countAt(9), store.countAt(10), store.countAt(11), store.countAt(12)]).toEqual([0, 2, 2, 4]);
    expect(store.span()).toEqual({ from: 10, to: 12 });
  });

  it('keeps the timeline as events come', () => {
    const store = new EventStore(ids);
    for (const event of stream(10)) store.push(event);
    expect(store.timeline.map((entry) => entry.text)).toEqual([
      't=0.000s node 0 up term 0',
      't=0.000s node 1 up term 0',
      't=0.000s node 2 up term 0',
    ]);
  });

  it('shares a log window equal to the node’s previous one', () => {
    const store = new EventStore(ids);
    const first = logOf(1, [1, 1]);
    store.push({ type: 'nodeUp', at: 0, node: '0', summary: first });
    store.push({ type: 'step', at: 1, node: '0', event: 'x', transitions: [], summary: logOf(1, [1, 1]) });
    expect(store.head.nodes['0']!.summary!.logTerms).toBe(first.logTerms);
    store.push({
      type: 'step',
      at: 2,
      node: '0',
      event: 'x',
      transitions: [],
      summary: logOf(1, [1, 1, 1]),
    });
    expect(store.head.nodes['0']!.summary!.logTerms).toEqual([1, 1, 1]);
  });

  it('forgets the oldest events of a very long run, a block at a time, and still scrubs what it kept', () => {
    const events = stream(CHECKPOINT_EVERY * 9 + 5);
    const store = new EventStore(ids, { maxEvents: 1, checkpointsForgotten: 2 });
    for (const event of events) store.push(event);
    // Two checkpoints' worth forgotten each time more than four are kept.
    expect(store.first).toBe(CHECKPOINT_EVERY * 6);
    expect(store.count).toBe(events.length);
    expect(store.event(store.first)).toBe(events[store.first]);
    expect(store.stateAt(store.first + 300)).toEqual(reduceView(ids, events, store.first + 300));
    expect(store.stateAt(0).count).toBe(store.first); // clamped to what is kept
    expect(store.timeline.every((entry) => entry.index >= store.first)).toBe(true);
  });
});

describe('display clock', () => {
  it('runs on between the source’s reports at its speed, at most a quarter second ahead', () => {
    const clock = new DisplayClock();
    expect(clock.sample(1000, 500, 2, true)).toBe(500);
    expect(clock.sample(1100, 500, 2, true)).toBe(700);
    expect(clock.sample(2000, 500, 2, true)).toBe(1000); // 250 ms real at 2x, then it waits
    expect(clock.sample(2010, 900, 2, true)).toBe(1000); // never backwards while running
    expect(clock.sample(2300, 900, 2, true)).toBe(1400);
  });

  it('stands exactly at the source’s time while paused, and follows a clock that went back', () => {
    const clock = new DisplayClock();
    clock.sample(0, 100, 1, true);
    expect(clock.sample(200, 100, 1, true)).toBe(300);
    expect(clock.sample(210, 120, 1, false)).toBe(120);
    expect(clock.sample(220, 10_000, 1, true)).toBe(10_000);
    expect(clock.sample(230, 5, 1, true)).toBe(5); // a new run
    expect(clock.sample(240, 5, 1, true)).toBe(15);
  });
});
