/**
 * The end of every fuzz run: every fault undone, every crashed node restarted, and within a
 * bound of virtual time the cluster must recover: one leader that every node follows in its
 * term, and a new proposal committed and applied on every node.
 */
import type { NodeId, SnapshotRecord } from '../../machines/index.js';
import type { AppliedEntry } from '../../src/node/providers.js';
import type { SimCluster } from '../../src/sim/sim-cluster.js';
import type { Latency } from '../../src/sim/sim-network.js';
import { describeNodes, leaders, restart, waitFor } from './cluster-helpers.js';
import { LivenessFailure } from './outcome.js';

/** Virtual time the cluster has, after the heal, to elect a leader and commit a proposal. */
export const LIVENESS_MS = 15_000;

export interface Recovered {
  /** Virtual ms from the heal to the proposal applied everywhere. */
  readonly recoveryMs: number;
  /** The agreed leader's term. */
  readonly term: number;
}

/** Heals everything (network back to `baseLatency`), restarts crashed nodes, and checks recovery. */
export async function checkLiveness(
  cluster: SimCluster,
  baseLatency: Latency,
  command: string,
  boundMs = LIVENESS_MS,
): Promise<Recovered> {
  const { network } = cluster;
  network.setReliable(true);
  network.setLongReordering(false);
  network.setDuplication(0);
  network.setLatency(baseLatency);
  for (const id of cluster.ids) cluster.setClockSkew(id, 1);
  for (const id of cluster.ids) if (cluster.node(id) === null) await restart(cluster, id);
  cluster.heal();
  const start = cluster.clock.now();
  const applied = watchApplied(cluster, command);
  try {
    return await cluster.run(async () => {
      const end = start + boundMs;
      for (;;) {
        const leader = await waitForAgreedLeader(cluster, end - cluster.clock.now());
        const index = await proposeOn(cluster, leader, command, end - cluster.clock.now());
        if (index === undefined) continue; // that leader lost its lead: wait for the next
        const everywhere = () => cluster.ids.every((id) => applied.has(id, index));
        if (!(await waitFor(cluster, everywhere, end - cluster.clock.now()))) {
          const missing = cluster.ids.filter((id) => !applied.has(id, index));
          throw new LivenessFailure(
            `${boundMs} ms after the heal, the proposal committed at index ${index} is not applied on ` +
              `${missing.join(', ')}: ${describeNodes(cluster)}`,
          );
        }
        return { recoveryMs: cluster.clock.now() - start, term: cluster.status(leader)!.term };
      }
    });
  } finally {
    applied.stop();
  }
}

/** The single leader every node follows in its term, once there is one; fails past `boundMs`. */
async function waitForAgreedLeader(cluster: SimCluster, boundMs: number): Promise<NodeId> {
  let agreed: NodeId | undefined;
  const check = () => {
    const found = leaders(cluster);
    const leader = found[0];
    if (found.length !== 1 || leader === undefined) return false;
    const term = cluster.status(leader)!.term;
    const follows = (id: NodeId) => {
      const status = cluster.status(id)!;
      return status.term === term && (id === leader || status.leaderId === leader);
    };
    if (!cluster.ids.every(follows)) return false;
    agreed = leader;
    return true;
  };
  if (!(await waitFor(cluster, check, Math.max(0, boundMs), 20)) || agreed === undefined) {
    throw new LivenessFailure(
      `no leader that every node follows in its term within the bound after the heal: ${describeNodes(cluster)}`,
    );
  }
  return agreed;
}

/** Proposes `command` on `leader`: its index once applied there, undefined if refused or superseded. */
async function proposeOn(
  cluster: SimCluster,
  leader: NodeId,
  command: string,
  boundMs: number,
): Promise<number | undefined> {
  const node = cluster.node(leader)!;
  const proposed = node.propose(command).then(
    ({ index }) => index,
    () => undefined,
  );
  const timeout = cluster.clock.sleep(Math.max(0, boundMs)).then(() => 'timeout' as const);
  const index = await Promise.race([proposed, timeout]);
  if (index === 'timeout') {
    throw new LivenessFailure(
      `the proposal to leader ${leader} did not commit within the bound after the heal: ${describeNodes(cluster)}`,
    );
  }
  return index;
}

/** Which nodes applied `command` at which index, or hold a snapshot covering an index. */
function watchApplied(cluster: SimCluster, command: string) {
  const appliedAt = new Map<NodeId, number>();
  const snapshotAt = new Map<NodeId, number>();
  const onApplied = (id: NodeId, entry: AppliedEntry) => {
    if (entry.command === command) appliedAt.set(id, entry.index);
  };
  const onRestored = (id: NodeId, snapshot: SnapshotRecord) =>
    snapshotAt.set(id, Math.max(snapshot.index, snapshotAt.get(id) ?? 0));
  cluster.on('applied', onApplied).on('restored', onRestored);
  return {
    has: (id: NodeId, index: number) => appliedAt.get(id) === index || (snapshotAt.get(id) ?? 0) >= index,
    stop: () => cluster.off('applied', onApplied).off('restored', onRestored),
  };
}
