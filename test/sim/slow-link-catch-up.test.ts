/**
 * A follower that fell behind catches up over a link slower than the heartbeat interval.
 * Found by the fuzzer (seed 63): each heartbeat used to become the new outstanding probe,
 * so by the time a rejection came back it answered a replaced probe and was ignored,
 * forever; the follower never got an entry. Now a rejection of the probe or of any later
 * retry at the same nextIndex counts.
 */
import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../src/sim/sim-cluster.js';
import { replayable, testSeeds } from '../support/seeds.js';

describe('a lagging follower behind a slow link', () => {
  it.each(testSeeds(4))('catches up when replies take longer than a heartbeat (seed=%i)', (seed) =>
    replayable(seed, 'npx vitest run test/sim/slow-link-catch-up.test.ts', async () => {
      const cluster = new SimCluster({ seed });
      await cluster.run(() => cluster.startAll());
      await cluster.runFor(2_000);
      const leader = cluster.ids.find((id) => cluster.status(id)?.role === 'leader')!;
      const lagging = cluster.ids.find((id) => id !== leader)!;
      cluster.disconnect(lagging);
      const node = cluster.node(leader)!;
      await cluster.run(async () => {
        for (let i = 0; i < 5; i++) await node.propose(`x${i}`);
      });
      // A new leader, elected without the lagging node: it starts probing it, knowing nothing.
      // Handed over by the leader (with check-quorum on, the other follower, still hearing
      // from the leader, would refuse an election it had not asked for).
      const next = cluster.ids.find((id) => id !== leader && id !== lagging)!;
      await cluster.run(() => cluster.transferLeadership(next));
      await cluster.runFor(1_000);
      expect(cluster.status(next)?.role).toBe('leader');
      // Every message now takes 130-180 ms each way: a round trip spans two heartbeats.
      cluster.network.setLatency({ minMs: 130, maxMs: 180 });
      cluster.connect(lagging);
      await cluster.runFor(10_000);
      expect(cluster.status(next)?.role).toBe('leader');
      expect(cluster.status(lagging)?.commitIndex).toBe(cluster.status(next)!.commitIndex);
    }),
  );
});
