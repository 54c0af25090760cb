/** The timer tap names each timer by the delay asked for it, in order (src/node/timer-tap.ts). */
import { describe, expect, it } from 'vitest';
import { TimerTap } from '../../src/node/timer-tap.js';
import { SimClock } from '../../src/sim/sim-clock.js';

describe('TimerTap', () => {
  it('names two timers of one step by their delays, in the order the delays were asked for', () => {
    const tap = new TimerTap(new SimClock(), () => {});
    // XState asks for every delay of a step before it schedules the first timer.
    tap.expect('electionTimeout');
    tap.expect('leaderLease');
    tap.setTimeout(() => {}, 426);
    tap.setTimeout(() => {}, 300);
    expect(tap.pending().map(({ kind, deadline }) => [kind, deadline])).toEqual([
      ['electionTimeout', 426],
      ['leaderLease', 300],
    ]);
  });

  it('forgets a delay asked for and never scheduled, so it names no later timer', () => {
    const tap = new TimerTap(new SimClock(), () => {});
    tap.expect('leaderLease');
    tap.forgetExpected();
    tap.expect('heartbeatInterval');
    tap.setTimeout(() => {}, 50);
    expect(tap.pending().map(({ kind }) => kind)).toEqual(['heartbeatInterval']);
  });
});
