/**
 * What the leadership and membership scenarios share: waiting on a simulated cluster, a
 * writer that proposes to whoever leads and keeps what was acknowledged, and the check
 * that no acknowledged write was lost. Every helper runs inside `cluster.run`.
 */
import type { NodeId } from '../../machines/index.js';
import type { SimCluster } from '../../src/sim/sim-cluster.js';
import type { SeededRandom } from '../../src/sim/seeded-random.js';
import { waitFor } from '../fuzz/cluster-helpers.js';

/** Starts `cluster`, runs `body` on its clock, and stops every node whatever happens. */
export async function runCluster<T>(cluster: SimCluster, body: () => Promise<T>): Promise<T> {
  await cluster.startAll();
  try {
    return await cluster.run(body);
  } finally {
    cluster.stopAll();
  }
}

// The same wait as the fuzzer's.
export { waitFor };

/** Waits until exactly one of `among` (default every node) leads, and returns it. */
export async function oneLeader(
  cluster: SimCluster,
  among: readonly NodeId[] = cluster.ids,
  boundMs = 10_000,
): Promise<NodeId> {
  const leaders = () => among.filter((id) => cluster.status(id)?.role === 'leader');
  if (!(await waitFor(cluster, () => leaders().length === 1, boundMs))) {
    throw new Error(
      `no single leader among [${among.join(', ')}] within ${boundMs} ms: [${leaders().join(', ')}]`,
    );
  }
  return leaders()[0]!;
}

/** Every leader a node became, in order, with its term: leader changes are its length - 1. */
export function watchLeaders(cluster: SimCluster): { id: NodeId; term: number; at: number }[] {
  const seen: { id: NodeId; term: number; at: number }[] = [];
  cluster.on('role', ({ id, role, term, at }) => {
    if (role === 'leader') seen.push({ id, term, at });
  });
  return seen;
}

/** The highest term any running node is in. */
export function maxTerm(cluster: SimCluster): number {
  return Math.max(0, ...cluster.ids.map((id) => cluster.status(id)?.term ?? 0));
}

export interface Writer {
  /** Acknowledged writes: index -> command. */
  readonly acked: Map<number, string>;
  /** Proposals refused or not acknowledged (no leader, deposed, timed out). */
  readonly failed: () => number;
  /** Stops proposing and waits for the proposals in flight to settle. */
  stop(): Promise<void>;
}

/** Proposes `prefix<n>` to the current leader every `everyMs`, without waiting for the last. */
export function startWriter(cluster: SimCluster, prefix = 'w', everyMs = 50): Writer {
  const acked = new Map<number, string>();
  const inFlight = new Set<Promise<void>>();
  let failed = 0;
  let stopped = false;
  let n = 0;
  const loop = (async () => {
    while (!stopped) {
      const leader = cluster.leader();
      const node = leader === null ? null : cluster.node(leader);
      if (node === null) failed++;
      else {
        const command = `${prefix}${n++}`;
        const proposal = node.propose(command).then(
          ({ index }) => void acked.set(index, command),
          () => void failed++,
        );
        inFlight.add(proposal);
        void proposal.finally(() => inFlight.delete(proposal));
      }
      await cluster.clock.sleep(everyMs);
    }
  })();
  return {
    acked,
    failed: () => failed,
    stop: async () => {
      stopped = true;
      await loop;
      await Promise.all([...inFlight]);
    },
  };
}

/** Records each node's applied commands by index (a restart applies them again, the same). */
export function watchApplied(cluster: SimCluster): Map<NodeId, Map<number, unknown>> {
  const applied = new Map<NodeId, Map<number, unknown>>();
  cluster.on('applied', (id, entry) => {
    let log = applied.get(id);
    if (log === undefined) applied.set(id, (log = new Map()));
    log.set(entry.index, entry.command);
  });
  return applied;
}

/** Every acknowledged write is applied at its index on each of `nodes` (none lost). */
export function lostWrites(
  acked: ReadonlyMap<number, string>,
  applied: ReadonlyMap<NodeId, ReadonlyMap<number, unknown>>,
  nodes: readonly NodeId[],
): string[] {
  const lost: string[] = [];
  for (const id of nodes) {
    for (const [index, command] of acked) {
      const held = applied.get(id)?.get(index);
      if (held !== command) lost.push(`${id}@${index}: ${command} (applied ${JSON.stringify(held)})`);
    }
  }
  return lost;
}

/** A uniform whole number of milliseconds in [min, max]. */
export function between(random: SeededRandom, min: number, max: number): number {
  return min + random.int(max - min);
}

/**
 * Toggles every link of `id` for `durationMs`: down for `down` ms, up for `up` ms, again
 * and again (each span drawn anew), and leaves it connected. Returns the number of cuts.
 */
export async function flapLinks(
  cluster: SimCluster,
  id: NodeId,
  random: SeededRandom,
  durationMs: number,
  spans: { readonly down: readonly [number, number]; readonly up: readonly [number, number] } = {
    down: [500, 2_000],
    up: [500, 2_000],
  },
): Promise<number> {
  const end = cluster.clock.now() + durationMs;
  let cuts = 0;
  while (cluster.clock.now() < end) {
    cluster.disconnect(id);
    cuts++;
    await cluster.clock.sleep(Math.min(between(random, ...spans.down), end - cluster.clock.now()));
    cluster.connect(id);
    if (cluster.clock.now() >= end) break;
    await cluster.clock.sleep(Math.min(between(random, ...spans.up), end - cluster.clock.now()));
  }
  return cuts;
}
