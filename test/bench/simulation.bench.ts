/**
 * Simulator speed (`npm run bench:micro`): how fast virtual time runs, which bounds how many
 * seeds the course suite can afford. Not a test: nothing here fails on a slow machine.
 */
import { bench, describe } from 'vitest';
import { SimCluster } from '../../src/sim/sim-cluster.js';

let seed = 0;

async function cluster(size: number, virtualMs: number): Promise<void> {
  const c = new SimCluster({ seed: ++seed, size });
  await c.startAll();
  await c.runFor(virtualMs);
  c.stopAll();
}

describe('simulated cluster', () => {
  bench('3 nodes, 10 virtual seconds (an election, then ~600 heartbeats)', () => cluster(3, 10_000));
  bench('7 nodes, 10 virtual seconds (an election, then ~1,800 heartbeats)', () => cluster(7, 10_000));
});
