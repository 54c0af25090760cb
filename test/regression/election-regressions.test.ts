/**
 * Regression tests, each named for the classic hand-rolled-Raft bug it pins. The cluster
 * tests run over several seeds; a failure message starts with `seed=<n>`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeId, RaftMessage, Role } from '../../machines/index.js';
import { PAPER_FEATURES } from '../../machines/index.js';
import type { RoleChange } from '../../src/node/node-host.js';
import { SimCluster } from '../../src/sim/sim-cluster.js';
import type { TestNode } from '../machines/machine-harness.js';
import { replayable, testSeeds } from '../support/seeds.js';
import {
  TEST_TIMING,
  appendAccepted,
  appendEntries,
  appendRejected,
  entriesWithTerms,
  requestVote,
  spawnNode,
} from '../machines/machine-harness.js';

const SEEDS = testSeeds(8);
const REPLAY = 'npx vitest run test/regression';
const QUIET_MS = 5_000;

let cluster: SimCluster | undefined;
let node: TestNode | undefined;

afterEach(() => {
  cluster?.stopAll();
  cluster = undefined;
  if (node !== undefined) expect(node.errors).toEqual([]);
  node?.actor.stop();
  node = undefined;
});

/** Polls every 50 ms until exactly one of `among` leads the highest term among them. */
async function waitForLeader(c: SimCluster, among: readonly NodeId[], withinMs = 5_000): Promise<NodeId> {
  for (let waited = 0; waited <= withinMs; waited += 50) {
    const statuses = among.map((id) => c.status(id)!);
    const top = Math.max(...statuses.map((s) => s.term));
    const leaders = statuses.filter((s) => s.role === 'leader' && s.term === top);
    if (leaders.length === 1) return leaders[0]!.id;
    await c.clock.sleep(50);
  }
  throw new Error(`no leader among ${among.join(',')} within ${withinMs} ms`);
}

describe('stale timer: a timeout scheduled while follower or candidate never fires after the node became leader', () => {
  it.each(SEEDS)('seed=%i: across many elections, a leader leaves only for a higher term', (seed) =>
    replayable(seed, REPLAY, async () => {
      // The paper's election: with check-quorum a leader may also leave for a lost quorum.
      const c = (cluster = new SimCluster({ seed, size: 5, features: PAPER_FEATURES }));
      const last = new Map<NodeId, RoleChange>();
      const violations: string[] = [];
      c.on('role', (change) => {
        const before = last.get(change.id);
        last.set(change.id, change);
        if (before?.role !== 'leader' || change.role === 'leader') return;
        if (change.role === 'candidate' || change.term <= before.term) {
          violations.push(
            `t=${change.at} node ${change.id}: leader of term ${before.term} -> ${change.role} ${change.term}`,
          );
        }
      });
      await c.startAll();
      await c.run(async () => {
        for (let round = 0; round < 12; round++) {
          const leader = await waitForLeader(c, c.ids);
          const { term } = c.status(leader)!;
          // A majority is connected and nothing new is said: the leader must keep its term.
          await c.clock.sleep(QUIET_MS);
          expect(c.status(leader), `round ${round}`).toMatchObject({ role: 'leader', term });
          c.disconnect(leader);
          const next = await waitForLeader(
            c,
            c.ids.filter((id) => id !== leader),
          );
          expect(c.status(next)!.term).toBeGreaterThan(term);
          c.connect(leader);
        }
      });
      expect(violations).toEqual([]);
      expect(c.checker.checks).toBeGreaterThan(1000);
    }),
  );

  it('a leader sits through twenty election timeouts without campaigning', async () => {
    node = spawnNode();
    await node.lead();
    const out = await node.advance(TEST_TIMING.electionTimeoutMaxMs * 20);
    expect(node.value()).toEqual({ leader: 'heartbeating' });
    expect(node.context().currentTerm).toBe(1);
    expect(out.some((m) => m.type === 'RequestVote')).toBe(false);
  });
});

describe('stuck old leader: a partitioned leader that reconnects steps down on the first message of the higher term', () => {
  it.each(SEEDS)('seed=%i: then grants votes and acknowledges heartbeats', (seed) =>
    replayable(seed, REPLAY, async () => {
      // The paper's election: with check-quorum the cut-off leader steps down by itself.
      const c = (cluster = new SimCluster({ seed, size: 3, features: PAPER_FEATURES }));
      await c.startAll();
      await c.run(async () => {
        const old = await waitForLeader(c, c.ids);
        const oldTerm = c.status(old)!.term;
        c.disconnect(old);
        const others = c.ids.filter((id) => id !== old);
        const leader2 = await waitForLeader(c, others);
        const newTerm = c.status(leader2)!.term;
        expect(c.status(old)).toMatchObject({ role: 'leader', term: oldTerm });

        const oldHost = c.node(old)!;
        let firstNewTermStep: { event: string; role: Role; term: number } | undefined;
        oldHost.on('step', ({ event, status }) => {
          if (firstNewTermStep === undefined && 'term' in event && (event.term as number) > oldTerm) {
            firstNewTermStep = { event: event.type, role: status.role, term: status.term };
          }
        });
        const sent: RaftMessage[] = [];
        oldHost.on('sent', (message) => sent.push(message));

        c.connect(old);
        await c.clock.sleep(1_000);
        // Stepped down in the very step that brought the higher term, whatever message it was.
        expect(firstNewTermStep).toMatchObject({ role: 'follower', term: newTerm });
        expect(c.status(old)).toMatchObject({ role: 'follower', term: newTerm, leaderId: leader2 });
        const acks = sent.filter((m) => m.type === 'AppendEntriesReply' && m.to === leader2 && m.success);
        expect(acks.length).toBeGreaterThanOrEqual(5);

        // Without leader2, the old leader and the third node must elect one of themselves.
        c.disconnect(leader2);
        const leader3 = await waitForLeader(c, others.filter((id) => id !== leader2).concat(old));
        expect(c.status(leader3)!.term).toBeGreaterThan(newTerm);
        if (leader3 !== old) {
          const votes = sent.filter(
            (m) => m.type === 'RequestVoteReply' && m.to === leader3 && m.voteGranted,
          );
          expect(votes.length).toBeGreaterThan(0);
        }
      });
    }),
  );
});

describe('deaf role: a node answers RequestVote and AppendEntries whatever its role, in the same step', () => {
  const roles = ['follower', 'candidate', 'leader'] as const;
  const kinds = ['RequestVote', 'AppendEntries'] as const;
  const terms = ['lower', 'equal', 'higher'] as const;
  const cases = roles.flatMap((role) =>
    kinds.flatMap((kind) => terms.map((term) => [role, kind, term] as const)),
  );

  it.each(cases)('%s answers %s of a %s term', async (role, kind, which) => {
    node = spawnNode({ hardState: { currentTerm: 3, votedFor: null } });
    if (role === 'candidate') await node.campaign();
    if (role === 'leader') await node.lead();
    expect(node.role()).toBe(role);
    const current = node.context().currentTerm;
    const term = which === 'lower' ? current - 1 : which === 'equal' ? current : current + 1;
    const request = kind === 'RequestVote' ? requestVote('b', term) : appendEntries('b', term);
    const replies = node.deliver(request).filter((m) => 'inReplyTo' in m);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({
      type: `${kind}Reply`,
      from: 'a',
      to: 'b',
      inReplyTo: request.rpcId,
      term: Math.max(term, current),
    });
  });
});

describe('timer reset on refusal: a follower that refuses a vote to a higher-term candidate', () => {
  it('adopts the term and keeps its election timer running', async () => {
    node = spawnNode({ hardState: { currentTerm: 2, votedFor: null }, entries: entriesWithTerms(1, 2) });
    await node.advance(300);
    const stale = { index: 1, term: 1 };
    expect(node.deliver(requestVote('b', 5, stale))).toMatchObject([{ voteGranted: false, term: 5 }]);
    expect(node.context()).toMatchObject({ currentTerm: 5, votedFor: null });
    await node.advance(TEST_TIMING.electionTimeoutMinMs - 300 - 1);
    expect(node.role()).toBe('follower');
    await node.advance(1);
    // The timer started at t=0 fired at t=500: the refusal did not restart it.
    expect(node.role()).toBe('candidate');
    expect(node.context().currentTerm).toBe(6);
  });
});

describe("heartbeat reset: a leader's heartbeat does not reset its per-peer state", () => {
  it('keeps nextIndex and matchIndex across heartbeats', async () => {
    node = spawnNode({ hardState: { currentTerm: 3, votedFor: null }, entries: entriesWithTerms(1, 2, 3) });
    await node.lead();
    const term = node.context().currentTerm;
    node.deliver(appendAccepted('b', term, 3));
    const conflict = { conflictTerm: 0, conflictIndex: 2, logLength: 1 };
    node.deliver(appendRejected('c', term, conflict, node.lastAppendTo('c')));
    const indexes = () =>
      Object.entries(node!.context().progress).map(([peer, p]) => [peer, p.nextIndex, p.matchIndex, p.mode]);
    expect(indexes()).toEqual([
      ['b', 4, 3, 'replicate'],
      ['c', 2, 0, 'probe'],
    ]);

    const out = await node.advance(TEST_TIMING.heartbeatIntervalMs * 10 + 50);
    expect(indexes()).toEqual([
      ['b', 4, 3, 'replicate'],
      ['c', 2, 0, 'probe'],
    ]);
    const heartbeats = out.filter((m) => m.type === 'AppendEntries');
    expect(heartbeats).toHaveLength(20);
    expect(heartbeats.filter((m) => m.to === 'b').every((m) => m.prevLogIndex === 3)).toBe(true);
    // c's probe is retried on every heartbeat, empty: an unanswered follower costs no batch.
    const probes = heartbeats.filter((m) => m.to === 'c');
    expect(probes.every((m) => m.prevLogIndex === 1 && m.entries.length === 0)).toBe(true);
  });
});
