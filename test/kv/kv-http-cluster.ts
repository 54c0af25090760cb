/**
 * Nodes as `raftchart node` runs them (runNode: WebSocket transport, file storage with
 * fsync, the key/value store, the HTTP API and its metrics), in this process, on 127.0.0.1
 * free ports, each in a temporary data directory. A node can be started alone (it then
 * knows no leader), stopped and started again on its directory. `destroy()` stops every
 * node and removes the directories.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeConfig } from '../../src/cli/node-config.js';
import { runNode } from '../../src/cli/run-node.js';
import { freePort } from '../transport/helpers.js';

export const SECRET = 'kv-http-test-secret-0123456789';

interface Member {
  readonly id: string;
  readonly raftPort: number;
  readonly clientPort: number;
  readonly dir: string;
  running: { readonly stop: AbortController; readonly done: Promise<void> } | null;
}

export interface Status {
  readonly role: string;
  readonly term: number;
  readonly leaderId: string | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
}

export class KvCluster {
  readonly #members: Member[];
  readonly #root: string;
  readonly #options: Partial<NodeConfig>;

  private constructor(members: Member[], root: string, options: Partial<NodeConfig>) {
    this.#members = members;
    this.#root = root;
    this.#options = options;
  }

  /** A cluster of `size` nodes, none started; `options` go to every node's config. */
  static async create(size: number, options: Partial<NodeConfig> = {}): Promise<KvCluster> {
    const root = await mkdtemp(join(tmpdir(), 'raftchart-kv-http-'));
    const members: Member[] = [];
    for (let i = 1; i <= size; i++) {
      members.push({
        id: `n${i}`,
        raftPort: await freePort(),
        clientPort: await freePort(),
        dir: join(root, `n${i}`),
        running: null,
      });
    }
    return new KvCluster(members, root, options);
  }

  get ids(): string[] {
    return this.#members.map((m) => m.id);
  }

  /** Starts node `id`; resolves once its client API answers. */
  async start(id: string): Promise<void> {
    const member = this.#member(id);
    if (member.running !== null) throw new Error(`${id} is running`);
    const others = this.#members.filter((m) => m.id !== id);
    const config: NodeConfig = {
      id,
      listen: `127.0.0.1:${member.raftPort}`,
      client: `127.0.0.1:${member.clientPort}`,
      peers: Object.fromEntries(others.map((m) => [m.id, `127.0.0.1:${m.raftPort}`])),
      peerClients: Object.fromEntries(others.map((m) => [m.id, `127.0.0.1:${m.clientPort}`])),
      data: member.dir,
      secret: SECRET,
      logLevel: 'error',
      ...this.#options,
    };
    const stop = new AbortController();
    const done = runNode(config, stop.signal);
    member.running = { stop, done };
    const deadline = Date.now() + 20_000;
    while ((await this.status(id)) === null) {
      const failed = await Promise.race([
        done.then(
          () => 'exited',
          (e: unknown) => e,
        ),
        sleep(50),
      ]);
      if (failed !== undefined) throw new Error(`${id} stopped while starting: ${String(failed)}`);
      if (Date.now() > deadline) throw new Error(`${id}'s client API did not answer within 20 s`);
    }
  }

  async startAll(): Promise<void> {
    for (const id of this.ids) if (this.#member(id).running === null) await this.start(id);
  }

  /** Stops node `id` as SIGTERM does, and waits until it has. */
  async stop(id: string): Promise<void> {
    const member = this.#member(id);
    const running = member.running;
    if (running === null) return;
    member.running = null;
    running.stop.abort();
    await running.done;
  }

  url(id: string): string {
    return `http://127.0.0.1:${this.#member(id).clientPort}`;
  }

  async status(id: string): Promise<Status | null> {
    try {
      const response = await fetch(`${this.url(id)}/status`, { signal: AbortSignal.timeout(2000) });
      return (await response.json()) as Status;
    } catch {
      return null;
    }
  }

  /** Waits until a running node leads and every running node follows it; returns its id. */
  async waitForLeader(timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const running = this.#members.filter((m) => m.running !== null);
      const statuses = await Promise.all(running.map((m) => this.status(m.id)));
      const leader = statuses.find((s): s is Status => s?.role === 'leader');
      if (leader !== undefined) {
        const id = running[statuses.indexOf(leader)]!.id;
        if (statuses.every((s) => s?.leaderId === id && s.term === leader.term)) return id;
      }
      if (Date.now() > deadline)
        throw new Error(`no leader that every running node follows in ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** Waits until node `id` has applied through `index`. */
  async waitForApplied(id: string, index: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (((await this.status(id))?.appliedIndex ?? -1) < index) {
      if (Date.now() > deadline) throw new Error(`${id} did not apply through ${index} in ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  async destroy(): Promise<void> {
    for (const member of this.#members) await this.stop(member.id).catch(() => {});
    await rm(this.#root, { recursive: true, force: true });
  }

  #member(id: string): Member {
    const member = this.#members.find((m) => m.id === id);
    if (member === undefined) throw new Error(`no node ${id}`);
    return member;
  }
}

/** A request's answer: status, headers and JSON body (redirects are not followed). */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

export async function call(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(url, {
    method,
    redirect: 'manual',
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
