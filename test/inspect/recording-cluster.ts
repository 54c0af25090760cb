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
