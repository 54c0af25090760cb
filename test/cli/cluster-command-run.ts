/**
 * `raftchart cluster` run as a user runs it, in a real process, for the tests: its output,
 * waits on what it prints and on HTTP answers, and a cleanup that leaves no process behind
 * (the supervisor, and every node pid it ever reported) even when a test failed halfway.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';

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

  constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, [CLI, 'cluster', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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

  /** The last resort of afterAll: SIGKILL the supervisor and any node still alive. */
  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    for (const pid of this.pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  }

  #report(): string {
    return `stdout:\n${this.#stdout}\nstderr:\n${this.#stderr}`;
  }
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
    await new Promise((resolve) => setTimeout(resolve, 100));
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
