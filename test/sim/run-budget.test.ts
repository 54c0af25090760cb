/** Every simulated run ends with a verdict: past its budget it fails with the seed and the last events. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { SimCluster, SimulationFailure } from '../../src/sim/sim-cluster.js';

describe('the run budget', () => {
  it('fails a run past its virtual time with the seed, the time and the last events', async () => {
    const cluster = new SimCluster({ seed: 7, budget: { virtualMs: 2_000 } });
    await cluster.run(() => cluster.startAll());
    const failure = await cluster.runFor(10_000).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(SimulationFailure);
    const message = (failure as Error).message;
    expect(message).toMatch(/^seed=7 t=\d+ms: the run went past its budget of 2000 ms of virtual time/);
    expect(message).toMatch(/the last events:\n {2}t=\d+ms \d: /);
    expect(cluster.clock.now()).toBeLessThanOrEqual(2_000);
  });

  it('fails a run past its wall-clock time', async () => {
    const cluster = new SimCluster({ seed: 3, budget: { wallMs: 1 } });
    await cluster.run(() => cluster.startAll());
    const started = Date.now();
    while (Date.now() - started < 5) {
      // let the wall clock pass the budget
    }
    await expect(cluster.runFor(600_000)).rejects.toThrow(/seed=3 .*budget of 1 ms of wall-clock time/);
  });

  it('lets a run within its budget go on, and an unlimited one', async () => {
    const cluster = new SimCluster({ seed: 1, budget: { virtualMs: Infinity, wallMs: Infinity } });
    await cluster.run(() => cluster.startAll());
    await cluster.runFor(5_000);
    expect(cluster.ids.some((id) => cluster.status(id)?.role === 'leader')).toBe(true);
  });

  it('refuses a budget that is not positive', () => {
    expect(() => new SimCluster({ seed: 1, budget: { virtualMs: 0 } })).toThrow(ConfigError);
  });
});

describe('clock skew', () => {
  it("stretches a node's timers: a slow clock never times out first", async () => {
    const leaders = new Set<string>();
    for (let seed = 1; seed <= 5; seed++) {
      const cluster = new SimCluster({ seed });
      cluster.setClockSkew('0', 3);
      cluster.setClockSkew('1', 3);
      await cluster.run(() => cluster.startAll());
      await cluster.runFor(1_500);
      for (const id of cluster.ids) if (cluster.status(id)?.role === 'leader') leaders.add(id);
    }
    // Node 2's election timeouts (300-600 ms) always end before the others' (900-1800 ms).
    expect([...leaders]).toEqual(['2']);
  });

  it('refuses a factor outside (0, 10]', () => {
    const cluster = new SimCluster({ seed: 1 });
    expect(() => cluster.setClockSkew('0', 0)).toThrow(ConfigError);
    expect(() => cluster.setClockSkew('0', 11)).toThrow(ConfigError);
  });
});

describe('time standing still', () => {
  it('fails a zero-delay livelock at once, with the instant', async () => {
    const cluster = new SimCluster({ seed: 5, budget: { timersPerInstant: 1_000 } });
    await cluster.run(() => cluster.startAll());
    // Two timers that keep rescheduling each other at the same instant: time never moves.
    const ping = (): void => void cluster.clock.setTimeout(ping, 0);
    ping();
    await expect(cluster.runFor(1_000)).rejects.toThrow(
      /seed=5 .*budget of 1000 timers at one instant \(t=\d+ms, time standing still\)/,
    );
  });
});
