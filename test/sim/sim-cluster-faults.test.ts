/**
 * SimCluster's fault helpers, acting on the real nodes: their real election timers moved
 * (time out now, align, spread), one-way link cuts, partitions and heal, and the clock
 * stepped one timer at a time.
 */
import { describe, expect, it } from 'vitest';
import type { NodeId, RaftFeatures, Role } from '../../machines/index.js';
import { PAPER_FEATURES, PRODUCTION_FEATURES, isRequest } from '../../machines/index.js';
import type { NetworkDropped } from '../../src/sim/sim-network.js';
import { SimCluster, SimulationFailure, TIMER_SPREAD_MS } from '../../src/sim/sim-cluster.js';
import { replayable, testSeeds } from '../support/seeds.js';

const COMMAND = 'npx vitest run test/sim/sim-cluster-faults.test.ts';

/**
 * A started cluster of `size` nodes, with a latency that keeps messages in flight a while.
 * The timer helpers are asserted on the paper's elections (a follower that times out
 * campaigns at once, votes split), so by default pre-vote and check-quorum are off; their
 * elections have their own tests (pre-vote.test.ts, check-quorum.test.ts).
 */
async function cluster(seed: number, size = 5, features: RaftFeatures = PAPER_FEATURES): Promise<SimCluster> {
  const c = new SimCluster({ seed, size, features, latency: { minMs: 10, maxMs: 30 } });
  await c.startAll();
  return c;
}

function leaders(c: SimCluster): NodeId[] {
  return c.ids.filter((id) => c.status(id)?.role === 'leader');
}

/** Runs until exactly one connected node leads (a minority's stale leader aside), and returns it. */
async function electLeader(c: SimCluster, among: readonly NodeId[] = c.ids): Promise<NodeId> {
  for (let waited = 0; waited < 10_000; waited += 50) {
    const found = among.filter((id) => c.status(id)?.role === 'leader');
    if (found.length === 1) return found[0]!;
    await c.runFor(50);
  }
  throw new Error(`no single leader among ${among.join(', ')} within 10 s`);
}

function electionDeadline(c: SimCluster, id: NodeId): number | undefined {
  return c
    .node(id)
    ?.pendingTimers()
    .find((timer) => timer.kind === 'electionTimeout')?.deadline;
}

/** Each node's (role, term) after every step, in order. */
function watchRoles(c: SimCluster): { id: NodeId; role: Role; term: number; at: number }[] {
  const seen: { id: NodeId; role: Role; term: number; at: number }[] = [];
  c.on('role', ({ id, role, term, at }) => seen.push({ id, role, term, at }));
  return seen;
}

describe('timeoutNow', () => {
  it("fires a follower's real election timer at the clock's next step: it is a candidate at once", async () => {
    const c = await cluster(1);
    const leader = await electLeader(c);
    const follower = c.ids.find((id) => id !== leader)!;
    const term = c.status(follower)!.term;
    const timers: (number | null)[] = [];
    c.node(follower)!.on('timer', (kind, deadline) => kind === 'electionTimeout' && timers.push(deadline));
    expect(c.timeoutNow(follower)).toBe(true);
    expect(timers).toEqual([c.clock.now()]); // the node's record of its timer moved with it
    expect(c.clock.nextDue()).toBe(c.clock.now());
    await c.step();
    expect(c.status(follower)).toMatchObject({ role: 'candidate', term: term + 1 });
    c.stopAll();
  });

  it('refuses a leader (no election timer) and a crashed node', async () => {
    const c = await cluster(2);
    const leader = await electLeader(c);
    expect(c.timeoutNow(leader)).toBe(false);
    const follower = c.ids.find((id) => id !== leader)!;
    c.crash(follower);
    expect(c.timeoutNow(follower)).toBe(false);
    expect(() => c.timeoutNow('nobody')).toThrow(/no node "nobody"/);
    c.stopAll();
  });
});

describe('alignElectionTimers and spreadElectionTimers', () => {
  it('align: the timers fall due together, at the earliest of their deadlines', async () => {
    const c = await cluster(3);
    const moved = c.alignElectionTimers();
    expect(moved).toEqual(c.ids);
    const deadlines = c.ids.map((id) => electionDeadline(c, id));
    expect(new Set(deadlines).size).toBe(1);
    c.stopAll();
  });

  for (const seed of testSeeds(3)) {
    it(`align after the leader crashes: the others split the vote in the next term (seed ${seed})`, () =>
      replayable(seed, COMMAND, async () => {
        const c = await cluster(seed);
        const leader = await electLeader(c);
        const term = c.status(leader)!.term;
        c.crash(leader);
        await c.runFor(50); // its last heartbeats land (they were on the wire), then nothing more does
        const roles = watchRoles(c);
        expect(c.alignElectionTimers()).toHaveLength(4);
        await c.runFor(2_000);
        const next = roles.filter((r) => r.term === term + 1);
        expect(next.filter((r) => r.role === 'candidate').length).toBeGreaterThanOrEqual(2);
        expect(next.filter((r) => r.role === 'leader')).toEqual([]); // split: nobody won term + 1
        expect(roles.some((r) => r.role === 'leader' && r.term > term + 1)).toBe(true); // a later term did
        c.stopAll();
      }));

    it(`spread: the first node times out alone and wins without a rival (seed ${seed})`, () =>
      replayable(seed, COMMAND, async () => {
        const c = await cluster(seed);
        const order = ['3', '1', '4', '0', '2'];
        expect(c.spreadElectionTimers(order)).toEqual(order);
        const first = electionDeadline(c, '3')!;
        expect(order.map((id) => electionDeadline(c, id)! - first)).toEqual(
          order.map((_, i) => i * TIMER_SPREAD_MS),
        );
        const roles = watchRoles(c);
        await c.runFor(first + 100 - c.clock.now());
        expect(roles.filter((r) => r.role !== 'follower')).toEqual([
          { id: '3', role: 'candidate', term: 1, at: first },
          expect.objectContaining({ id: '3', role: 'leader', term: 1 }),
        ]);
        c.stopAll();
      }));
  }

  it('leave leaders and crashed nodes alone, and refuse unknown ids', async () => {
    const c = await cluster(4);
    const leader = await electLeader(c);
    const down = c.ids.find((id) => id !== leader)!;
    c.crash(down);
    const rest = c.ids.filter((id) => id !== leader && id !== down);
    expect(c.alignElectionTimers()).toEqual(rest);
    expect(c.spreadElectionTimers([leader, down])).toEqual([]);
    expect(() => c.alignElectionTimers(['x'])).toThrow(/no node "x"/);
    c.stopAll();
  });
});

describe('links and partitions', () => {
  it('setLink cuts one direction only, and the cut outlives a crash, a restart and a connect', async () => {
    const c = await cluster(5, 3);
    c.spreadElectionTimers(['0', '1', '2']); // 0 leads, and keeps sending to 1
    await electLeader(c);
    const drops: NetworkDropped[] = [];
    c.network.on('dropped', (drop) => drops.push(drop));
    c.setLink('0', '1', false);
    expect(c.isLinkUp('0', '1')).toBe(false);
    expect(c.isLinkUp('1', '0')).toBe(true);
    await c.runFor(1_500);
    // What the cut stops: 0's calls to 1, and so the replies to them (a reply rides its call's link).
    const cut = drops.filter((d) => d.reason === 'linkDown').map(({ message }) => message);
    expect(cut.some((m) => isRequest(m) && m.from === '0' && m.to === '1')).toBe(true);
    expect(
      cut.every((m) => (isRequest(m) ? m.from === '0' && m.to === '1' : m.from === '1' && m.to === '0')),
    ).toBe(true);
    c.crash('1');
    expect(c.isLinkUp('2', '1')).toBe(false); // a crashed node is disconnected
    await c.start('1');
    c.connect('1');
    expect(c.isLinkUp('0', '1')).toBe(false);
    expect(c.isLinkUp('2', '1')).toBe(true);
    c.setLink('0', '1', true);
    expect(c.isLinkUp('0', '1')).toBe(true);
    expect(() => c.setLink('0', '0', false)).toThrow(/two different nodes/);
    c.stopAll();
  });

  for (const seed of testSeeds(3)) {
    it(`partition: the majority elects a new leader, the old one cannot commit; heal: one leader (seed ${seed})`, () =>
      replayable(seed, COMMAND, async () => {
        // With the production features: check-quorum deposes the old leader too, and it still cannot commit.
        const c = await cluster(seed, 5, PRODUCTION_FEATURES);
        const old = await electLeader(c);
        const term = c.status(old)!.term;
        const [buddy, ...majority] = c.ids.filter((id) => id !== old);
        c.partition([[old, buddy!], majority]);
        expect(c.isLinkUp(old, buddy!)).toBe(true);
        expect(c.isLinkUp(old, majority[0]!)).toBe(false);
        expect(c.isLinkUp(majority[0]!, buddy!)).toBe(false);
        const stale = c.node(old)!.submit('lost');
        const fresh = await electLeader(c, majority);
        expect(c.status(fresh)!.term).toBeGreaterThan(term);
        const committed = c.node(fresh)!.submit('kept');
        await c.runFor(1_000);
        expect(c.status(old)!.commitIndex).toBeLessThan(stale.index);
        for (const id of majority) expect(c.status(id)!.commitIndex).toBeGreaterThanOrEqual(committed.index);
        c.heal();
        await c.runFor(2_000);
        expect(leaders(c)).toHaveLength(1);
        for (const id of c.ids) expect(c.status(id)!.commitIndex).toBeGreaterThanOrEqual(committed.index);
        c.stopAll();
      }));
  }

  it('partition: a node in no group is alone; a node in two groups is refused', async () => {
    const c = await cluster(6);
    c.partition([
      ['0', '1'],
      ['2', '3'],
    ]);
    for (const other of ['0', '1', '2', '3'])
      expect(c.isLinkUp('4', other) || c.isLinkUp(other, '4')).toBe(false);
    expect(() =>
      c.partition([
        ['0', '1'],
        ['1', '2'],
      ]),
    ).toThrow(/node "1" is in two groups/);
    c.stopAll();
  });

  it('heal: every link up and every running node connected, crashed ones left down', async () => {
    const c = await cluster(7);
    c.setLink('0', '1', false);
    c.disconnect('2');
    c.crash('3');
    c.heal();
    expect(c.isLinkUp('0', '1')).toBe(true);
    expect(c.isConnected('2')).toBe(true);
    expect(c.isConnected('3')).toBe(false);
    expect(c.isLinkUp('2', '4')).toBe(true);
    c.stopAll();
  });
});

describe('step', () => {
  it("fires one timer of the cluster's clock; a failure says the seed", async () => {
    const c = await cluster(8, 3);
    const before = c.clock.firedTimers;
    const due = c.clock.nextDue();
    await expect(c.step()).resolves.toBe(true);
    expect(c.clock.firedTimers).toBe(before + 1);
    expect(c.clock.now()).toBe(due);
    c.clock.fail(new Error('broken on purpose'));
    const error = await c.step().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SimulationFailure);
    expect((error as Error).message).toMatch(/^seed=8 t=\d+ms: broken on purpose/);
    c.stopAll();
  });
});
