/** The fuzz schedules: drawn from the seed alone, in time order, covering every kind of fault. */
import { describe, expect, it } from 'vitest';
import { formatSchedule, generateSchedule } from './schedule.js';

const durationMs = 20_000;

describe('generateSchedule', () => {
  it('is the same for a seed, different for another, and plain data', () => {
    const schedule = generateSchedule(7, { durationMs });
    expect(generateSchedule(7, { durationMs })).toEqual(schedule);
    expect(generateSchedule(8, { durationMs })).not.toEqual(schedule);
    expect(JSON.parse(JSON.stringify(schedule))).toEqual(schedule);
  });

  it('puts its events in time order within the faults, with sane timing', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const { events, shape } = generateSchedule(seed, { durationMs });
      expect(events.length).toBeGreaterThan(0);
      const times = events.map((event) => event.at);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(Math.max(...times)).toBeLessThan(durationMs);
      const { heartbeatIntervalMs, electionTimeoutMinMs, electionTimeoutMaxMs } = shape.timing;
      expect(electionTimeoutMinMs).toBeGreaterThanOrEqual(3 * heartbeatIntervalMs);
      expect(electionTimeoutMaxMs).toBeGreaterThan(electionTimeoutMinMs);
      expect(shape.latency.maxMs).toBeLessThanOrEqual(heartbeatIntervalMs / 2);
    }
  });

  it('over 100 seeds, draws every cluster size and every kind of event', () => {
    const sizes = new Set<number>();
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 100; seed++) {
      const schedule = generateSchedule(seed, { durationMs });
      sizes.add(schedule.shape.size);
      for (const event of schedule.events) kinds.add(event.kind);
    }
    expect([...sizes].sort()).toEqual([1, 3, 5, 7]);
    expect([...kinds].sort()).toEqual(
      [
        'crash',
        'cut',
        'duplicate',
        'heal',
        'latency',
        'partition',
        'propose',
        'reorder',
        'restart',
        'skew',
        'timeout',
        'uncut',
        'unreliable',
      ].sort(),
    );
  });

  it('partitions into two groups or more, every node in exactly one', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const schedule = generateSchedule(seed, { durationMs });
      for (const event of schedule.events) {
        if (event.kind !== 'partition') continue;
        expect(event.groups.length).toBeGreaterThanOrEqual(2);
        expect(event.groups.flat().sort()).toEqual(
          Array.from({ length: schedule.shape.size }, (_, i) => String(i)),
        );
      }
    }
  });

  it('prints one line for the shape and one per event', () => {
    const schedule = generateSchedule(3, { durationMs: 2000 });
    const lines = formatSchedule(schedule).split('\n');
    expect(lines).toHaveLength(schedule.events.length + 1);
    expect(lines[0]).toMatch(/^seed 3: \d nodes, heartbeat \d+ms/);
    expect(lines[1]).toMatch(/^ {2}t=\d+(\+\d)? \w+/);
  });
});
