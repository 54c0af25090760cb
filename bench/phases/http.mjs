/* global URL, performance */
/**
 * Phase "http": what a client of a real cluster sees. Three `raftchart node` processes
 * (key/value store, FileStorage with fsync, WebSocket transport) and a separate client
 * process (http-load.mjs) sending PUT /kv/<key> with 128-byte values to the leader from N
 * concurrent keep-alive clients; then reads at each consistency (linearizable through
 * ReadIndex, log through a log entry, serializable from local state). Requests/s, latency,
 * failures, and the leader's and the client's CPU.
 */
import { fileURLToPath } from 'node:url';
import { removeDir, tempDir } from '../lib/children.mjs';
import { Child } from '../lib/ipc.mjs';
import { cpuSeconds } from '../lib/process-cpu.mjs';
import { ms, progress } from '../lib/progress.mjs';
import { RaftchartCluster } from '../lib/raftchart-cluster.mjs';

const HTTP_LOAD = fileURLToPath(new URL('../http-load.mjs', import.meta.url));

export async function httpPhase({ levels, readLevels, seconds, readSeconds, warmupMs }) {
  const root = await tempDir('http');
  progress('http: starting 3 raftchart node processes and the client process');
  const cluster = await RaftchartCluster.start(root, { logLevel: 'warn' });
  const loader = new Child(HTTP_LOAD, { name: 'HTTP load client' });
  try {
    const runs = [
      ...levels.map((concurrency) => ({ kind: 'put', concurrency, seconds })),
      ...['linearizable', 'log', 'serializable'].flatMap((consistency) =>
        readLevels.map((concurrency) => ({ kind: 'get', consistency, concurrency, seconds: readSeconds })),
      ),
    ];
    const writes = [];
    const reads = [];
    for (const run of runs) {
      const { leader } = await cluster.waitHealthy();
      const what = run.kind === 'put' ? 'PUT' : `GET ${run.consistency}`;
      progress(
        `http: ${what}, ${run.concurrency} client(s) to leader ${leader.id}, ${warmupMs / 1000} s warm-up + ${run.seconds} s`,
      );
      const pid = cluster.pid(leader.id);
      const cpuBefore = cpuSeconds(pid);
      const began = performance.now();
      const result = await loader.call('run', { base: cluster.node(leader.id).url, warmupMs, ...run });
      const cpuAfter = cpuSeconds(pid);
      // Over the whole run (warm-up included), which /proc allows at 10 ms resolution.
      result.leaderCpuPercent =
        cpuBefore === null || cpuAfter === null
          ? null
          : ((cpuAfter - cpuBefore) / ((performance.now() - began) / 1000)) * 100;
      result.leaderId = leader.id;
      (run.kind === 'put' ? writes : reads).push(result);
      const failed =
        Object.keys(result.errors).length > 0 ? `, failures ${JSON.stringify(result.errors)}` : '';
      progress(
        `http: ${what}, ${run.concurrency} client(s): ${result.requestsPerSecond.toFixed(0)} requests/s, ` +
          `p50 ${ms(result.latencyMs.p50)}, p99 ${ms(result.latencyMs.p99)}${failed}`,
      );
    }
    return { writes, reads };
  } finally {
    await loader.call('stop').catch(() => {});
    await loader.exited;
    await cluster.stop();
    await removeDir(root);
  }
}
