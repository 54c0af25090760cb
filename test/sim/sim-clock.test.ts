/** Virtual time: one heap of timers, fired one at a time by the driver, promises settled between. */
import { describe, expect, it } from 'vitest';
import { SimClock, SimulationStalledError } from '../../src/sim/sim-clock.js';

/** Sets one timer per delay, each recording the time it fires at in the returned array. */
function recordFiringTimes(clock: SimClock, ...delays: number[]): number[] {
  const fired: number[] = [];
  for (const delay of delays) clock.setTimeout(() => fired.push(clock.now()), delay);
  return fired;
}

/** Starts a timer that re-arms itself from its own callback every `period` ms, calling `onTick` each time. */
function startPeriodic(clock: SimClock, period: number, onTick: () => void): void {
  const tick = () => {
    onTick();
    clock.setTimeout(tick, period);
  };
  clock.setTimeout(tick, period);
}

/** A periodic timer (see `startPeriodic`) that records the time of every tick in the returned array. */
function periodicTicks(clock: SimClock, period: number): number[] {
  const seen: number[] = [];
  startPeriodic(clock, period, () => seen.push(clock.now()));
  return seen;
}

describe('SimClock basics', () => {
  it('starts at t=0 with nothing fired, and time stands still outside run', () => {
    const clock = new SimClock();
    expect(clock.now()).toBe(0);
    expect(clock.firedTimers).toBe(0);
    let fired = false;
    clock.setTimeout(() => (fired = true), 0);
    expect(fired).toBe(false);
    expect(clock.now()).toBe(0);
  });

  it('returns distinct handles for distinct timers', () => {
    const clock = new SimClock();
    const handles = new Set(Array.from({ length: 10 }, () => clock.setTimeout(() => {}, 5)));
    expect(handles.size).toBe(10);
  });

  it('resolves run with the value of the task', async () => {
    const clock = new SimClock();
    await expect(
      clock.run(async () => {
        await clock.sleep(250);
        return 'done';
      }),
    ).resolves.toBe('done');
    expect(clock.now()).toBe(250);
  });

  it('rejects run with the error of the task', async () => {
    const clock = new SimClock();
    const error = new Error('task failed');
    await expect(
      clock.run(async () => {
        await clock.sleep(10);
        throw error;
      }),
    ).rejects.toBe(error);
    expect(clock.now()).toBe(10);
  });

  it('resolves a task that needs no time without advancing the clock', async () => {
    const clock = new SimClock();
    let fired = false;
    clock.setTimeout(() => (fired = true), 5);
    await expect(clock.run(async () => 7)).resolves.toBe(7);
    expect(fired).toBe(false);
    expect(clock.now()).toBe(0);
  });

  it('treats a negative delay as zero', async () => {
    const clock = new SimClock();
    await clock.runFor(50);
    const at = recordFiringTimes(clock, -20);
    await clock.runFor(1);
    expect(at).toEqual([50]);
  });
});

describe('SimClock.run drives timers in (due, seq) order', () => {
  it('fires timers by due time, ties by creation order, setting now() to each due time', async () => {
    const clock = new SimClock();
    const log: Array<[string, number]> = [];
    const at = (name: string, ms: number) => clock.setTimeout(() => log.push([name, clock.now()]), ms);
    at('c', 30);
    at('a', 10);
    at('d', 30);
    at('b', 20);
    at('a2', 10);
    at('zero', 0);
    await clock.runFor(100);
    expect(log).toEqual([
      ['zero', 0],
      ['a', 10],
      ['a2', 10],
      ['b', 20],
      ['c', 30],
      ['d', 30],
    ]);
    expect(clock.now()).toBe(100);
    expect(clock.firedTimers).toBe(7); // six timers and the run's own sleep
  });

  it('measures delays from the time a timer is set', async () => {
    const clock = new SimClock();
    const log: number[] = [];
    clock.setTimeout(() => {
      log.push(clock.now());
      clock.setTimeout(() => log.push(clock.now()), 25);
    }, 40);
    await clock.runFor(100);
    expect(log).toEqual([40, 65]);
  });

  it('fires a timer set from a callback for the current time after those already due then', async () => {
    const clock = new SimClock();
    const log: string[] = [];
    clock.setTimeout(() => {
      log.push('first');
      clock.setTimeout(() => log.push('scheduled-now'), 0);
    }, 10);
    clock.setTimeout(() => log.push('second'), 10);
    await clock.runFor(20);
    expect(log).toEqual(['first', 'second', 'scheduled-now']);
  });

  it.each([
    ['fires a self-rescheduling periodic timer at every period, without collapsing', 1050],
    ['fires a 100 ms periodic timer 10 times in runFor(1000), the last at t=1000', 1000],
  ])('%s', async (_name, runFor) => {
    const clock = new SimClock();
    const seen = periodicTicks(clock, 100);
    await clock.runFor(runFor);
    expect(seen).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(clock.now()).toBe(runFor);
  });

  it('loses no periodic tick across consecutive runs', async () => {
    const clock = new SimClock();
    const seen = periodicTicks(clock, 100);
    for (let i = 0; i < 10; i++) await clock.runFor(250);
    expect(clock.now()).toBe(2500);
    // Every multiple of 100 up to 2400 fired exactly once, in order; 2500 is due at the boundary.
    const expected = Array.from({ length: 24 }, (_, i) => 100 * (i + 1));
    expect(seen.slice(0, 24)).toEqual(expected);
    expect(seen.length === 24 || (seen.length === 25 && seen[24] === 2500)).toBe(true);
  });

  it('interleaves periodic timers of different periods correctly', async () => {
    const clock = new SimClock();
    const seen: string[] = [];
    startPeriodic(clock, 30, () => seen.push(`a@${clock.now()}`));
    startPeriodic(clock, 45, () => seen.push(`b@${clock.now()}`));
    await clock.runFor(100);
    // At t=90, b's timer (set at t=45) precedes a's (set at t=60): ties go by creation order.
    expect(seen).toEqual(['a@30', 'b@45', 'a@60', 'b@90', 'a@90']);
  });

  it('settles promise work started by a timer callback before the next timer fires', async () => {
    const clock = new SimClock();
    const log: string[] = [];
    clock.setTimeout(() => {
      log.push('timer1');
      void (async () => {
        for (let i = 0; i < 20; i++) await Promise.resolve();
        log.push('chain1-done');
        await new Promise<void>((resolve) => queueMicrotask(resolve));
        log.push('chain1-microtask');
      })();
    }, 10);
    clock.setTimeout(() => log.push('timer2'), 10);
    clock.setTimeout(() => log.push('timer3'), 11);
    await clock.runFor(20);
    expect(log).toEqual(['timer1', 'chain1-done', 'chain1-microtask', 'timer2', 'timer3']);
  });

  it('lets the task observe the state each timer left: sleeps wake at their due time', async () => {
    const clock = new SimClock();
    let counter = 0;
    clock.setTimeout(() => counter++, 10);
    clock.setTimeout(() => counter++, 20);
    const observed = await clock.run(async () => {
      const seen: Array<[number, number]> = [];
      await clock.sleep(15);
      seen.push([clock.now(), counter]);
      await clock.sleep(10);
      seen.push([clock.now(), counter]);
      return seen;
    });
    expect(observed).toEqual([
      [15, 1],
      [25, 2],
    ]);
  });

  it('counts fired timers', async () => {
    const clock = new SimClock();
    for (let i = 1; i <= 5; i++) clock.setTimeout(() => {}, i);
    await clock.runFor(3); // timers at 1, 2, 3 and the sleep
    expect(clock.firedTimers).toBe(4);
    await clock.runFor(10); // timers at 4, 5 and the sleep
    expect(clock.firedTimers).toBe(7);
  });
});

describe('SimClock.clearTimeout', () => {
  it('cancels a pending timer', async () => {
    const clock = new SimClock();
    const log: string[] = [];
    const handle = clock.setTimeout(() => log.push('cancelled'), 50);
    clock.setTimeout(() => log.push('kept'), 60);
    clock.clearTimeout(handle);
    await clock.runFor(100);
    expect(log).toEqual(['kept']);
    expect(clock.firedTimers).toBe(2); // 'kept' and the run's sleep
  });

  it('cancels a timer due at the same time from an earlier callback', async () => {
    const clock = new SimClock();
    const log: string[] = [];
    clock.setTimeout(() => {
      log.push('first');
      clock.clearTimeout(victim);
    }, 10);
    const victim = clock.setTimeout(() => log.push('victim'), 10);
    await clock.runFor(20);
    expect(log).toEqual(['first']);
  });

  it('ignores unknown, already fired and already cleared handles', async () => {
    const clock = new SimClock();
    const log: string[] = [];
    const fired = clock.setTimeout(() => log.push('fired'), 1);
    await clock.runFor(5);
    const later = clock.setTimeout(() => log.push('later'), 1);
    clock.clearTimeout(fired);
    clock.clearTimeout(12345);
    clock.clearTimeout(undefined);
    clock.clearTimeout('nonsense');
    await clock.runFor(5);
    expect(log).toEqual(['fired', 'later']);
    clock.clearTimeout(later);
  });

  it('stops a sleep from waking, so a task waiting on it stalls', async () => {
    const clock = new SimClock();
    await expect(
      clock.run(async () => {
        await new Promise<void>((resolve) => {
          const handle = clock.setTimeout(resolve, 10);
          clock.clearTimeout(handle);
        });
      }),
    ).rejects.toBeInstanceOf(SimulationStalledError);
  });
});

describe('SimClock.run failure modes', () => {
  it('rejects with SimulationStalledError when the task waits on a promise nothing resolves', async () => {
    const clock = new SimClock();
    const run = clock.run(() => new Promise<void>(() => {}));
    await expect(run).rejects.toBeInstanceOf(SimulationStalledError);
    await expect(run).rejects.toThrow(/stalled at t=0ms/);
  });

  it('stalls only once the timers run out, reporting the time it got to', async () => {
    const clock = new SimClock();
    let fired = 0;
    clock.setTimeout(() => fired++, 30);
    clock.setTimeout(() => fired++, 70);
    const error: unknown = await clock
      .run(async () => {
        await clock.sleep(10);
        await new Promise<void>(() => {});
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SimulationStalledError);
    expect((error as Error).name).toBe('SimulationStalledError');
    expect((error as Error).message).toContain('t=70ms');
    expect(fired).toBe(2);
    expect(clock.now()).toBe(70);
  });

  it('refuses a nested run, and the outer run carries on', async () => {
    const clock = new SimClock();
    const result = await clock.run(async () => {
      await clock.sleep(5);
      await expect(clock.run(async () => 'inner')).rejects.toThrow(/nested/);
      await clock.sleep(5);
      return clock.now();
    });
    expect(result).toBe(10);
  });

  it('can run again after a run ends, whether it resolved or rejected', async () => {
    const clock = new SimClock();
    await clock.runFor(10);
    await expect(clock.run(() => new Promise<void>(() => {}))).rejects.toBeInstanceOf(SimulationStalledError);
    await expect(
      clock.run(async () => {
        await clock.sleep(5);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(clock.run(async () => 'again')).resolves.toBe('again');
    expect(clock.now()).toBe(15);
  });

  it('rejects with the error given to fail(), stopping at the step that failed', async () => {
    const clock = new SimClock();
    const error = new Error('invariant broken');
    const log: number[] = [];
    clock.setTimeout(() => {
      log.push(clock.now());
      clock.fail(error);
    }, 40);
    clock.setTimeout(() => log.push(clock.now()), 60);
    await expect(clock.runFor(100)).rejects.toBe(error);
    expect(log).toEqual([40]);
    expect(clock.now()).toBe(40);
    expect(clock.fault).toBe(error);
  });

  it('keeps the first fault when fail() is called more than once', async () => {
    const clock = new SimClock();
    const first = new Error('first');
    const second = new Error('second');
    expect(clock.fault).toBeUndefined();
    await expect(
      clock.run(async () => {
        await clock.sleep(1);
        clock.fail(first);
        clock.fail(second);
        await clock.sleep(1);
      }),
    ).rejects.toBe(first);
    expect(clock.fault).toBe(first);
  });

  it('ends a run whose task never settles when fail() is called', async () => {
    const clock = new SimClock();
    const error = new Error('actor failed');
    clock.setTimeout(() => clock.fail(error), 25);
    await expect(clock.run(() => new Promise<void>(() => {}))).rejects.toBe(error);
    expect(clock.now()).toBe(25);
  });

  it('rejects when a timer callback throws, and fires nothing after it', async () => {
    const clock = new SimClock();
    const error = new Error('callback threw');
    clock.setTimeout(() => {
      throw error;
    }, 20);
    const log = recordFiringTimes(clock, 20, 30);
    await expect(clock.runFor(100)).rejects.toBe(error);
    expect(log).toEqual([]);
    expect(clock.now()).toBe(20);
  });

  it('rejects with a non-Error value thrown by a timer callback', async () => {
    const clock = new SimClock();
    clock.setTimeout(() => {
      throw 'plain string';
    }, 1);
    await expect(clock.runFor(10)).rejects.toBe('plain string');
  });
});

describe('SimClock.nextDue', () => {
  it('is the due time of the earliest pending timer, skipping cancelled ones, undefined when none', async () => {
    const clock = new SimClock();
    expect(clock.nextDue()).toBeUndefined();
    const early = clock.setTimeout(() => {}, 10);
    clock.setTimeout(() => {}, 30);
    expect(clock.nextDue()).toBe(10);
    clock.clearTimeout(early);
    expect(clock.nextDue()).toBe(30);
    await clock.runFor(30);
    expect(clock.nextDue()).toBeUndefined();
  });
});

describe('SimClock.reschedule', () => {
  it('moves a pending timer earlier or later, keeping its handle', async () => {
    const clock = new SimClock();
    const log: Array<[string, number]> = [];
    const at = (name: string, ms: number) => clock.setTimeout(() => log.push([name, clock.now()]), ms);
    const sooner = at('sooner', 500);
    const later = at('later', 20);
    at('fixed', 100);
    expect(clock.reschedule(sooner, 50)).toBe(true);
    expect(clock.reschedule(later, 200)).toBe(true);
    expect(clock.nextDue()).toBe(50);
    await clock.runFor(1_000);
    expect(log).toEqual([
      ['sooner', 50],
      ['fixed', 100],
      ['later', 200],
    ]);
    expect(clock.firedTimers).toBe(4); // three timers and the run's sleep: no ghost of a moved one
  });

  it('never moves a timer into the past: a due time before now fires now', async () => {
    const clock = new SimClock();
    await clock.runFor(100);
    const fired: number[] = [];
    const handle = clock.setTimeout(() => fired.push(clock.now()), 400);
    clock.reschedule(handle, 0);
    expect(clock.nextDue()).toBe(100);
    await clock.runFor(0);
    expect(fired).toEqual([100]);
  });

  it('keeps creation order among timers due at the same time', async () => {
    const clock = new SimClock();
    const log: string[] = [];
    const first = clock.setTimeout(() => log.push('first'), 300);
    clock.setTimeout(() => log.push('second'), 10);
    const third = clock.setTimeout(() => log.push('third'), 200);
    clock.reschedule(third, 10);
    clock.reschedule(first, 10);
    await clock.runFor(10);
    expect(log).toEqual(['first', 'second', 'third']);
  });

  it('can be cleared once moved, and refuses unknown, fired or cleared handles', async () => {
    const clock = new SimClock();
    const log: string[] = [];
    const moved = clock.setTimeout(() => log.push('moved'), 10);
    clock.reschedule(moved, 20);
    clock.clearTimeout(moved);
    const fired = clock.setTimeout(() => log.push('fired'), 5);
    await clock.runFor(50);
    expect(log).toEqual(['fired']);
    expect(clock.reschedule(moved, 60)).toBe(false);
    expect(clock.reschedule(fired, 60)).toBe(false);
    expect(clock.reschedule(12345, 60)).toBe(false);
    expect(clock.nextDue()).toBeUndefined();
  });

  it('works from inside a callback while run drives the clock', async () => {
    const clock = new SimClock();
    const log: Array<[string, number]> = [];
    const victim = clock.setTimeout(() => log.push(['victim', clock.now()]), 500);
    clock.setTimeout(() => clock.reschedule(victim, clock.now()), 40);
    await clock.runFor(600);
    expect(log).toEqual([['victim', 40]]);
  });
});

describe('SimClock.step', () => {
  it('fires exactly one timer, the earliest, even when others are due at the same time', async () => {
    const clock = new SimClock();
    const log: Array<[string, number]> = [];
    const at = (name: string, ms: number) => clock.setTimeout(() => log.push([name, clock.now()]), ms);
    at('b', 20);
    at('a1', 10);
    at('a2', 10);
    await expect(clock.step()).resolves.toBe(true);
    expect(log).toEqual([['a1', 10]]);
    expect(clock.now()).toBe(10);
    await clock.step();
    expect(log).toEqual([
      ['a1', 10],
      ['a2', 10],
    ]);
    await clock.step();
    expect(clock.now()).toBe(20);
    await expect(clock.step()).resolves.toBe(false);
    expect(clock.now()).toBe(20);
    expect(clock.firedTimers).toBe(3);
  });

  it('settles the promise work a timer started before it returns', async () => {
    const clock = new SimClock();
    const log: string[] = [];
    clock.setTimeout(() => {
      log.push('timer');
      void (async () => {
        for (let i = 0; i < 20; i++) await Promise.resolve();
        log.push('chain done');
      })();
    }, 5);
    await clock.step();
    expect(log).toEqual(['timer', 'chain done']);
  });

  it('stepping timer by timer gives the same run as runFor', async () => {
    const trace = async (drive: (clock: SimClock) => Promise<void>) => {
      const clock = new SimClock();
      const seen: string[] = [];
      startPeriodic(clock, 30, () => {
        seen.push(`a@${clock.now()}`);
        if (clock.now() % 90 === 0) clock.setTimeout(() => seen.push(`echo@${clock.now()}`), 0);
      });
      startPeriodic(clock, 45, () => seen.push(`b@${clock.now()}`));
      await drive(clock);
      return seen;
    };
    const ran = await trace((clock) => clock.runFor(400));
    const stepped = await trace(async (clock) => {
      while ((clock.nextDue() ?? Infinity) <= 400) await clock.step();
    });
    expect(stepped).toEqual(ran);
  });

  it('is refused while run drives the clock, and rejects with a fault', async () => {
    const clock = new SimClock();
    await clock.run(async () => {
      await expect(clock.step()).rejects.toThrow(/nested/);
    });
    const error = new Error('broken');
    clock.setTimeout(() => clock.fail(error), 1);
    await expect(clock.step()).rejects.toBe(error);
  });
});
