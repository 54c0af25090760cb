/**
 * A SimCluster whose every node is recorded from its start, one recording per node (a
 * restart appends a new section), for the record-and-replay tests.
 */
import type { NodeId } from '../../machines/index.js';
import type { RaftNode } from '../../src/api/raft-node.js';
import type { Recorder } from '../../src/inspect/recorder.js';
import { MemorySink, recordInputs } from '../../src/inspect/recorder.js';
import type { SimClusterOptions } from '../../src/sim/sim-cluster.js';
import { SimCluster } from '../../src/sim/sim-cluster.js';

export class RecordedCluster {
  readonly cluster: SimCluster;
  readonly #sinks = new Map<NodeId, MemorySink>();
  readonly #recorders = new Map<NodeId, Recorder[]>();

  constructor(options: SimClusterOptions) {
    this.cluster = new SimCluster(options);
    for (const id of this.cluster.ids) {
      this.#sinks.set(id, new MemorySink());
      this.#recorders.set(id, []);
    }
  }

  /**
   * Starts (or restarts) `id`, recorded. SimCluster has no hook between building a node and
   * starting it, but `start` builds the node synchronously and the node looks for `input`
   * listeners only once its storage has loaded: attaching right after the call is in time.
   */
  async start(id: NodeId): Promise<RaftNode> {
    const started = this.cluster.start(id);
    const node = this.cluster.node(id)!;
    this.#recorders.get(id)!.push(recordInputs(node, this.#sinks.get(id)!));
    await started;
    return node;
  }

  async startAll(): Promise<void> {
    for (const id of this.cluster.ids) await this.start(id);
    for (const id of this.cluster.ids) this.cluster.connect(id);
  }

  /** Node `id`'s recording so far, as a file's text (one section per start). */
  text(id: NodeId): string {
    return this.#sinks.get(id)!.text;
  }

  /** Inputs recorded for node `id`, over all its starts. */
  inputs(id: NodeId): number {
    return this.#recorders.get(id)!.reduce((sum, recorder) => sum + recorder.inputs, 0);
  }

  /** Number of starts of node `id` so far. */
  starts(id: NodeId): number {
    return this.#recorders.get(id)!.length;
  }
}

function leaderOf(cluster: SimCluster): NodeId | undefined {
  return cluster.ids.find((id) => cluster.status(id)?.role === 'leader');
}

/** A faulty run: elections, proposals, a crashed leader, a partitioned follower, snapshots. */
export async function faultyRun(seed: number): Promise<RecordedCluster> {
  const recorded = new RecordedCluster({ seed, size: 3, snapshotEvery: 4 });
  const { cluster } = recorded;
  await recorded.startAll();
  await cluster.run(async () => {
    const propose = async (count: number) => {
      for (let i = 0; i < count; i++) {
        await cluster.clock.sleep(50);
        const leader = leaderOf(cluster);
        if (leader !== undefined) cluster.node(leader)!.submit(`c${cluster.clock.now()}`);
      }
    };
    await cluster.clock.sleep(1_500);
    await propose(6);
    // Crash the leader; the others elect a new one; the old one comes back and catches up.
    const first = leaderOf(cluster)!;
    cluster.crash(first);
    await cluster.clock.sleep(1_500);
    await propose(5);
    await recorded.start(first);
    cluster.connect(first);
    await cluster.clock.sleep(1_000);
    // Partition a follower away; it campaigns alone; it rejoins and steps down.
    const follower = cluster.ids.find((id) => id !== leaderOf(cluster))!;
    cluster.disconnect(follower);
    await propose(8);
    await cluster.clock.sleep(1_500);
    cluster.connect(follower);
    await cluster.clock.sleep(1_500);
    // An unreliable network: lost and delayed messages.
    cluster.network.setReliable(false);
    await propose(6);
    await cluster.clock.sleep(1_000);
    cluster.network.setReliable(true);
    await cluster.clock.sleep(1_000);
  });
  return recorded;
}
