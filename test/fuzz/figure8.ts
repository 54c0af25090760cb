/**
 * Raft paper Figure 8, staged on a 5-node SimCluster with details drawn from the seed: an
 * entry of an old term, replicated to a majority by a later leader, must not be committed by
 * counting replicas, for a node that never had it can still be elected and overwrite it.
 * Random schedules rarely get there; this one walks the cluster through it:
 *
 *  1. A leads; it takes an entry X that only B gets (A and B cut off from the rest), and crashes.
 *  2. E wins a later term with the votes of C and D; it takes an entry Y at X's index that
 *     nobody else gets (its outgoing links cut), and crashes.
 *  3. A restarts and A (or B, which holds X too) is elected; it replicates X to a majority,
 *     taking no proposal of its own term; then it crashes.
 *  4. E restarts and can be elected (its last term is higher than X's): it overwrites X.
 *
 * A leader that committed X in step 3 by counting replicas is caught by the invariant checker
 * (a new leader without a committed entry) when E wins in step 4. Then the run heals and
 * checks liveness, as every fuzz run does.
 */
import type { NodeId, RaftTiming } from '../../machines/index.js';
import { PAPER_FEATURES } from '../../machines/index.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import { SimCluster } from '../../src/sim/sim-cluster.js';
import { leaders, waitFor } from './cluster-helpers.js';
import { checkLiveness, LIVENESS_MS } from './liveness.js';
import type { RunOutcome } from './outcome.js';
import { failureOutcome, RecentLines } from './outcome.js';
import type { Durability } from './schedule.js';

/** The choices a seed makes for its Figure 8 run. */
export interface Figure8Plan {
  readonly seed: number;
  readonly timing: RaftTiming;
  readonly latency: { readonly minMs: number; readonly maxMs: number };
  readonly durability: Durability;
  /** Entries committed everywhere before the scenario starts. */
  readonly preEntries: number;
  /** Which node plays A, the first leader. */
  readonly first: number;
  /** Who plays B, C, D and E: A's peers, in this shuffled order. */
  readonly order: readonly number[];
  /** Extra virtual ms each leader waits before it crashes, past what its step needs. */
  readonly lingerMs: readonly [number, number, number];
}

/** How far a Figure 8 run got: `overwrite` means E led again while a majority held X. */
export type Figure8Stage = 'start' | 'isolated' | 'second' | 'replicated' | 'overwrite';

export type Figure8Outcome = RunOutcome & { readonly stage: Figure8Stage };

const SIZE = 5;
/** Each step's wait for what it needs (a leader, an entry durable somewhere). */
const STEP_MS = 5_000;

export function figure8Plan(seed: number): Figure8Plan {
  const random = new SeededRandom(seed, 'fuzz-figure8');
  const heartbeatIntervalMs = 20 + random.int(80);
  const electionTimeoutMinMs = heartbeatIntervalMs * (3 + random.int(3));
  const electionTimeoutMaxMs = electionTimeoutMinMs + 100 + random.int(300);
  const maxMs = random.int(10);
  const order = [0, 1, 2, 3];
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.int(i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return {
    seed,
    timing: { heartbeatIntervalMs, electionTimeoutMinMs, electionTimeoutMaxMs },
    latency: { minMs: random.int(maxMs), maxMs },
    durability: random.chance(1, 4) ? 'instant' : { minMs: 0, maxMs: 1 + random.int(10) },
    preEntries: random.int(3),
    first: random.int(SIZE - 1),
    order,
    lingerMs: [random.int(50), random.int(50), random.int(50)],
  };
}

export function formatFigure8Plan(plan: Figure8Plan): string {
  const { heartbeatIntervalMs: hb, electionTimeoutMinMs: emin, electionTimeoutMaxMs: emax } = plan.timing;
  const durability =
    plan.durability === 'instant' ? 'instant' : `${plan.durability.minMs}-${plan.durability.maxMs}ms`;
  return (
    `figure 8, seed ${plan.seed}: heartbeat ${hb}ms, election ${emin}-${emax}ms, latency ` +
    `${plan.latency.minMs}-${plan.latency.maxMs}ms, durability ${durability}, ${plan.preEntries} entries ` +
    `first, A = ${plan.first}, B,C,D,E = its peers in order ${plan.order.join(',')}, ` +
    `leaders linger ${plan.lingerMs.join('/')}ms before crashing`
  );
}

export async function runFigure8(plan: Figure8Plan): Promise<Figure8Outcome> {
  const cluster = new SimCluster({
    seed: plan.seed,
    size: SIZE,
    timing: plan.timing,
    latency: plan.latency,
    durability: plan.durability,
    // Without no-ops a re-elected leader sends X alone, not X with an entry of its own term.
    noopOnElection: false,
    // Figure 8 is about the paper's elections: with leader stickiness the voters that just
    // heard from a leader would refuse the staged elections (the random schedules run the default).
    features: PAPER_FEATURES,
    snapshotEvery: 0,
    budget: { virtualMs: 6 * STEP_MS + LIVENESS_MS + 10_000, wallMs: 60_000 },
  });
  const recent = new RecentLines();
  cluster.on('role', ({ id, role, term, at }) => recent.add(`t=${at} ${id} ${role} term ${term}`));
  let stage: Figure8Stage = 'start';
  const note = (reached: Figure8Stage, line: string) => {
    stage = reached;
    recent.add(`t=${cluster.clock.now()} [${line}]`);
  };
  try {
    await cluster.run(async () => {
      await cluster.startAll();
      const a = await elect(cluster, [cluster.ids[plan.first]!]);
      if (a === undefined) return;
      const peers = cluster.ids.filter((id) => id !== a);
      const [b, c, d, e] = plan.order.map((i) => peers[i]!) as [NodeId, NodeId, NodeId, NodeId];
      for (let i = 0; i < plan.preEntries; i++)
        void cluster
          .node(a)!
          .propose(`pre${i}`)
          .catch(() => {});
      const synced = () => cluster.ids.every((id) => cluster.status(id)!.appliedIndex >= plan.preEntries);
      if (!(await waitFor(cluster, synced, STEP_MS))) return;

      // 1. X reaches B only; A crashes.
      cluster.partition([
        [a, b],
        [c, d, e],
      ]);
      const x = cluster.node(a)!.submit('X');
      if (!x.isLeader) return;
      const holdsX = (id: NodeId) => cluster.storage(id).termAt(x.index) === x.term;
      if (!(await waitFor(cluster, () => holdsX(a) && holdsX(b), STEP_MS, 1))) return;
      await cluster.clock.sleep(plan.lingerMs[0]);
      cluster.crash(a);
      note('isolated', `${a} took X at ${x.index} (term ${x.term}), only ${b} got it; ${a} crashed`);

      // 2. E leads a later term with C's and D's votes, takes Y nobody gets, crashes.
      cluster.partition([[b], [c, d, e]]);
      if ((await elect(cluster, [e], [c, d, e])) === undefined) return;
      for (const other of cluster.ids) if (other !== e) cluster.setLink(e, other, false);
      const y = cluster.node(e)!.submit('Y');
      if (!y.isLeader || y.index !== x.index) return;
      if (!(await waitFor(cluster, () => cluster.storage(e).termAt(y.index) === y.term, STEP_MS, 1))) return;
      await cluster.clock.sleep(plan.lingerMs[1]);
      cluster.crash(e);
      note('second', `${e} took Y at ${y.index} (term ${y.term}), nobody got it; ${e} crashed`);

      // 3. A (or B) leads again and brings X to a majority, with nothing of its own term.
      await cluster.start(a);
      cluster.partition([[a, b, c, d]]);
      const third = await elect(cluster, [a, b], [a, b, c, d]);
      if (third === undefined) return;
      const majority = () => cluster.ids.filter(holdsX).length >= 3;
      if (!(await waitFor(cluster, majority, STEP_MS, 1))) return;
      // Long enough for the replies to reach the leader (where a wrong count would commit X).
      await cluster.clock.sleep(2 * plan.latency.maxMs + plan.timing.heartbeatIntervalMs + plan.lingerMs[2]);
      cluster.crash(third);
      note(
        'replicated',
        `${third} led term ${cluster.storage(third).hardState.currentTerm} and brought X to a majority; crashed`,
      );

      // 4. E comes back and is elected by the others: it overwrites X with Y.
      await cluster.start(e);
      cluster.heal();
      if (
        (await elect(
          cluster,
          [e],
          cluster.ids.filter((id) => id !== third),
        )) === undefined
      )
        return;
      note('overwrite', `${e} leads term ${cluster.status(e)!.term} with X on a majority`);
      await cluster
        .node(e)!
        .propose('Z')
        .catch(() => {});
    });
    const liveness = await checkLiveness(cluster, plan.latency, 'final');
    return { ok: true, at: cluster.clock.now(), proposals: plan.preEntries + 3, ...liveness, stage };
  } catch (error) {
    return { ...failureOutcome(error, cluster.clock.now(), recent.lines()), stage };
  } finally {
    cluster.stopAll();
  }
}

/**
 * Times out `candidates` (the first of them not leading) until one of them leads alone among
 * `among`; undefined if that takes longer than a step's bound. Call it inside `cluster.run`.
 */
async function elect(
  cluster: SimCluster,
  candidates: readonly NodeId[],
  among: readonly NodeId[] = cluster.ids,
): Promise<NodeId | undefined> {
  let winner: NodeId | undefined;
  const won = () => {
    const found = leaders(cluster).filter((id) => among.includes(id));
    winner = found.length === 1 && candidates.includes(found[0]!) ? found[0] : undefined;
    if (winner === undefined && cluster.status(candidates[0]!)?.role === 'follower') {
      cluster.timeoutNow(candidates[0]!);
    }
    return winner !== undefined;
  };
  return (await waitFor(cluster, won, STEP_MS, 5)) ? winner : undefined;
}
