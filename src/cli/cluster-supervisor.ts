/**
 * The processes of a local cluster: starts each node as a `raftchart node` child process
 * with its log in a file, kills one on request (SIGKILL: a crash), starts it again with the
 * same flags, and stops them all. A node that exits on its own is reported and stays down:
 * the point of the cluster is to watch what Raft does when a node is gone.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import {
  ClusterStoppingError,
  NodeNotRunningError,
  NodeRunningError,
  UnknownNodeError,
} from './cluster-errors.js';
import type { ClusterPlan } from './cluster-plan.js';
import { nodeArguments } from './cluster-plan.js';

/** Why a node's process ended: killed through the API, stopped with the cluster, or on its own. */
export type ExitCause = 'killed' | 'stopped' | 'crashed';

export interface NodeExit {
  readonly id: string;
  readonly pid: number | null;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly cause: ExitCause;
}

export interface SupervisorOptions {
  readonly plan: ClusterPlan;
  /** The `raftchart` entry point the nodes run (dist/src/cli/main.js). */
  readonly cli: string;
  /** Called once for every process that ends, whatever the cause. */
  readonly onExit: (exit: NodeExit) => void;
  /** Called when a node's process is spawned. */
  readonly onStart?: (id: string, pid: number | null) => void;
  readonly env?: NodeJS.ProcessEnv;
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  /** Set when the supervisor ends it; unset, an exit is a crash. */
  cause?: Exclude<ExitCause, 'crashed'>;
}

export class ClusterSupervisor {
  readonly #options: SupervisorOptions;
  readonly #running = new Map<string, Running>();
  #stopping = false;

  constructor(options: SupervisorOptions) {
    this.#options = options;
  }

  get ids(): string[] {
    return this.#options.plan.nodes.map((node) => node.id);
  }

  isRunning(id: string): boolean {
    return this.#running.has(id);
  }

  /** The running process's id, or null when the node is down. */
  pid(id: string): number | null {
    return this.#running.get(id)?.child.pid ?? null;
  }

  startAll(): void {
    for (const id of this.ids) this.start(id);
  }

  /** Starts node `id` with its flags and data directory; its output is appended to its log file. */
  start(id: string): void {
    const node = this.#node(id);
    if (this.#stopping) throw new ClusterStoppingError();
    if (this.#running.has(id)) throw new NodeRunningError(id);
    const log = openSync(node.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [this.#options.cli, ...nodeArguments(this.#options.plan, id)], {
        // The IPC channel is how a node learns that its supervisor died (even by SIGKILL).
        stdio: ['ignore', log, log, 'ipc'],
        env: this.#options.env ?? process.env,
        // Its own process group: the terminal's Ctrl-C reaches the supervisor only, which then
        // stops the nodes itself and tells an expected exit from a crash.
        detached: true,
      });
    } finally {
      closeSync(log); // the child holds its own copy
    }
    this.#running.set(id, this.#watch(id, child));
    this.#options.onStart?.(id, child.pid ?? null);
  }

  /** Tracks `child` until it exits, then reports the exit once, with its cause. */
  #watch(id: string, child: ChildProcess): Running {
    let resolveExited = (): void => {};
    const running: Running = { child, exited: new Promise<void>((resolve) => (resolveExited = resolve)) };
    let done = false;
    const end = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (done) return;
      done = true;
      this.#running.delete(id);
      this.#options.onExit({ id, pid: child.pid ?? null, code, signal, cause: running.cause ?? 'crashed' });
      resolveExited();
    };
    child.once('exit', end);
    // A process that could not be spawned has no exit to wait for.
    child.once('error', () => {
      if (child.pid === undefined) end(null, null);
    });
    return running;
  }

  /** SIGKILL, as a crash would: the node gets no chance to close anything. Resolves once it exited. */
  async kill(id: string): Promise<void> {
    this.#node(id);
    const running = this.#running.get(id);
    if (running === undefined) throw new NodeNotRunningError(id);
    running.cause = 'killed';
    running.child.kill('SIGKILL');
    await running.exited;
  }

  /**
   * Stops every node: SIGTERM (each closes its connections and files), then SIGKILL for any
   * still running after `graceMs`. Resolves once every process exited; nothing starts after.
   */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    const all = [...this.#running.values()];
    for (const running of all) {
      running.cause ??= 'stopped';
      running.child.kill('SIGTERM');
    }
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.all(all.map((running) => running.exited)), graceOver]);
    clearTimeout(timer);
    this.killNow();
    await Promise.all(all.map((running) => running.exited));
  }

  /** SIGKILL for every node still running, synchronously: the last resort when the supervisor exits. */
  killNow(): void {
    this.#stopping = true;
    for (const running of this.#running.values()) {
      running.cause ??= 'stopped';
      running.child.kill('SIGKILL');
    }
  }

  #node(id: string) {
    const node = this.#options.plan.nodes.find((n) => n.id === id);
    if (node === undefined) throw new UnknownNodeError(id, this.ids);
    return node;
  }
}
