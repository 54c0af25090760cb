/* global URL, clearTimeout, performance, setTimeout */
/**
 * Bench nodes (bench-node.mjs) as a cluster: forks one process per node on 127.0.0.1, each
 * with its own data directory under `root`, starts them, finds the leader, and stops them.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child } from './ipc.mjs';
import { freePorts } from './net.mjs';

export const BENCH_NODE = fileURLToPath(new URL('../bench-node.mjs', import.meta.url));
export const SECRET = 'raftchart-bench-secret-0123456789';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Forks and starts `size` nodes; resolves with them once every one has started, or, past
 * `timeoutMs`, kills them all and rejects.
 */
export async function startBenchCluster(
  root,
  { size = 3, fsync = true, snapshotEvery, execArgv = [], timeoutMs = 60_000 } = {},
) {
  const ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
  const ports = await freePorts(size);
  const nodes = ids.map((id, i) =>
    Object.assign(new Child(BENCH_NODE, { name: `bench node ${id}`, execArgv }), { id, port: ports[i] }),
  );
  const starting = Promise.all(
    nodes.map(async (node, i) => {
      node.started = await node.call('start', {
        id: node.id,
        port: ports[i],
        peers: Object.fromEntries(
          ids.map((peer, j) => [peer, `ws://127.0.0.1:${ports[j]}`]).filter(([peer]) => peer !== node.id),
        ),
        dataDir: join(root, node.id),
        secret: SECRET,
        fsync,
        ...(snapshotEvery === undefined ? {} : { snapshotEvery }),
      });
      node.readyAt = performance.now();
    }),
  );
  let timer;
  const timedOut = new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs, 'timeout')));
  try {
    if ((await Promise.race([starting, timedOut])) === 'timeout') {
      for (const node of nodes) node.kill();
      await Promise.all(nodes.map((node) => node.exited));
      throw new Error(`bench node(s) did not start within ${timeoutMs / 1000} s`);
    }
  } catch (error) {
    for (const node of nodes) node.kill();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return nodes;
}

/** The node that leads with every other node following it; polls until there is one. */
export async function findLeader(nodes, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const statuses = await Promise.all(nodes.map((node) => node.call('status')));
    const leader = statuses.find((status) => status.role === 'leader');
    if (leader !== undefined && statuses.every((status) => status.leaderId === leader.id)) {
      return nodes.find((node) => node.id === leader.id);
    }
    await sleep(20);
  }
  throw new Error(`no leader among ${nodes.map((node) => node.id).join(', ')} within ${timeoutMs} ms`);
}

/** Stops each node cleanly (its files closed), or kills it if it does not answer within a few seconds. */
export async function stopBenchNodes(nodes) {
  await Promise.all(
    nodes.map(async (node) => {
      const stopped = node.call('stop').catch(() => {});
      const answered = await Promise.race([stopped.then(() => true), sleep(5000).then(() => false)]);
      if (!answered) node.kill();
      await node.exited;
    }),
  );
}
