/* global performance, setTimeout */
/**
 * Phase "memory": what a large log costs a node. One bench node (a single-voter cluster,
 * FileStorage with fsync, no automatic snapshots) is filled with `entries` 128-byte
 * commands by many concurrent proposers; its RSS is read after full collections
 * (--expose-gc) holding them. It is stopped and a fresh process started on the same data
 * directory (time from fork to started with the whole log loaded, and on to leading with it
 * all applied, waited for at most maxSeconds); then the application's snapshot at the applied index is saved (RSS after);
 * and a fresh process is started once more, now from the snapshot.
 */
import { findLeader, startBenchCluster, stopBenchNodes } from '../lib/bench-cluster.mjs';
import { removeDir, tempDir } from '../lib/children.mjs';
import { ms, progress } from '../lib/progress.mjs';

const EXEC_ARGV = ['--expose-gc'];
const MiB = 1024 * 1024;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes) => `${(bytes / MiB).toFixed(0)} MiB`;
const applied = (restart, maxSeconds) =>
  restart.appliedMs === null
    ? `not all applied within ${maxSeconds} s (applied through ${restart.appliedIndex})`
    : `leading with all applied after ${ms(restart.appliedMs)}`;

export async function memoryPhase({ entries, concurrency, maxSeconds }) {
  const root = await tempDir('memory');
  let node = null;
  // Filled in step by step: a restart that fails (or takes past maxSeconds) keeps what came before.
  const result = { entriesAsked: entries, concurrency };
  try {
    progress(`memory: one node; proposing ${entries} entries of 128 bytes with ${concurrency} proposers`);
    node = await startSingle(root);
    await findLeader([node]);
    const empty = await node.call('memory');
    node.on('progress', ({ done, seconds }) =>
      progress(`memory: ${done} entries committed in ${seconds.toFixed(0)} s`),
    );
    const fill = await node.call('fill', { count: entries, concurrency, maxSeconds });
    const full = await node.call('memory');
    const lastLogIndex = fill.status.lastLogIndex;
    Object.assign(result, {
      entries: fill.done,
      fillSeconds: fill.seconds,
      fillPerSecond: fill.done / fill.seconds,
      fillErrors: fill.errors,
      lastLogIndex,
      gc: full.gc,
      rssEmptyBytes: empty.rss,
      rssFullBytes: full.rss,
      heapUsedFullBytes: full.heapUsed,
      bytesPerEntry: (full.rss - empty.rss) / fill.done,
    });
    progress(
      `memory: ${fill.done} entries in ${fill.seconds.toFixed(1)} s (${(fill.done / fill.seconds).toFixed(0)}/s); ` +
        `RSS ${mib(empty.rss)} empty, ${mib(full.rss)} holding them`,
    );
    await stopBenchNodes([node]);
    node = null;

    try {
      progress(`memory: restarting on the log of ${lastLogIndex} entries`);
      node = await startSingle(root, maxSeconds * 1000);
      result.restartFromLog = await restarted(node, lastLogIndex, maxSeconds);
      progress(
        `memory: restarted from the log: ready after ${ms(result.restartFromLog.readyMs)}, ` +
          applied(result.restartFromLog, maxSeconds),
      );
      const snapshot = await node.call('snapshot');
      const afterSnapshot = await node.call('memory');
      Object.assign(result, {
        snapshot: { index: snapshot.index, saved: snapshot.saved, ms: snapshot.ms },
        rssAfterSnapshotBytes: afterSnapshot.rss,
        heapUsedAfterSnapshotBytes: afterSnapshot.heapUsed,
      });
      progress(
        `memory: snapshot at ${snapshot.index} saved in ${ms(snapshot.ms)}; ` +
          `RSS ${mib(result.restartFromLog.memory.rss)} before, ${mib(afterSnapshot.rss)} after`,
      );
      await stopBenchNodes([node]);
      node = null;

      progress('memory: restarting from the snapshot');
      node = await startSingle(root, maxSeconds * 1000);
      result.restartFromSnapshot = await restarted(node, lastLogIndex, maxSeconds);
      progress(
        `memory: restarted from the snapshot: ready after ${ms(result.restartFromSnapshot.readyMs)}, ` +
          `RSS ${mib(result.restartFromSnapshot.memory.rss)}`,
      );
    } catch (error) {
      result.error = String(error?.message ?? error);
      progress(`memory: ${result.error}`);
    }
    return result;
  } finally {
    if (node !== null) await stopBenchNodes([node]);
    await removeDir(root);
  }
}

async function startSingle(root, timeoutMs = 60_000) {
  const [node] = await startBenchCluster(root, { size: 1, snapshotEvery: 0, execArgv: EXEC_ARGV, timeoutMs });
  return node;
}

/**
 * A fresh process's start: ready when start() resolved with the whole log there (from the
 * fork, so process start-up counts), then leading with every entry applied.
 */
async function restarted(node, lastLogIndex, maxSeconds) {
  const readyMs = node.readyAt - node.startedAt;
  const { openMs, startMs } = node.started;
  const loaded = node.started.status.lastLogIndex;
  if (loaded < lastLogIndex)
    throw new Error(`restarted with lastLogIndex ${loaded}, expected ${lastLogIndex}`);
  const deadline = performance.now() + maxSeconds * 1000;
  let appliedMs = null;
  let status;
  while (performance.now() < deadline) {
    status = await node.call('status');
    if (status.role === 'leader' && status.appliedIndex >= lastLogIndex) {
      appliedMs = performance.now() - node.startedAt;
      break;
    }
    await sleep(5);
  }
  // appliedMs null: not all applied within maxSeconds (appliedIndex says how far it got).
  return {
    readyMs,
    openMs,
    startMs,
    appliedMs,
    appliedIndex: status?.appliedIndex,
    memory: await node.call('memory'),
  };
}
