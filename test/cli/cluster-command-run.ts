/**
 * `raftchart cluster` run as a user runs it, in a real process, for the tests: its output,
 * waits on what it prints and on HTTP answers, and a cleanup that leaves no process behind
 * (the supervisor, and every node pid it ever reported) even when a test failed halfway.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';

const CLI = 'dist/src/cli/main.js';

export interface ApiNode {
  readonly id: string;
  readonly feedUrl: string;
  readonly clientUrl: string;
  readonly pid: number | null;
  readonly up: boolean;
}

export interface NodeStatus {
  readonly id: string;
  readonly role: string;
  readonly term: number;
  readonly leaderId: string | null;
}

export class ClusterCommand {
  readonly child: ChildProcess;
  /** Every node pid seen, so cleanup can make sure none outlives the test. */
  readonly pids = new Set<number>();
  #stdout = '';
  #stderr = '';

  constructor(
    args: readonly string[],
    readonly cwd: string = process.cwd(),
  ) {
    this.child = spawn(process.execPath, [resolve(CLI), 'cluster', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd,
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.#stdout += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first match of `pattern` in stdout; rejects if the process exits first. */
  async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return until(
      async () => {
        const match = pattern.exec(this.#stdout);
        if (match === null && !this.running) {
          throw new Error(`raftchart cluster exited (${this.child.exitCode}) first:\n${this.#report()}`);
        }
        return match ?? undefined;
      },
      `raftchart cluster to print ${pattern}`,
      timeoutMs,
      () => this.#report(),
    );
  }

  /** GET /api/cluster's nodes; their pids are remembered for cleanup. */
  async nodes(url: string): Promise<ApiNode[]> {
    const { nodes } = (await (await fetch(`${url}/api/cluster`)).json()) as { nodes: ApiNode[] };
    for (const node of nodes) if (node.pid !== null) this.pids.add(node.pid);
    return nodes;
  }

  /** Sends `signal` and resolves with how the process ended. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: string | null }> {
    if (this.running) {
      const exited = once(this.child, 'exit');
      this.child.kill(signal);
      await exited;
    }
    return { code: this.child.exitCode, signal: this.child.signalCode };
  }

  /**
   * Stops everything, whatever state a test left it in: SIGTERM and a bounded wait (the
   * supervisor stops its nodes), then SIGKILL for the supervisor and every node still alive:
   * those it reported (printed or through the API) and its children now. The nodes run in
   * their own process group, so a killed supervisor would otherwise leave them running.
   */
  async destroy(): Promise<void> {
    const children = this.child.pid === undefined ? [] : childrenOf(this.child.pid);
    if (this.running) {
      const exited = once(this.child, 'exit');
      this.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, 30_000, true)));
      if (await Promise.race([exited.then(() => false), late])) await this.stop('SIGKILL');
      clearTimeout(timer);
    }
    for (const match of this.#stdout.matchAll(/\bpid (\d+)/g)) this.pids.add(Number(match[1]));
    // A pid may have been reused since: only a node of this cluster (its data directory in its
    // command line) is killed.
    // It is printed relative to the directory the cluster runs in when it lies inside it.
    const printed = /data, logs and secret in (\S+)/.exec(this.#stdout)?.[1];
    const dir = printed === undefined ? undefined : resolve(this.cwd, printed);
    for (const pid of new Set([...this.pids, ...children])) {
      if (dir !== undefined && commandLine(pid).includes(dir)) process.kill(pid, 'SIGKILL');
    }
  }

  /** The commands printed under "write and read a key": the curl lines, then the raftchart lines. */
  get examples(): { readonly curl: string[]; readonly cli: string[] } {
    const lines = this.#stdout.split('\n');
    const from = lines.findIndex((line) => line.startsWith('write and read a key'));
    const block: string[] = [];
    for (const line of lines.slice(from + 1)) {
      if (!line.startsWith('  ')) break;
      block.push(line.trim());
    }
    return {
      curl: block.filter((l) => l.startsWith('curl ')),
      cli: block.filter((l) => !l.startsWith('curl ')),
    };
  }

  #report(): string {
    return `stdout:\n${this.#stdout}\nstderr:\n${this.#stderr}`;
  }
}

/** Process `pid`'s arguments, joined by spaces; empty if it is gone. */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** The processes whose parent is `pid` (Linux's /proc; none elsewhere). */
function childrenOf(pid: number): number[] {
  if (!existsSync('/proc')) return [];
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/<pid>/stat, after the command name in parentheses, is the parent's pid.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether process `pid` exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Polls `probe` every 100 ms until it returns a value; rejects after `timeoutMs` naming `what`. */
export async function until<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs: number,
  context: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${context()}`);
    await sleep(100);
  }
}

/** A node's GET /status, or undefined if it does not answer. */
export async function statusOf(clientUrl: string): Promise<NodeStatus | undefined> {
  try {
    const response = await fetch(`${clientUrl}/status`, { signal: AbortSignal.timeout(2000) });
    return response.ok ? ((await response.json()) as NodeStatus) : undefined;
  } catch {
    return undefined;
  }
}
