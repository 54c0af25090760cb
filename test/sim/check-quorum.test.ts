/**
 * Check-quorum and leader stickiness (thesis 6.2) on a simulated cluster: a leader cut off
 * in a minority steps down within one (maximum) election timeout, and a node whose links
 * flap cannot depose a leader that has a live quorum, while another follower crashes and
 * restarts. The invariant checker runs throughout.
 */
import { describe, expect, it } from 'vitest';
import type { RaftFeatures } from '../../machines/index.js';
import { PAPER_FEATURES } from '../../machines/index.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import { SIM_TIMING, SimCluster } from '../../src/sim/sim-cluster.js';
import { replayable, testSeeds } from '../support/seeds.js';
import { between, flapLinks, oneLeader, runCluster, startWriter, waitFor, watchLeaders } from './scenario.js';

const COMMAND = 'npx vitest run test/sim/check-quorum.test.ts';

/** Partitions the leader with one follower away from the other three; when it stops leading. */
async function minorityLeader(seed: number, features: Partial<RaftFeatures>) {
  const cluster = new SimCluster({ seed, size: 5, features, latency: { minMs: 1, maxMs: 15 } });
  const random = new SeededRandom(seed, 'test');
  return await runCluster(cluster, async () => {
    const leader = await oneLeader(cluster);
    await cluster.clock.sleep(between(random, 0, 500));
    const others = cluster.ids.filter((id) => id !== leader);
    const buddy = others[random.int(others.length - 1)]!;
    cluster.partition([[leader, buddy], others.filter((id) => id !== buddy)]);
    const cutAt = cluster.clock.now();
    const steppedDown = await waitFor(cluster, () => cluster.status(leader)?.role !== 'leader', 3_000, 5);
    return { steppedDown, afterMs: cluster.clock.now() - cutAt };
  });
}

describe('check-quorum: a leader in a minority partition', () => {
  it('steps down within one maximum election timeout (60 seeds)', async () => {
    for (const seed of testSeeds(60)) {
      await replayable(seed, COMMAND, async () => {
        const run = await minorityLeader(seed, {});
        expect(run.steppedDown).toBe(true);
        expect(run.afterMs).toBeLessThanOrEqual(SIM_TIMING.electionTimeoutMaxMs);
      });
    }
  });

  it("the paper's algorithm, as a control: it leads on, cut off, for as long as it is", async () => {
    for (const seed of testSeeds(3)) {
      await replayable(seed, COMMAND, async () => {
        expect((await minorityLeader(seed, PAPER_FEATURES)).steppedDown).toBe(false);
      });
    }
  });
});

/** A follower's links flap for 12 s while writes go on; another follower crashes once. */
async function flappingFollower(seed: number, features: Partial<RaftFeatures>) {
  const cluster = new SimCluster({ seed, size: 5, features, latency: { minMs: 1, maxMs: 15 } });
  const random = new SeededRandom(seed, 'test');
  return await runCluster(cluster, async () => {
    const leader = await oneLeader(cluster);
    const term = cluster.status(leader)!.term;
    const leaders = watchLeaders(cluster);
    const followers = cluster.ids.filter((id) => id !== leader);
    const flapping = followers[random.int(followers.length - 1)]!;
    const crashing = followers.filter((id) => id !== flapping)[random.int(followers.length - 2)]!;
    const writer = startWriter(cluster, 'w', 100);
    const crash = (async () => {
      await cluster.clock.sleep(between(random, 1_000, 9_000));
      cluster.crash(crashing);
      await cluster.clock.sleep(between(random, 500, 3_000));
      await cluster.start(crashing);
      cluster.connect(crashing);
    })();
    const cuts = await flapLinks(cluster, flapping, random, 12_000);
    await crash;
    await cluster.clock.sleep(1_000);
    await writer.stop();
    return { leader, term, leaders, cuts, after: cluster.status(leader), acked: writer.acked.size };
  });
}

describe('check-quorum with pre-vote: a flapping node', () => {
  it('cannot depose a leader that has a live quorum (15 seeds)', async () => {
    for (const seed of testSeeds(15)) {
      await replayable(seed, COMMAND, async () => {
        const run = await flappingFollower(seed, {});
        expect(run.cuts).toBeGreaterThanOrEqual(3); // 12 s of 1-4 s cycles
        expect(run.leaders, 'another node took the lead').toEqual([]);
        expect(run.after).toMatchObject({ role: 'leader', term: run.term });
        expect(run.acked).toBeGreaterThan(60);
      });
    }
  });

  it("the paper's algorithm, as a control: the flapping node deposes the leader", async () => {
    for (const seed of testSeeds(3)) {
      await replayable(seed, COMMAND, async () => {
        const run = await flappingFollower(seed, PAPER_FEATURES);
        expect(run.after?.term).toBeGreaterThan(run.term);
      });
    }
  });
});
