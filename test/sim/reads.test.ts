/**
 * ReadIndex on simulated clusters: reads confirmed by a quorum without writing to the log,
 * served by leaders and followers, batched per turn, and never answered by a deposed
 * leader cut off in a minority.
 */
import { describe, expect, it } from 'vitest';
import type { RaftFeatures, RaftMessage } from '../../machines/index.js';
import { PAPER_FEATURES, PRODUCTION_FEATURES } from '../../machines/index.js';
import type { RaftNode } from '../../src/api/raft-node.js';
import type { StateMachine } from '../../src/api/state-machine.js';
import { NotLeaderError, ReadTimeoutError } from '../../src/errors.js';
import { SimCluster } from '../../src/sim/sim-cluster.js';
import { replayable, testSeeds } from '../support/seeds.js';

/** One value, the last written: what a read must see. */
class Register implements StateMachine<string, string> {
  value = '';

  apply(command: string): string {
    this.value = command;
    return command;
  }

  snapshot(): string {
    return JSON.stringify(this.value);
  }

  restore(snapshot: string): void {
    this.value = JSON.parse(snapshot) as string;
  }
}

const COMMAND = 'npx vitest run test/sim/reads.test.ts';

function registerCluster(seed: number, size: number, features?: RaftFeatures) {
  const registers = new Map<string, Register>();
  const cluster = new SimCluster<string, string>({
    seed,
    size,
    ...(features === undefined ? {} : { features }),
    stateMachine: (id) => {
      const register = new Register();
      registers.set(id, register);
      return register;
    },
  });
  /** Reads on `id` the way an application does: the barrier, then its own state. */
  const readOn = async (id: string, timeoutMs?: number) => {
    const { index } = await cluster.node(id)!.read(timeoutMs === undefined ? {} : { timeoutMs });
    return { index, value: registers.get(id)!.value };
  };
  return { cluster, registers, readOn };
}

function leaderOf(cluster: SimCluster<string, string>): string {
  const leader = cluster.ids.find((id) => cluster.status(id)?.role === 'leader');
  if (leader === undefined) throw new Error('no leader');
  return leader;
}

/** Messages a node sends while `during` runs. */
async function sentDuring(
  node: RaftNode<string, string>,
  during: () => Promise<void>,
): Promise<RaftMessage[]> {
  const sent: RaftMessage[] = [];
  const listener = (message: RaftMessage) => sent.push(message);
  node.on('sent', listener);
  try {
    await during();
  } finally {
    node.off('sent', listener);
  }
  return sent;
}

describe('ReadIndex on a simulated cluster', () => {
  for (const seed of testSeeds(5)) {
    it(`reads on the leader and on followers see every write acknowledged before them (seed ${seed})`, () =>
      replayable(seed, COMMAND, async () => {
        const { cluster, readOn } = registerCluster(seed, 3);
        await cluster.startAll();
        try {
          await cluster.run(async () => {
            await cluster.clock.sleep(1_500);
            const leader = leaderOf(cluster);
            for (let i = 1; i <= 5; i++) {
              const written = await cluster.node(leader)!.propose(`v${i}`);
              // Right after the write is acknowledged, every node's read sees it.
              for (const id of cluster.ids) {
                const read = await readOn(id);
                expect(read.value, `read on ${id}`).toBe(`v${i}`);
                expect(read.index).toBeGreaterThanOrEqual(written.index);
              }
            }
          });
        } finally {
          cluster.stopAll();
        }
      }));

    // The paper's algorithm: the old leader still believes it leads, and ReadIndex alone must
    // keep it from answering. With check-quorum it also steps down: still no answer.
    for (const [profile, features] of [
      ['paper', PAPER_FEATURES],
      ['production', PRODUCTION_FEATURES],
    ] as const)
      it(`a deposed leader in a minority answers no read; reads resume after healing (${profile}, seed ${seed})`, () =>
        replayable(seed, COMMAND, async () => {
          const { cluster, registers, readOn } = registerCluster(seed, 5, features);
          await cluster.startAll();
          try {
            await cluster.run(async () => {
              await cluster.clock.sleep(1_500);
              const old = leaderOf(cluster);
              await cluster.node(old)!.propose('before');
              const [minorityFollower, ...majority] = cluster.ids.filter((id) => id !== old);
              cluster.partition([[old, minorityFollower!], majority]);
              // The old leader still believes it leads (nothing told it otherwise)...
              const staleRead = readOn(old, 3_000);
              const staleFollowerRead = readOn(minorityFollower!, 3_000);
              const staleOutcome = staleRead.then(
                (read) => ({ read }),
                (error: unknown) => ({ error }),
              );
              const followerOutcome = staleFollowerRead.then(
                (read) => ({ read }),
                (error: unknown) => ({ error }),
              );
              // ...while the majority elects a new leader and moves on.
              await cluster.clock.sleep(1_500);
              const fresh = majority.find((id) => cluster.status(id)?.role === 'leader');
              expect(fresh, 'the majority elects a leader').toBeDefined();
              await cluster.node(fresh!)!.propose('after');
              // Check-quorum: no quorum answered it within an election timeout, so it stepped down.
              if (features.checkQuorum) expect(cluster.status(old)?.role).not.toBe('leader');
              else expect(cluster.status(old)?.role).toBe('leader');
              expect(registers.get(old)!.value).toBe('before');
              // Neither the old leader nor its follower may answer: their state is stale.
              const outcome = await staleOutcome;
              // Paper: the read waits for a quorum that never comes. Check-quorum: refused as it steps down.
              expect(
                'error' in outcome && outcome.error,
                'the deposed leader answered a read',
              ).toBeInstanceOf(features.checkQuorum ? NotLeaderError : ReadTimeoutError);
              const followerResult = await followerOutcome;
              expect('error' in followerResult, 'a minority follower answered a read').toBe(true);
              cluster.heal();
              await cluster.clock.sleep(1_500);
              for (const id of cluster.ids) expect((await readOn(id)).value, `read on ${id}`).toBe('after');
            });
          } finally {
            cluster.stopAll();
          }
        }));
  }

  it('concurrent reads on the leader share one round of AppendEntries', async () => {
    const { cluster, readOn } = registerCluster(11, 3);
    await cluster.startAll();
    try {
      await cluster.run(async () => {
        await cluster.clock.sleep(1_500);
        const leader = leaderOf(cluster);
        await cluster.node(leader)!.propose('x');
        let reads: { index: number; value: string }[] = [];
        const sent = await sentDuring(cluster.node(leader)!, async () => {
          reads = await Promise.all(Array.from({ length: 50 }, () => readOn(leader)));
        });
        expect(reads.every((read) => read.value === 'x')).toBe(true);
        // One round to the two followers (a heartbeat may fall in between), not one per read.
        const appends = sent.filter((message) => message.type === 'AppendEntries');
        expect(appends.length).toBeGreaterThanOrEqual(2);
        expect(appends.length).toBeLessThanOrEqual(4);
      });
    } finally {
      cluster.stopAll();
    }
  });

  it("followers' concurrent reads share one ReadIndex request", async () => {
    const { cluster, readOn } = registerCluster(12, 3);
    await cluster.startAll();
    try {
      await cluster.run(async () => {
        await cluster.clock.sleep(1_500);
        const leader = leaderOf(cluster);
        await cluster.node(leader)!.propose('y');
        const follower = cluster.ids.find((id) => id !== leader)!;
        let values: string[] = [];
        const sent = await sentDuring(cluster.node(follower)!, async () => {
          values = (await Promise.all(Array.from({ length: 20 }, () => readOn(follower)))).map(
            (r) => r.value,
          );
        });
        expect(values.every((value) => value === 'y')).toBe(true);
        expect(sent.filter((message) => message.type === 'ReadIndex')).toHaveLength(1);
      });
    } finally {
      cluster.stopAll();
    }
  });

  it('a single-node cluster reads without messages', async () => {
    const { cluster, readOn } = registerCluster(13, 1);
    await cluster.startAll();
    try {
      await cluster.run(async () => {
        await cluster.clock.sleep(1_000);
        const [only] = cluster.ids;
        await cluster.node(only!)!.propose('solo');
        const sent = await sentDuring(cluster.node(only!)!, async () => {
          expect((await readOn(only!)).value).toBe('solo');
        });
        expect(sent).toEqual([]);
      });
    } finally {
      cluster.stopAll();
    }
  });

  it('a node that knows no leader refuses a read at once, naming none', async () => {
    const { cluster } = registerCluster(14, 3);
    await cluster.startAll();
    try {
      await cluster.run(async () => {
        // Before any election: every node is a follower of nobody.
        const [first] = cluster.ids;
        const error = await cluster
          .node(first!)!
          .read()
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(NotLeaderError);
        expect((error as NotLeaderError).leaderHint).toBeNull();
      });
    } finally {
      cluster.stopAll();
    }
  });

  it("a new leader's reads wait for an entry of its own term to commit", async () => {
    const { cluster, readOn } = registerCluster(15, 3);
    await cluster.startAll();
    try {
      await cluster.run(async () => {
        await cluster.clock.sleep(1_500);
        const first = leaderOf(cluster);
        await cluster.node(first)!.propose('one');
        // Depose it: the next leader's read index must cover 'one' (its no-op comes after).
        cluster.disconnect(first);
        await cluster.clock.sleep(1_500);
        const next = cluster.ids.find((id) => id !== first && cluster.status(id)?.role === 'leader')!;
        const read = await readOn(next);
        expect(read.value).toBe('one');
        const status = cluster.status(next)!;
        expect(read.index).toBeGreaterThanOrEqual(status.commitIndex - 0);
        expect(cluster.node(next)!.chartState().context.log.termAt(read.index)).toBe(status.term);
      });
    } finally {
      cluster.stopAll();
    }
  });
});
