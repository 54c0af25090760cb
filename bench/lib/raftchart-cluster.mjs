/* global URL, process, setTimeout */
/**
 * A 3-node cluster of real `raftchart node` processes (dist/src/cli/main.js), as a user runs
 * one: WebSocket transport, FileStorage with fsync, the key/value store behind the HTTP API,
 * default timing. Each node's JSON log goes to a file in its directory; each has an IPC
 * channel to this process, so it stops on its own if the benchmark dies (even by SIGKILL).
 * Kill (SIGKILL, a crash) and restart (same flags, same data) one node at a time.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { running, track } from './children.mjs';
import { httpJson } from './http-json.mjs';
import { freePorts, HOST } from './net.mjs';

const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const SECRET = 'raftchart-bench-secret-0123456789';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class RaftchartCluster {
  #nodes;
  #processes = new Map();

  constructor(nodes) {
    this.#nodes = nodes;
  }

  static async start(root, { size = 3, logLevel = 'info' } = {}) {
    const ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
    const ports = await freePorts(size * 2);
    const nodes = ids.map((id, i) => ({
      id,
      raft: ports[2 * i],
      client: ports[2 * i + 1],
      url: `http://${HOST}:${ports[2 * i + 1]}`,
      data: join(root, id),
      log: join(root, `${id}.log`),
    }));
    for (const node of nodes) {
      const others = nodes.filter((other) => other !== node);
      node.args = [
        CLI,
        'node',
        '--id',
        node.id,
        '--listen',
        `${HOST}:${node.raft}`,
        '--client',
        `${HOST}:${node.client}`,
        '--data',
        node.data,
        '--log-level',
        logLevel,
        ...others.flatMap((other) => ['--peer', `${other.id}=${HOST}:${other.raft}`]),
        ...others.flatMap((other) => ['--peer-client', `${other.id}=${HOST}:${other.client}`]),
      ];
    }
    const cluster = new RaftchartCluster(nodes);
    for (const node of nodes) cluster.start(node.id);
    return cluster;
  }

  get nodes() {
    return this.#nodes;
  }

  node(id) {
    return this.#nodes.find((node) => node.id === id);
  }

  pid(id) {
    return this.#processes.get(id)?.pid ?? null;
  }

  start(id) {
    const node = this.node(id);
    const log = openSync(node.log, 'a');
    try {
      const child = spawn(process.execPath, node.args, {
        stdio: ['ignore', log, log, 'ipc'],
        env: { ...process.env, RAFTCHART_SECRET: SECRET },
      });
      child.channel?.unref();
      this.#processes.set(id, track(child));
    } finally {
      closeSync(log);
    }
  }

  /** SIGKILL: the node crashes, as a power cut would take it (its fsynced writes survive). */
  async kill(id) {
    const child = this.#processes.get(id);
    this.#processes.delete(id);
    if (child === undefined || !running(child)) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** GET /status of node `id`: its body, or null when it does not answer. */
  async status(id, timeoutMs = 500) {
    const { status, body } = await httpJson(`${this.node(id).url}/status`, { timeoutMs });
    return status === 200 ? body : null;
  }

  /** Every node running answers, one leads, and every other follows it in its term. */
  async healthy() {
    const statuses = await Promise.all(this.#nodes.map((node) => this.status(node.id)));
    if (statuses.some((status) => status === null)) return null;
    const leader = statuses.find((status) => status.role === 'leader');
    if (leader === undefined) return null;
    const agreed = statuses.every((status) => status.leaderId === leader.id && status.term === leader.term);
    return agreed ? { leader, statuses } : null;
  }

  /** Polls until healthy, and, with `caughtUp`, every node has applied that far. */
  async waitHealthy({ timeoutMs = 20_000, caughtUp = 0 } = {}) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const health = await this.healthy();
      if (health !== null && health.statuses.every((status) => status.appliedIndex >= caughtUp))
        return health;
      await sleep(10);
    }
    throw new Error(`the cluster was not healthy within ${timeoutMs} ms (logs: ${this.#nodes[0].log} ...)`);
  }

  /** SIGTERM to every node (each closes its files), SIGKILL for one that takes over 5 s. */
  async stop() {
    await Promise.all(
      [...this.#processes.values()].map(async (child) => {
        if (!running(child)) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const stopped = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
        if (!stopped) {
          child.kill('SIGKILL');
          await exited;
        }
      }),
    );
    this.#processes.clear();
  }
}
