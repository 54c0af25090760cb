/**
 * A cluster of real `raftchart node` processes on 127.0.0.1 for the multi-process tests:
 * free ports chosen at run time, a temporary data directory per node, every process
 * stopped (and the directories removed) by `destroy()`.
 *
 * The tests' commands are strings appended, one a line, to one key of the store
 * (LOG_KEY): that key's value on a node, read locally (`consistency=serializable`), is the
 * list of commands the node applied, in order. Each command carries a session of its own
 * (a client id, seq 1), so a retried proposal applies once.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import { freePort } from '../transport/helpers.js';

const CLI = 'dist/src/cli/main.js';
export const SECRET = 'multi-process-test-secret';
/** The key whose value lists the commands applied, one a line. */
export const LOG_KEY = 'log';

let sessions = 0;

interface Member {
  readonly id: string;
  readonly raftPort: number;
  readonly clientPort: number;
  /** Where its inspection feed listens (`--inspect`), if the cluster serves feeds. */
  readonly feedPort: number | null;
  readonly dir: string;
  /** Started with `--join`: it waits to be added to the running cluster. */
  readonly joining: boolean;
  /** More flags for this node alone (e.g. `--add-self`). */
  readonly args: readonly string[];
  process: ChildProcess | null;
  output: string;
}

export interface Status {
  readonly role: string;
  readonly term: number;
  readonly leaderId: string | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
}

export class ProcessCluster {
  readonly #members: Member[];
  readonly #root: string;
  /** More `raftchart node` flags for every node (e.g. `--snapshot-every 100`). */
  readonly #nodeArgs: readonly string[];
  #lastLeader: string | undefined;

  private constructor(members: Member[], root: string, nodeArgs: readonly string[]) {
    this.#members = members;
    this.#root = root;
    this.#nodeArgs = nodeArgs;
  }

  /**
   * `inspect`: every node serves its inspection feed on 127.0.0.1 (`feedUrl`); `nodeArgs`:
   * more flags for every node, on every start.
   */
  static async create(
    size: number,
    options: { inspect?: boolean; nodeArgs?: readonly string[] } = {},
  ): Promise<ProcessCluster> {
    const root = await mkdtemp(join(tmpdir(), 'raftchart-cluster-'));
    const members: Member[] = [];
    for (let i = 0; i < size; i++) {
      const id = `n${i + 1}`;
      members.push({
        id,
        raftPort: await freePort(),
        clientPort: await freePort(),
        feedPort: options.inspect === true ? await freePort() : null,
        dir: join(root, id),
        joining: false,
        args: [],
        process: null,
        output: '',
      });
    }
    const cluster = new ProcessCluster(members, root, options.nodeArgs ?? []);
    for (const member of members) cluster.start(member.id);
    return cluster;
  }

  /**
   * Starts one more node, `raftchart node --join` with the cluster's members as its peers:
   * it is no member until the leader adds it (`admin`), or it adds itself (`--add-self` in
   * `args`, more flags for it alone). Returns its id.
   */
  async join(args: readonly string[] = []): Promise<string> {
    const id = `n${this.#members.length + 1}`;
    this.#members.push({
      id,
      raftPort: await freePort(),
      clientPort: await freePort(),
      feedPort: null,
      dir: join(this.#root, id),
      joining: true,
      args,
      process: null,
      output: '',
    });
    this.start(id);
    return id;
  }

  /**
   * Calls an admin route (`/admin/...`) on the leader, finding it again after a refusal
   * that names another (307) or none (503), until it answers 200 or `timeoutMs` passes.
   */
  async admin(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    timeoutMs = 30_000,
  ): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const leader = await this.waitForLeader(timeoutMs).catch(() => this.ids[0]!);
      try {
        const response = await fetch(`${this.clientUrl(leader)}${path}`, {
          method,
          redirect: 'manual',
          ...(body === undefined
            ? {}
            : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
          signal: AbortSignal.timeout(10_000),
        });
        const answer: unknown = await response.json();
        if (response.status === 200) return answer;
        last = `${response.status} ${JSON.stringify(answer)}`;
        if (response.status !== 307 && response.status !== 503 && response.status !== 409) break;
      } catch (error) {
        last = String(error);
      }
      await sleep(100);
    }
    throw new Error(`${method} ${path} failed: ${last}${this.#crashes()}`);
  }

  get ids(): string[] {
    return this.#members.map((m) => m.id);
  }

  raftPort(id: string): number {
    return this.#member(id).raftPort;
  }

  /** Everything a node process printed (its JSON log lines). */
  output(id: string): string {
    return this.#member(id).output;
  }

  start(id: string): void {
    const member = this.#member(id);
    const peers = this.#members
      .filter((m) => m.id !== id)
      .flatMap((m) => [
        '--peer',
        `${m.id}=127.0.0.1:${m.raftPort}`,
        '--peer-client',
        `${m.id}=127.0.0.1:${m.clientPort}`,
      ]);
    const child = spawn(
      process.execPath,
      [
        CLI,
        'node',
        '--id',
        id,
        '--listen',
        `127.0.0.1:${member.raftPort}`,
        '--client',
        `127.0.0.1:${member.clientPort}`,
        '--data',
        member.dir,
        ...peers,
        ...(member.feedPort === null ? [] : ['--inspect', `127.0.0.1:${member.feedPort}`]),
        ...(member.joining ? ['--join'] : []),
        ...this.#nodeArgs,
        ...member.args,
      ],
      { env: { ...process.env, RAFTCHART_SECRET: SECRET }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.on('data', (chunk: Buffer) => (member.output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (member.output += chunk.toString()));
    member.process = child;
  }

  /** Sends `signal`; for SIGKILL and SIGTERM, waits for the process to exit. */
  async signal(id: string, signal: NodeJS.Signals): Promise<void> {
    const member = this.#member(id);
    const child = member.process;
    if (child === null) return;
    const stops = signal === 'SIGKILL' || signal === 'SIGTERM';
    // One that already exited (on its own, or killed from elsewhere) has no exit left to wait for.
    if (child.exitCode === null && child.signalCode === null) {
      const exited = stops ? once(child, 'exit') : null;
      child.kill(signal);
      await exited;
    }
    if (stops) member.process = null;
  }

  /** Where the node's client API listens. */
  clientUrl(id: string): string {
    return `http://127.0.0.1:${this.#member(id).clientPort}`;
  }

  /** Where the node's inspection feed listens (a cluster created with `inspect`). */
  feedUrl(id: string): string {
    const { feedPort } = this.#member(id);
    if (feedPort === null) throw new Error('this cluster serves no feeds: create it with { inspect: true }');
    return `ws://127.0.0.1:${feedPort}/`;
  }

  async status(id: string): Promise<Status | null> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.#member(id).clientPort}/status`, {
        signal: AbortSignal.timeout(1000),
      });
      return (await response.json()) as Status;
    } catch {
      return null;
    }
  }

  /** The commands `id` applied, in order; rejects if it does not answer within 10 s (e.g. paused). */
  async applied(id: string): Promise<string[]> {
    const response = await fetch(`${this.clientUrl(id)}/kv/${LOG_KEY}?consistency=serializable`, {
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as { value?: string; error?: string };
    if (response.status === 404) return []; // nothing applied yet
    if (body.value === undefined)
      throw new Error(`${id} answered ${response.status}: ${JSON.stringify(body)}`);
    return body.value.split('\n').slice(0, -1);
  }

  /**
   * Waits until a running node leads and a majority of the cluster reports its term (a
   * paused node answers nothing, and must not hold this up).
   */
  async waitForLeader(timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const majority = Math.floor(this.#members.length / 2) + 1;
    while (Date.now() < deadline) {
      const running = this.#members.filter((m) => m.process !== null);
      const statuses = await Promise.all(running.map((m) => this.status(m.id)));
      const leaders = statuses.filter((s): s is Status => s?.role === 'leader');
      const leader = leaders.sort((a, b) => b.term - a.term)[0];
      if (leader !== undefined && statuses.filter((s) => s?.term === leader.term).length >= majority) {
        return running[statuses.indexOf(leader)]!.id;
      }
      await sleep(100);
    }
    throw new Error(`no leader within ${timeoutMs} ms${this.#crashes()}`);
  }

  /** Waits until node `id` answers and follows a leader (which may have changed meanwhile); returns it. */
  async waitForFollower(id: string, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.status(id);
      if (status?.role === 'follower' && status.leaderId !== null) return status.leaderId;
      if (Date.now() > deadline)
        throw new Error(`${id} did not follow a leader within ${timeoutMs} ms${this.#crashes()}`);
      await sleep(100);
    }
  }

  /**
   * Proposes once to `id` (appends `command` to LOG_KEY): the outcome as the client sees it.
   * Acknowledged means committed and applied on that node. Retries of one command must pass
   * the same `session`.
   */
  async proposeTo(
    id: string,
    command: string,
    session: { client: string; seq: number } = { client: `c${++sessions}`, seq: 1 },
  ): Promise<{ ok: true; index: number } | { ok: false; leaderHint?: string | null }> {
    if (command.includes('\n')) throw new Error(`a command is one line: ${JSON.stringify(command)}`);
    try {
      const response = await fetch(`${this.clientUrl(id)}/kv/${LOG_KEY}/append`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: `${command}\n`, ...session }),
        redirect: 'manual', // a follower's 307 names the leader, which this cluster tracks itself
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await response.json()) as { index?: number; leaderHint?: string | null };
      if (response.status === 200) return { ok: true, index: body.index! };
      return { ok: false, leaderHint: body.leaderHint ?? null };
    } catch {
      return { ok: false };
    }
  }

  /**
   * Proposes `command` until some node acknowledges it (a new attempt only after a clear
   * refusal), every attempt with the same session: it applies once.
   */
  async propose(command: string, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    const session = { client: `c${++sessions}`, seq: 1 };
    let target = this.#lastLeader ?? (await this.waitForLeader(timeoutMs));
    while (Date.now() < deadline) {
      const outcome = await this.proposeTo(target, command, session);
      if (outcome.ok) {
        this.#lastLeader = target;
        return outcome.index;
      }
      this.#lastLeader = undefined;
      target = outcome.leaderHint ?? (await this.waitForLeader(timeoutMs).catch(() => target));
      await sleep(20);
    }
    throw new Error(
      `proposal ${JSON.stringify(command)} not acknowledged within ${timeoutMs} ms${this.#crashes()}`,
    );
  }

  /** Waits until every running node has applied at least `count` commands. */
  async waitForApplied(count: number, timeoutMs = 30_000): Promise<void> {
    await this.#untilApplied(
      (lists) => lists.every((list) => list !== null && list.length >= count),
      `every node to apply ${count} commands`,
      timeoutMs,
    );
  }

  /**
   * Waits until every running node has applied the same commands, at least `count` of them,
   * and returns them. Use it, not `waitForApplied`, before comparing nodes: a node that has
   * reached `count` may still be behind another (and a proposal that was not acknowledged
   * may have committed, so there can be more than the test acknowledged).
   */
  async waitForSameApplied(count: number, timeoutMs = 30_000): Promise<string[]> {
    const lists = await this.#untilApplied(
      ([first, ...others]) =>
        first !== null &&
        first !== undefined &&
        first.length >= count &&
        others.every((list) => isDeepStrictEqual(list, first)),
      `every node to apply the same ${count} or more commands`,
      timeoutMs,
    );
    return lists[0] ?? [];
  }

  /** Waits until `id`'s output matches `pattern` (it arrives through a pipe, a little later). */
  async waitForOutput(id: string, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output(id))) {
      if (Date.now() > deadline)
        throw new Error(`${id} printed nothing matching ${pattern} in ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** Polls every running node's applied commands (null: no answer) until `done` holds. */
  async #untilApplied(
    done: (lists: (string[] | null)[]) => boolean,
    what: string,
    timeoutMs: number,
  ): Promise<(string[] | null)[]> {
    const deadline = Date.now() + timeoutMs;
    let lengths = '';
    while (Date.now() < deadline) {
      const running = this.#members.filter((m) => m.process !== null);
      const lists = await Promise.all(running.map((m) => this.applied(m.id).catch(() => null)));
      if (done(lists)) return lists;
      lengths = running.map((m, i) => `${m.id}: ${lists[i]?.length ?? 'no answer'}`).join(', ');
      await sleep(100);
    }
    throw new Error(
      `timed out after ${timeoutMs} ms waiting for ${what} (applied ${lengths})${this.#crashes()}`,
    );
  }

  async destroy(): Promise<void> {
    for (const member of this.#members) await this.signal(member.id, 'SIGKILL');
    await rm(this.#root, { recursive: true, force: true });
  }

  /** For a failure message: nodes that should be running but exited, and their last words. */
  #crashes(): string {
    const crashed = this.#members.filter(
      (m) => m.process !== null && (m.process.exitCode !== null || m.process.signalCode !== null),
    );
    return crashed
      .map((m) => {
        const last = m.output.trim().split('\n').slice(-40).join('\n');
        return `; ${m.id} exited (${m.process?.exitCode ?? m.process?.signalCode}):\n${last}`;
      })
      .join('');
  }

  #member(id: string): Member {
    const member = this.#members.find((m) => m.id === id);
    if (member === undefined) throw new Error(`no node ${id}`);
    return member;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
