/** `raftchart sim`: the story it prints, deterministic from the seed. */
import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/cli/simulate.js';

async function story(seed: number, chaos = true) {
  const lines: string[] = [];
  const summary = await simulate({
    nodes: 5,
    seed,
    speed: 0,
    durationMs: 30_000,
    chaos,
    write: (l) => lines.push(l),
  });
  return { lines, summary };
}

describe('raftchart sim', () => {
  it('prints the seed, every role change with its term, the chaos, and a summary', async () => {
    const { lines, summary } = await story(11);
    expect(lines[0]).toMatch(/^raftchart: simulated 5-node cluster, seed 11 \(replay: --seed 11\)$/);
    expect(lines.some((l) => /node \d {2}candidate -> leader +term \d+$/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('chaos: '))).toBe(true);
    expect(lines.at(-1)).toMatch(/30\.000s {2}stopped: \d+ role changes, highest term \d+, \d+ messages$/);
    expect(summary.virtualMs).toBe(30_000);
    expect(summary.highestTerm).toBeGreaterThan(1);
  });

  it('tells the same story from the same seed', async () => {
    expect((await story(5)).lines).toEqual((await story(5)).lines);
  });

  it('without chaos, elects one leader and keeps it', async () => {
    const { lines, summary } = await story(3, false);
    expect(lines.filter((l) => l.includes('-> leader'))).toHaveLength(1);
    expect(summary.highestTerm).toBe(1);
  });
});
