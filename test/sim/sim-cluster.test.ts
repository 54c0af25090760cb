/**
 * The simulator runs the node API applications ship: RaftNode with the application's own
 * StateMachine, one fresh instance per node start, restored from snapshots as a real
 * process would be.
 */
import { describe, expect, it } from 'vitest';
import type { StateMachine } from '../../src/api/state-machine.js';
import { NotLeaderError } from '../../src/errors.js';
import { raftMachine } from '../../machines/index.js';
import { formatChartOutline } from '../../src/inspect/chart-outline.js';
import { SimCluster } from '../../src/sim/sim-cluster.js';
import { replayable, testSeeds } from '../support/seeds.js';

/** A bank of accounts: the kind of application a user tests in the simulator. */
class Accounts implements StateMachine<{ to: string; amount: number }, number> {
  balances = new Map<string, number>();
  restores: { index: number; term: number }[] = [];

  apply(command: { to: string; amount: number }): number {
    const balance = (this.balances.get(command.to) ?? 0) + command.amount;
    this.balances.set(command.to, balance);
    return balance;
  }

  snapshot(): string {
    return JSON.stringify([...this.balances]);
  }

  restore(snapshot: string, meta: { index: number; term: number }): void {
    this.balances = new Map(JSON.parse(snapshot) as [string, number][]);
    this.restores.push(meta);
  }
}

const leaderOf = (cluster: SimCluster<unknown, unknown>) =>
  cluster.ids.find((id) => cluster.status(id)?.role === 'leader');

describe('SimCluster over RaftNode', () => {
  for (const seed of testSeeds(3)) {
    it(`proposals resolve with the application's results; a restarted node restores its snapshot (seed ${seed})`, () =>
      replayable(seed, 'npx vitest run test/sim/sim-cluster.test.ts', async () => {
        const machines = new Map<string, Accounts[]>();
        const cluster = new SimCluster({
          seed,
          size: 3,
          snapshotEvery: 5,
          stateMachine: (id) => {
            const machine = new Accounts();
            machines.set(id, [...(machines.get(id) ?? []), machine]);
            return machine;
          },
        });
        await cluster.startAll();
        try {
          await cluster.run(async () => {
            await cluster.clock.sleep(1_500);
            const leader = leaderOf(cluster)!;
            const node = cluster.node(leader)!;
            const results: number[] = [];
            for (let i = 1; i <= 12; i++) results.push((await node.propose({ to: 'ann', amount: i })).result);
            expect(results.at(-1)).toBe(78);
            const follower = cluster.ids.find((id) => id !== leader)!;
            await expect(cluster.node(follower)!.propose({ to: 'bob', amount: 1 })).rejects.toBeInstanceOf(
              NotLeaderError,
            );
            await cluster.clock.sleep(500);
            // Every node's state machine applied the same commands; snapshots were taken.
            for (const id of cluster.ids) expect(machines.get(id)![0]!.balances.get('ann')).toBe(78);
            expect(cluster.storage(follower).persisted.snapshot?.index).toBeGreaterThanOrEqual(5);
            // A restart is a fresh state machine, restored from the snapshot, then caught up.
            await cluster.start(follower);
            cluster.connect(follower);
            await cluster.clock.sleep(1_000);
            const restarted = machines.get(follower)!.at(-1)!;
            expect(machines.get(follower)).toHaveLength(2);
            expect(restarted.restores[0]!.index).toBeGreaterThanOrEqual(5);
            expect(restarted.balances.get('ann')).toBe(78);
          });
        } finally {
          cluster.stopAll();
        }
        expect(cluster.checker.checks).toBeGreaterThan(0);
      }));
  }

  it('names the transitions each step took, as the chart outline (and the diagram) names them', async () => {
    const cluster = new SimCluster({ seed: 3, size: 3 });
    const taken = new Set<string>();
    cluster.on('starting', (node) =>
      node.on('step', ({ transitions }) => transitions.forEach((t) => taken.add(t))),
    );
    await cluster.startAll();
    try {
      await cluster.runFor(2_000);
    } finally {
      cluster.stopAll();
    }
    const outline = formatChartOutline(raftMachine)
      .split('\n')
      .map((line) => line.trim());
    expect(taken.size).toBeGreaterThan(3);
    for (const key of taken) expect(outline).toContain(key);
    // Pre-vote is on by default: a follower that times out polls before it campaigns.
    expect(taken).toContain('follower.waiting: after electionTimeout [usesPreVote] -> preCandidate');
    expect(taken).toContain('preCandidate.polling: always [hasPreVoteQuorum] -> candidate');
    expect(taken).toContain('candidate.campaigning: always [hasVoteQuorum] -> leader / becomeLeader');
  });

  it("passes XState's inspect hook, in its observer form, to every node's actor", async () => {
    const seen = new Set<string>();
    const cluster = new SimCluster({ seed: 2, size: 3, inspect: { next: (i) => void seen.add(i.type) } });
    await cluster.startAll();
    try {
      await cluster.runFor(1_500);
    } finally {
      cluster.stopAll();
    }
    expect(seen).toEqual(
      new Set(['@xstate.actor', '@xstate.event', '@xstate.snapshot', '@xstate.microstep', '@xstate.action']),
    );
  });

  it('leaders append a no-op by default (the state machine never sees it); noopOnElection: false turns it off', async () => {
    for (const noopOnElection of [true, false]) {
      const applied: unknown[] = [];
      const cluster = new SimCluster({ seed: 4, size: 3, noopOnElection });
      cluster.on('applied', (id, entry) => void (id === '0' && applied.push(entry.command)));
      await cluster.startAll();
      try {
        await cluster.run(async () => {
          await cluster.clock.sleep(1_500);
          const { index } = await cluster.node(leaderOf(cluster)!)!.propose('x');
          expect(index).toBe(noopOnElection ? 2 : 1);
          await cluster.clock.sleep(300);
        });
      } finally {
        cluster.stopAll();
      }
      expect(applied).toEqual(noopOnElection ? [null, 'x'] : ['x']);
    }
  });
});
