import { expect, it } from 'vitest';
import { SimCluster } from '../../src/sim/sim-cluster.js';

it('elects a leader', async () => {
  const cluster = new SimCluster({ seed: 1, size: 3 });
  cluster.on('role', (c) => console.log(c.at, c.id, c.role, c.term));
  await cluster.startAll();
  await cluster.runFor(3000);
  const statuses = cluster.ids.map((id) => cluster.status(id)!);
  console.log(statuses, cluster.network.totalCount, cluster.clock.firedTimers, cluster.checker.checks);
  expect(statuses.filter((s) => s.role === 'leader')).toHaveLength(1);
  cluster.stopAll();
});
