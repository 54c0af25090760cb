/**
 * What recording costs (`npm run bench:micro`): a 3-node simulated cluster under load (a proposal
 * every 20 virtual ms for 10 virtual seconds), run bare, recorded to memory (the cost of
 * building and encoding the lines), and recorded to files (what `raftchart node --record`
 * does). When the file loads it prints inputs per CPU second with and without recording (the
 * best of 9 runs each), the added CPU time per input, and the bytes per input; docs/visualize.md quotes the numbers. Not a test: nothing here fails on
 * a slow machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, bench, describe } from 'vitest';
import type { NodeId } from '../../machines/index.js';
import type { RaftNode } from '../../src/api/raft-node.js';
import type { Recorder } from '../../src/inspect/recorder.js';
import { MemorySink, recordInputs } from '../../src/inspect/recorder.js';
import { recordNode } from '../../src/inspect/recording-file.js';
import { SimCluster } from '../../src/sim/sim-cluster.js';

type Record = 'none' | 'memory' | 'file';

const dir = mkdtempSync(join(tmpdir(), 'raftchart-recording-bench-'));
let runs = 0;

interface Run {
  readonly inputs: number;
  readonly bytes: number;
}

/** One loaded run; every node recorded as `record` says. Same seed each time: same work. */
async function run(record: Record): Promise<Run> {
  const cluster = new SimCluster({ seed: 11, size: 3, snapshotEvery: 1_000 });
  const recorders: Recorder[] = [];
  const attach = (node: RaftNode, id: NodeId) => {
    if (record === 'memory') recorders.push(recordInputs(node, new MemorySink()));
    if (record === 'file') recorders.push(recordNode(node, join(dir, `${++runs}-${id}.jsonl`)));
  };
  // SimCluster builds a node synchronously and lists its input listeners once storage has loaded.
  for (const id of cluster.ids) {
    const started = cluster.start(id);
    attach(cluster.node(id)!, id);
    await started;
  }
  for (const id of cluster.ids) cluster.connect(id);
  await cluster.run(async () => {
    for (let t = 0; t < 10_000; t += 20) {
      const leader = cluster.ids.find((id) => cluster.status(id)?.role === 'leader');
      if (leader !== undefined) cluster.node(leader)!.submit({ op: 'put', key: `k${t % 100}`, value: t });
      await cluster.clock.sleep(20);
    }
  });
  cluster.stopAll();
  await Promise.all(recorders.map((r) => r.close()));
  return {
    inputs: recorders.reduce((sum, r) => sum + r.inputs, 0),
    bytes: recorders.reduce((sum, r) => sum + r.bytes, 0),
  };
}

/**
 * The least CPU time (ms, this process and its I/O threads) a run took, each kind in turn
 * round after round: other processes on a busy machine only ever add to it.
 */
async function bestOf(kinds: readonly Record[], rounds: number): Promise<Map<Record, number>> {
  const best = new Map<Record, number>(kinds.map((kind) => [kind, Infinity]));
  for (let round = 0; round < rounds; round++) {
    for (const kind of kinds) {
      const before = process.cpuUsage();
      await run(kind);
      const { user, system } = process.cpuUsage(before);
      best.set(kind, Math.min(best.get(kind)!, (user + system) / 1000));
    }
  }
  return best;
}

const KINDS: readonly Record[] = ['none', 'memory', 'file'];
await bestOf(KINDS, 2); // warm up
const counted = await run('memory');
const ms = await bestOf(KINDS, 9);
const perSecond = (kind: Record) => Math.round(counted.inputs / (ms.get(kind)! / 1000));
const extra = (kind: Record) =>
  `${(((ms.get(kind)! - ms.get('none')!) / counted.inputs) * 1000).toFixed(1)} µs/input ` +
  `(+${Math.round((ms.get(kind)! / ms.get('none')! - 1) * 100)}%)`;
console.table({
  'inputs per run (3 nodes)': counted.inputs,
  'bytes per input': Math.round(counted.bytes / counted.inputs),
  'inputs per CPU second, not recorded': perSecond('none'),
  'inputs per CPU second, recorded to memory': perSecond('memory'),
  'inputs per CPU second, recorded to files': perSecond('file'),
  'cost, memory': extra('memory'),
  'cost, files': extra('file'),
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('recording a loaded 3-node simulated cluster (10 virtual s, a proposal every 20 ms)', () => {
  bench('not recorded', () => run('none').then(() => {}));
  bench('every node recorded to memory', () => run('memory').then(() => {}));
  bench('every node recorded to a file', () => run('file').then(() => {}));
});
