/** Small moves on a SimCluster that the fuzz runs and the Figure 8 scenario share. */
import type { NodeId } from '../../machines/index.js';
import type { SimCluster } from '../../src/sim/sim-cluster.js';

/** Starts (or restarts) `id` from what it persisted and connects it. */
export async function restart(cluster: SimCluster, id: NodeId): Promise<void> {
  await cluster.run(() => cluster.start(id));
  cluster.connect(id);
}

/** The live nodes that believe they lead. */
export function leaders(cluster: SimCluster): NodeId[] {
  return cluster.ids.filter((id) => cluster.status(id)?.role === 'leader');
}

/** Every node's role, term, leader, commit and applied index: what a failure shows. */
export function describeNodes(cluster: SimCluster): string {
  return cluster.ids
    .map((id) => {
      const s = cluster.status(id);
      if (s === null) return `${id}: down`;
      const leader = s.leaderId ?? '-';
      return `${id}: ${s.role} term ${s.term} leader ${leader} log ${s.lastLogIndex}/${s.lastLogTerm} commit ${s.commitIndex} applied ${s.appliedIndex}`;
    })
    .join('; ');
}

/**
 * Runs in steps of `stepMs` until `done()` holds (true) or `boundMs` of virtual time passed
 * (false). Call it inside `cluster.run`.
 */
export async function waitFor(
  cluster: SimCluster,
  done: () => boolean,
  boundMs: number,
  stepMs = 10,
): Promise<boolean> {
  const end = cluster.clock.now() + boundMs;
  for (;;) {
    if (done()) return true;
    if (cluster.clock.now() >= end) return false;
    await cluster.clock.sleep(stepMs);
  }
}
