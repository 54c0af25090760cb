/** The shrinker, on a stand-in for a run: it keeps what the failure needs and nothing else. */
import { describe, expect, it } from 'vitest';
import type { RunFailed, RunOutcome } from './outcome.js';
import type { FuzzEvent, FuzzSchedule } from './schedule.js';
import { generateSchedule } from './schedule.js';
import { shrinkSchedule } from './shrink.js';

const base = generateSchedule(5, { durationMs: 10_000 });
const crash: FuzzEvent = { kind: 'crash', id: '1', at: 4000, steps: 2 };
const heal: FuzzEvent = { kind: 'heal', at: 6000, steps: 0 };
/** The seed's events with the two that matter mixed in. */
const schedule: FuzzSchedule = {
  ...base,
  events: [...base.events, crash, heal].sort((a, b) => a.at - b.at),
};

function failed(at: number, kind: RunFailed['kind'] = 'invariant'): RunFailed {
  return { ok: false, kind, message: `boom at ${at}`, at, recent: [] };
}

const passed: RunOutcome = { ok: true, at: 0, proposals: 0, recoveryMs: 0, term: 1 };

/** Fails (at the heal) when the schedule holds the crash of 1 and a later heal. */
async function needsCrashThenHeal(candidate: FuzzSchedule): Promise<RunOutcome> {
  const crashAt = candidate.events.find((e) => e.kind === 'crash' && e.id === '1')?.at;
  const healAt = candidate.events.find(
    (e) => e.kind === 'heal' && crashAt !== undefined && e.at > crashAt,
  )?.at;
  return healAt === undefined ? passed : failed(healAt);
}

describe('shrinkSchedule', () => {
  it('removes every event the failure does not need, and drops extra steps', async () => {
    const first = await needsCrashThenHeal(schedule);
    expect(first.ok).toBe(false);
    const shrunk = await shrinkSchedule(schedule, first as RunFailed, needsCrashThenHeal);
    expect(schedule.events.length).toBeGreaterThan(20);
    // A crash of node 1 and a heal after it (the seed's own events hold more than one such pair).
    const [kept, healed] = shrunk.schedule.events;
    expect(shrunk.schedule.events).toHaveLength(2);
    expect(kept).toMatchObject({ kind: 'crash', id: '1' });
    expect(healed).toMatchObject({ kind: 'heal' });
    expect(healed!.at).toBeGreaterThan(kept!.at);
    expect(shrunk.schedule.events.every((e) => e.steps === 0)).toBe(true);
    expect(shrunk.failure.ok).toBe(false);
    expect(shrunk.runs).toBeLessThan(200);
    // Nothing past the failure is kept, and the faults end just after it.
    expect(shrunk.schedule.durationMs).toBe(shrunk.failure.at + 1);
  });

  it('keeps only candidates that fail the same way', async () => {
    // Without the heal the run still fails, but of liveness: not the same failure.
    const run = async (candidate: FuzzSchedule): Promise<RunOutcome> =>
      (await needsCrashThenHeal(candidate)).ok ? failed(99_999, 'liveness') : needsCrashThenHeal(candidate);
    const first = (await run(schedule)) as RunFailed;
    const shrunk = await shrinkSchedule(schedule, first, run);
    expect(shrunk.failure.kind).toBe('invariant');
    expect(shrunk.schedule.events.map((e) => e.kind)).toEqual(['crash', 'heal']);
  });

  it('stops at its limit of runs, with the best schedule so far', async () => {
    let runs = 0;
    const counting = (candidate: FuzzSchedule) => {
      runs++;
      return needsCrashThenHeal(candidate);
    };
    const first = (await needsCrashThenHeal(schedule)) as RunFailed;
    const shrunk = await shrinkSchedule(schedule, first, counting, { maxRuns: 3, wallMs: 60_000 });
    expect(runs).toBe(3);
    expect(shrunk.runs).toBe(3);
    expect((await needsCrashThenHeal(shrunk.schedule)).ok).toBe(false);
  });
});
