/**
 * Pre-vote (thesis 9.6) on a simulated cluster: a follower cut off from the others polls
 * instead of raising its term, so when it returns it finds its term unchanged and follows
 * the leader, which leads on in the same term. Another follower crashes and restarts
 * meanwhile; the invariant checker runs throughout. The paper's algorithm, as a control,
 * lets the returning node depose the leader.
 */
import { describe, expect, it } from 'vitest';
import type { RaftFeatures } from '../../machines/index.js';
import { PAPER_FEATURES } from '../../machines/index.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import { SimCluster } from '../../src/sim/sim-cluster.js';
import { replayable, testSeeds } from '../support/seeds.js';
import { between, oneLeader, runCluster, startWriter, waitFor } from './scenario.js';

const COMMAND = 'npx vitest run test/sim/pre-vote.test.ts';

interface Away {
  /** The away node's term before it left, and the highest it reached while away. */
  readonly termBefore: number;
  readonly termAway: number;
  /** The leader's term before, and its role and term after the node returned. */
  readonly leaderTerm: number;
  readonly leaderAfter: { role: string | undefined; term: number | undefined };
  readonly awayAfter: { leaderId: string | null | undefined; term: number | undefined };
}

/** Cuts one follower off for 3 s (five election timeouts and more) while another crashes. */
async function partitionedFollower(seed: number, features: Partial<RaftFeatures>): Promise<Away> {
  const cluster = new SimCluster({ seed, size: 5, features, latency: { minMs: 1, maxMs: 15 } });
  const random = new SeededRandom(seed, 'test');
  return await runCluster(cluster, async () => {
    const leader = await oneLeader(cluster);
    const pick = cluster.ids.filter((id) => id !== leader);
    const awayId = pick[random.int(pick.length - 1)]!;
    const crashId = pick.filter((id) => id !== awayId)[random.int(pick.length - 2)]!;
    const writer = startWriter(cluster, 'w', 100);
    await cluster.clock.sleep(between(random, 0, 300));
    const leaderTerm = cluster.status(leader)!.term;
    const termBefore = cluster.status(awayId)!.term;
    cluster.disconnect(awayId);
    let termAway = termBefore;
    const end = cluster.clock.now() + 3_000;
    const crashAt = cluster.clock.now() + between(random, 200, 1_500);
    let crashed = false;
    while (cluster.clock.now() < end) {
      termAway = Math.max(termAway, cluster.status(awayId)!.term);
      if (!crashed && cluster.clock.now() >= crashAt) {
        cluster.crash(crashId);
        crashed = true;
      }
      await cluster.clock.sleep(20);
    }
    await cluster.start(crashId);
    cluster.connect(crashId);
    cluster.connect(awayId);
    // The returning node hears the leader's next heartbeat, and catches up.
    await waitFor(cluster, () => cluster.status(awayId)?.leaderId === leader, 2_000);
    await cluster.clock.sleep(1_000);
    await writer.stop();
    const after = cluster.status(leader);
    const back = cluster.status(awayId);
    return {
      termBefore,
      termAway,
      leaderTerm,
      leaderAfter: { role: after?.role, term: after?.term },
      awayAfter: { leaderId: back?.leaderId, term: back?.term },
    };
  });
}

describe('pre-vote: a node partitioned away and reconnected does not disrupt a healthy leader', () => {
  const profiles = [
    ['pre-vote and check-quorum (the default)', {}],
    ['pre-vote alone', { preVote: true, checkQuorum: false }],
  ] as const;
  for (const [name, features] of profiles) {
    it(`${name}: its term does not grow while away; the leader keeps its term after it returns (25 seeds)`, async () => {
      for (const seed of testSeeds(25)) {
        await replayable(seed, COMMAND, async () => {
          const run = await partitionedFollower(seed, features);
          expect(run.termAway, 'the away node raised its term').toBe(run.termBefore);
          expect(run.leaderAfter).toEqual({ role: 'leader', term: run.leaderTerm });
          expect(run.awayAfter.term).toBe(run.leaderTerm);
          expect(run.awayAfter.leaderId).not.toBeNull();
        });
      }
    });
  }

  it("the paper's algorithm, as a control: the node's term grows while away, and its return deposes the leader", async () => {
    for (const seed of testSeeds(5)) {
      await replayable(seed, COMMAND, async () => {
        const run = await partitionedFollower(seed, PAPER_FEATURES);
        expect(run.termAway).toBeGreaterThan(run.termBefore);
        expect(run.leaderAfter.term).toBeGreaterThan(run.leaderTerm);
      });
    }
  });
});
