/**
 * The flapping-node measurement (issue 16): a 5-node simulated cluster for 60 s of virtual
 * time, one follower's links down for 0.5-2 s then up for 0.5-2 s, again and again, while a
 * writer proposes every 100 ms; for each of {preVote off/on} x {checkQuorum off/on}, over
 * several seeds: the highest term at the end, leader changes and failed proposals. Prints
 * a table; asserts only that the run measured something. Not part of `npm test`:
 *
 *   npx vitest run -c test/sim/vitest.measure.config.ts
 *
 * MEASURE_SEEDS=<n> sets the seeds per combination (default 5).
 */
import { expect, it } from 'vitest';
import type { RaftFeatures } from '../../machines/index.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import { SimCluster } from '../../src/sim/sim-cluster.js';
import { flapLinks, maxTerm, oneLeader, runCluster, startWriter, watchLeaders } from './scenario.js';

const SECONDS = 60;
const SEEDS = Number(process.env.MEASURE_SEEDS ?? 5);

interface Run {
  readonly maxTerm: number;
  readonly leaderChanges: number;
  readonly failed: number;
  readonly proposed: number;
}

async function measure(seed: number, features: RaftFeatures): Promise<Run> {
  const cluster = new SimCluster({ seed, size: 5, features, latency: { minMs: 1, maxMs: 15 } });
  const random = new SeededRandom(seed, 'flap');
  return await runCluster(cluster, async () => {
    const first = await oneLeader(cluster);
    const leaders = watchLeaders(cluster);
    const followers = cluster.ids.filter((id) => id !== first);
    const flapping = followers[random.int(followers.length - 1)]!;
    const writer = startWriter(cluster, 'w', 100);
    await flapLinks(cluster, flapping, random, SECONDS * 1_000);
    await writer.stop();
    const failed = writer.failed();
    return {
      maxTerm: maxTerm(cluster),
      leaderChanges: leaders.length,
      failed,
      proposed: writer.acked.size + failed,
    };
  });
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const cell = (values: readonly number[]) =>
  `${mean(values).toFixed(1)} (${Math.min(...values)}-${Math.max(...values)})`;

it(`a flapping node over ${SECONDS} s, ${SEEDS} seeds per combination`, { timeout: 0 }, async () => {
  const rows: string[][] = [];
  for (const preVote of [false, true]) {
    for (const checkQuorum of [false, true]) {
      const runs: Run[] = [];
      for (let seed = 1; seed <= SEEDS; seed++) runs.push(await measure(seed, { preVote, checkQuorum }));
      rows.push([
        preVote ? 'on' : 'off',
        checkQuorum ? 'on' : 'off',
        cell(runs.map((r) => r.maxTerm)),
        cell(runs.map((r) => r.leaderChanges)),
        cell(runs.map((r) => r.failed)),
        mean(runs.map((r) => r.proposed)).toFixed(0),
      ]);
      expect(runs.every((r) => r.proposed > 0)).toBe(true);
    }
  }
  const header = [
    'preVote',
    'checkQuorum',
    'max term at end',
    'leaders elected after the first',
    'failed proposals',
    'proposals',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const table = [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join(
    '\n',
  );
  console.log(
    `\n5 nodes, ${SECONDS} s of virtual time, one follower flapping (down 0.5-2 s, up 0.5-2 s), ` +
      `a proposal every 100 ms; mean (min-max) over seeds 1-${SEEDS}:\n${table}\n`,
  );
});
