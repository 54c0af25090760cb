/**
 * Leadership transfer (thesis 3.10) on a simulated cluster: the leader brings a chosen
 * follower up to date and tells it to campaign at once, so it leads well within an
 * election timeout; proposals meanwhile are refused with NotLeaderError; a transfer to a
 * node that cannot be reached gives up after about an election timeout, and the old leader
 * leads on. Seeds vary the target, the latency and the lag; the invariant checker runs.
 */
import { describe, expect, it } from 'vitest';
import { LeadershipTransferError, NotLeaderError } from '../../src/errors.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import { SIM_TIMING, SimCluster } from '../../src/sim/sim-cluster.js';
import { replayable, testSeeds } from '../support/seeds.js';
import { between, oneLeader, runCluster, startWriter } from './scenario.js';

const COMMAND = 'npx vitest run test/sim/leadership-transfer.test.ts';

function cluster(seed: number): SimCluster {
  const random = new SeededRandom(seed, 'shape');
  const maxMs = between(random, 1, 20);
  return new SimCluster({ seed, size: between(random, 3, 5), latency: { minMs: 0, maxMs } });
}

describe('leadership transfer', () => {
  it('to a chosen follower succeeds quickly, without waiting for an election timeout (60 seeds)', async () => {
    for (const seed of testSeeds(60)) {
      await replayable(seed, COMMAND, async () => {
        const c = cluster(seed);
        const random = new SeededRandom(seed, 'test');
        await runCluster(c, async () => {
          const leader = await oneLeader(c);
          const writer = startWriter(c, 'w', 20);
          await c.clock.sleep(between(random, 100, 400));
          const followers = c.ids.filter((id) => id !== leader);
          const target = followers[random.int(followers.length - 1)]!;
          const term = c.status(leader)!.term;
          const started = c.clock.now();
          const done = await c.transferLeadership(target);
          const tookMs = c.clock.now() - started;
          expect(done).toEqual({ leaderId: target, term: term + 1 });
          expect(c.status(target)).toMatchObject({ role: 'leader', term: term + 1 });
          expect(c.status(leader)).toMatchObject({ role: 'follower', term: term + 1 });
          expect(tookMs).toBeLessThan(SIM_TIMING.electionTimeoutMinMs);
          await writer.stop();
          expect(writer.acked.size).toBeGreaterThan(0);
        });
      });
    }
  });

  it('refuses proposals with NotLeaderError while a lagging target catches up (40 seeds)', async () => {
    for (const seed of testSeeds(40)) {
      await replayable(seed, COMMAND, async () => {
        const c = cluster(seed);
        const random = new SeededRandom(seed, 'test');
        await runCluster(c, async () => {
          const leader = await oneLeader(c);
          const followers = c.ids.filter((id) => id !== leader);
          const target = followers[random.int(followers.length - 1)]!;
          // The target misses some writes, so the transfer first has to bring it up to date.
          c.disconnect(target);
          for (let i = 0; i < 20; i++) await c.node(leader)!.propose(`before${i}`);
          c.connect(target);
          const transfer = c.transferLeadership(target);
          const refused = await c
            .node(leader)!
            .propose('during')
            .then(
              () => null,
              (error: unknown) => error,
            );
          expect(refused).toBeInstanceOf(NotLeaderError);
          const { term } = await transfer.then((done) => {
            expect(done.leaderId).toBe(target);
            return done;
          });
          // The new leader takes writes, in its term.
          await expect(c.node(target)!.propose('after')).resolves.toMatchObject({ term });
        });
      });
    }
  });

  it('to an unreachable node gives up with LeadershipTransferError after about an election timeout; the leader leads on (40 seeds)', async () => {
    for (const seed of testSeeds(40)) {
      await replayable(seed, COMMAND, async () => {
        const c = cluster(seed);
        const random = new SeededRandom(seed, 'test');
        await runCluster(c, async () => {
          const leader = await oneLeader(c);
          const term = c.status(leader)!.term;
          const followers = c.ids.filter((id) => id !== leader);
          const target = followers[random.int(followers.length - 1)]!;
          // Cut off, or crashed: either way it never answers.
          if (random.chance(1, 2)) c.disconnect(target);
          else c.crash(target);
          await c.clock.sleep(between(random, 0, 200));
          const started = c.clock.now();
          const error = await c.transferLeadership(target).then(
            () => null,
            (e: unknown) => e,
          );
          const tookMs = c.clock.now() - started;
          expect(error).toBeInstanceOf(LeadershipTransferError);
          expect(tookMs).toBeGreaterThanOrEqual(
            SIM_TIMING.electionTimeoutMinMs - SIM_TIMING.heartbeatIntervalMs,
          );
          expect(tookMs).toBeLessThanOrEqual(
            SIM_TIMING.electionTimeoutMaxMs + SIM_TIMING.heartbeatIntervalMs,
          );
          expect(c.status(leader)).toMatchObject({ role: 'leader', term });
          await expect(c.node(leader)!.propose('after')).resolves.toMatchObject({ term });
        });
      });
    }
  });
});
