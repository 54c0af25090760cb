/**
 * The course tester's "config", ported: a thin layer over SimCluster that offers the
 * course's view of a Raft peer (Make, Start, GetState, Kill) and its checking helpers with
 * their exact timings. Server i of the course is node `String(i)`, a RaftNode whose state
 * machine is the course's apply channel (applyCh).
 */
import type { RaftFeatures, SnapshotRecord } from '../../machines/index.js';
import { PAPER_FEATURES, PRODUCTION_FEATURES } from '../../machines/index.js';
import type { StateMachine } from '../../src/api/state-machine.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import { SimCluster } from '../../src/sim/sim-cluster.js';
import { UnbufferedChannel } from './apply-channel.js';
import { COURSE_TIMING, TEST_LIMIT_MS } from './course-timing.js';

export class CourseFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CourseFailure';
  }
}

export interface CourseOptions {
  readonly n: number;
  readonly unreliable: boolean;
  readonly seed: number;
  /** Use the snapshotting applier (the 2D tests): Snapshot() every SNAPSHOT_INTERVAL entries. */
  readonly snapshot?: boolean;
}

/** A committed command as the course's ApplyMsg carries it. */
export interface AppliedCommand {
  readonly index: number;
  readonly command: unknown;
}

/** The course's ApplyMsg: a committed command, or a snapshot to install. */
export type ApplyMsg = { readonly command: AppliedCommand } | { readonly snapshot: SnapshotRecord };

/** The 2D applier calls Snapshot() after applying indices 9, 19, 29, ... */
export const SNAPSHOT_INTERVAL = 10;

export class CourseConfig {
  readonly n: number;
  readonly cluster: SimCluster;
  /** The tester's own random stream (the Go tester's `rand`). */
  readonly rand: SeededRandom;
  /** Per server: the committed commands it applied, by index, as the tester saw them. */
  readonly logs: Map<number, unknown>[];
  readonly #applyErr: (string | undefined)[];
  readonly #applyCh: UnbufferedChannel<ApplyMsg>[];
  /** Per server, for the snapshotting applier: the last index it applied or ingested. */
  readonly #lastApplied: number[];
  readonly #snapshotApplier: boolean;
  #maxIndex = 0;
  #finished = false;
  #description = '';
  #t0 = 0;
  #rpcs0 = 0;
  #bytes0 = 0;
  #maxIndex0 = 0;

  private constructor(options: CourseOptions) {
    this.n = options.n;
    this.cluster = new SimCluster({
      seed: options.seed,
      size: options.n,
      timing: COURSE_TIMING,
      unreliable: options.unreliable,
      // The course asserts exact indexes (no leader no-ops) and snapshots on its own schedule.
      noopOnElection: false,
      features: courseFeatures(),
      snapshotEvery: 0,
      stateMachine: (id) => this.#applyChannel(Number(id)),
    });
    this.rand = new SeededRandom(options.seed, 'tester');
    this.logs = Array.from({ length: this.n }, () => new Map());
    this.#applyErr = Array.from({ length: this.n }, () => undefined);
    this.#applyCh = Array.from({ length: this.n }, () => new UnbufferedChannel());
    this.#lastApplied = Array.from({ length: this.n }, () => 0);
    this.#snapshotApplier = options.snapshot ?? false;
  }

  /**
   * Server i's state machine, as the course sees it: every committed command and installed
   * snapshot goes to the current incarnation's unbuffered apply channel (applyCh), and the
   * node waits until the applier has taken it.
   */
  #applyChannel(i: number): StateMachine {
    return {
      apply: (command, index) => this.#applyCh[i]!.send({ command: { index, command } }),
      restore: (data, { index, term }) => this.#applyCh[i]!.send({ snapshot: { index, term, data } }),
      snapshot: () => this.#snapshotData(i, this.#lastApplied[i]!),
    };
  }

  /** The tester's snapshot format: [lastIncludedIndex, [command at 0 (null), 1, ..., index]]. */
  #snapshotData(i: number, index: number): string {
    const xlog: unknown[] = [];
    for (let j = 0; j <= index; j++) xlog.push(this.logs[i]!.get(j) ?? null);
    return JSON.stringify([index, xlog]);
  }

  /**
   * Runs one course test: make_config, the body on virtual time, then cleanup (every node
   * killed) whether it passed or not.
   */
  static async run(options: CourseOptions, body: (cfg: CourseConfig) => Promise<void>): Promise<void> {
    const cfg = new CourseConfig(options);
    try {
      await cfg.cluster.run(async () => {
        for (let i = 0; i < cfg.n; i++) await cfg.start1(i);
        for (let i = 0; i < cfg.n; i++) cfg.connect(i);
        await body(cfg);
      });
    } finally {
      cfg.#finished = true;
      cfg.cluster.stopAll();
    }
  }

  // --- the tester's control of servers ---

  /**
   * Starts (or restarts from its persisted state) server i, isolated until connect(i), with
   * a fresh unbuffered apply channel and the applier reading it. What the tester recorded
   * in logs[i] is kept (a restarted server must re-apply the same values), unless a saved
   * snapshot replaces it, as a key/value server would on restart.
   */
  async start1(i: number): Promise<void> {
    this.crash1(i);
    this.#lastApplied[i] = 0;
    const saved = this.cluster.storage(String(i)).persisted.snapshot;
    if (saved !== undefined) {
      const error = this.#ingestSnapshot(i, saved.data, -1);
      if (error !== undefined) throw new CourseFailure(error);
    }
    const channel = new UnbufferedChannel<ApplyMsg>();
    this.#applyCh[i] = channel;
    void this.#applier(i, channel);
    await this.cluster.start(String(i));
  }

  /**
   * The course's applier (2A-2C) or applierSnap (2D): every applied command is checked
   * against every server's record; the snapshotting one also ingests snapshots, demands
   * strictly consecutive indexes, and calls Snapshot() every SNAPSHOT_INTERVAL entries.
   */
  async #applier(i: number, channel: UnbufferedChannel<ApplyMsg>): Promise<void> {
    for (;;) {
      const message = await channel.receive();
      if (this.#finished) return;
      const error = this.#snapshotApplier
        ? this.#applySnapshotting(i, message)
        : this.#applyPlain(i, message);
      if (error !== undefined) {
        this.#applyErr[i] = error;
        // The Go tester exits the process here; this port fails the test at once.
        this.cluster.clock.fail(new CourseFailure(`apply error: ${error}`));
        return;
      }
    }
  }

  #applyPlain(i: number, message: ApplyMsg): string | undefined {
    return 'command' in message ? this.#checkLogs(i, message.command) : undefined;
  }

  #applySnapshotting(i: number, message: ApplyMsg): string | undefined {
    if ('snapshot' in message) return this.#ingestSnapshot(i, message.snapshot.data, message.snapshot.index);
    const { index } = message.command;
    if (index !== this.#lastApplied[i]! + 1) {
      return `server ${i} apply out of order, expected index ${this.#lastApplied[i]! + 1}, got ${index}`;
    }
    const error = this.#checkLogs(i, message.command);
    if (error !== undefined) return error;
    this.#lastApplied[i] = index;
    if ((index + 1) % SNAPSHOT_INTERVAL === 0) {
      this.cluster.node(String(i))?.saveSnapshot(index, this.#snapshotData(i, index));
    }
    return undefined;
  }

  /** Reads the tester's snapshot format (see #snapshotData) into logs[i]. */
  #ingestSnapshot(i: number, data: string, snapshotIndex: number): string | undefined {
    let decoded: unknown;
    try {
      decoded = JSON.parse(data);
    } catch {
      return 'snapshot decode error';
    }
    if (!Array.isArray(decoded) || typeof decoded[0] !== 'number' || !Array.isArray(decoded[1])) {
      return 'snapshot decode error';
    }
    const [lastIncludedIndex, xlog] = decoded as [number, unknown[]];
    if (snapshotIndex !== -1 && snapshotIndex !== lastIncludedIndex) {
      return `server ${i} snapshot doesn't match m.SnapshotIndex`;
    }
    const log = new Map<number, unknown>();
    xlog.forEach((command, j) => {
      if (j > 0) log.set(j, command);
    });
    this.logs[i] = log;
    this.#lastApplied[i] = lastIncludedIndex;
    return undefined;
  }

  #checkLogs(i: number, { index, command }: AppliedCommand): string | undefined {
    for (let j = 0; j < this.logs.length; j++) {
      const old = this.logs[j]!.get(index);
      if (this.logs[j]!.has(index) && old !== command) {
        return `commit index=${index} server=${i} ${String(command)} != server=${j} ${String(old)}`;
      }
    }
    const prevOk = this.logs[i]!.has(index - 1);
    this.logs[i]!.set(index, command);
    if (index > this.#maxIndex) this.#maxIndex = index;
    if (index > 1 && !prevOk) return `server ${i} apply out of order ${index}`;
    return undefined;
  }

  /** Shuts server i down, keeping its persisted state as of this moment. */
  crash1(i: number): void {
    this.cluster.crash(String(i));
  }

  connect(i: number): void {
    this.cluster.connect(String(i));
  }

  disconnect(i: number): void {
    this.cluster.disconnect(String(i));
  }

  isConnected(i: number): boolean {
    return this.cluster.isConnected(String(i));
  }

  /** Whether server i is running (not crashed). */
  isAlive(i: number): boolean {
    return this.cluster.node(String(i)) !== null;
  }

  /** The course's Start(command) on live server i: [index, term, isLeader], at once. */
  start(i: number, command: unknown): [index: number, term: number, isLeader: boolean] {
    const node = this.cluster.node(String(i));
    if (node === null) throw new CourseFailure(`Start() called on crashed server ${i}`);
    const { index, term, isLeader } = node.submit(command);
    return [index, term, isLeader];
  }

  /** The course's GetState(): [term, isLeader] of a live server. */
  getState(i: number): [term: number, isLeader: boolean] {
    const status = this.cluster.status(String(i));
    if (status === null) throw new CourseFailure(`GetState() called on crashed server ${i}`);
    return [status.term, status.role === 'leader'];
  }

  sleep(ms: number): Promise<void> {
    return this.cluster.clock.sleep(ms);
  }

  /** The course's `rand % n`. */
  randInt(n: number): number {
    return this.rand.int(n - 1);
  }

  setUnreliable(unreliable: boolean): void {
    this.cluster.network.setReliable(!unreliable);
  }

  setLongReordering(longReordering: boolean): void {
    this.cluster.network.setLongReordering(longReordering);
  }

  /** Every request's bytes plus every delivered reply's (the course's GetTotalBytes). */
  bytesTotal(): number {
    return this.cluster.network.totalBytes;
  }

  /** The largest persisted Raft state of any server, crashed or not (the course's LogSize). */
  logSize(): number {
    return Math.max(...this.cluster.ids.map((id) => this.cluster.storage(id).stateBytes));
  }

  /** The largest persisted snapshot of any server (the course's SnapshotSize). */
  snapshotSize(): number {
    return Math.max(...this.cluster.ids.map((id) => this.cluster.storage(id).snapshotBytes));
  }

  /** Sum over all servers of requests dispatched to them (the course's rpcs()). */
  rpcTotal(): number {
    let total = 0;
    for (let i = 0; i < this.n; i++) total += this.cluster.network.rpcCount(String(i));
    return total;
  }

  // --- checking helpers, with the course's exact timings ---

  /** Up to 10 rounds of a 450-549 ms sleep, then the leader of the highest term seen. */
  async checkOneLeader(): Promise<number> {
    for (let iter = 0; iter < 10; iter++) {
      await this.sleep(450 + this.randInt(100));
      const leaders = new Map<number, number[]>();
      for (let i = 0; i < this.n; i++) {
        if (!this.isConnected(i)) continue;
        const [term, isLeader] = this.getState(i);
        if (isLeader) leaders.set(term, [...(leaders.get(term) ?? []), i]);
      }
      let lastTermWithLeader = -1;
      for (const [term, ids] of leaders) {
        if (ids.length > 1) throw new CourseFailure(`term ${term} has ${ids.length} (>1) leaders`);
        if (term > lastTermWithLeader) lastTermWithLeader = term;
      }
      if (leaders.size !== 0) return leaders.get(lastTermWithLeader)![0]!;
    }
    throw new CourseFailure('expected one leader, got none');
  }

  /** Every connected server reports the same term; returns it. */
  checkTerms(): number {
    let term = -1;
    for (let i = 0; i < this.n; i++) {
      if (!this.isConnected(i)) continue;
      const [t] = this.getState(i);
      if (term === -1) term = t;
      else if (term !== t) throw new CourseFailure('servers disagree on term');
    }
    return term;
  }

  checkNoLeader(): void {
    for (let i = 0; i < this.n; i++) {
      if (!this.isConnected(i)) continue;
      const [, isLeader] = this.getState(i);
      if (isLeader)
        throw new CourseFailure(`expected no leader among connected servers, but ${i} claims to be leader`);
    }
  }

  /** How many servers applied `index`, and its value; fails on an apply error or a mismatch. */
  nCommitted(index: number): [count: number, command: unknown] {
    let count = 0;
    let command: unknown = undefined;
    for (let i = 0; i < this.n; i++) {
      const error = this.#applyErr[i];
      if (error !== undefined) throw new CourseFailure(error);
      if (!this.logs[i]!.has(index)) continue;
      const value = this.logs[i]!.get(index);
      if (count > 0 && value !== command) {
        throw new CourseFailure(
          `committed values do not match: index ${index}, ${String(command)}, ${String(value)}`,
        );
      }
      count++;
      command = value;
    }
    return [count, command];
  }

  /**
   * Waits for at least n servers to apply `index`: 30 rounds, sleeping 10 ms doubling up to
   * 1280 ms; -1 as soon as any live server reports a term above startTerm (when > -1).
   */
  async wait(index: number, n: number, startTerm: number): Promise<unknown> {
    let to = 10;
    for (let iters = 0; iters < 30; iters++) {
      const [nd] = this.nCommitted(index);
      if (nd >= n) break;
      await this.sleep(to);
      if (to < 1000) to *= 2;
      if (startTerm > -1) {
        for (let i = 0; i < this.n; i++) {
          if (this.isAlive(i) && this.getState(i)[0] > startTerm) return -1; // someone moved on
        }
      }
    }
    const [nd, command] = this.nCommitted(index);
    if (nd < n) throw new CourseFailure(`only ${nd} decided for index ${index}; wanted ${n}`);
    return command;
  }

  /**
   * The course's one(): submit `command` to whichever connected server leads (round robin),
   * then poll every 20 ms for 2 s until `expectedServers` applied it; with `retry`, submit
   * again. 10 s in all. Returns the index.
   */
  async one(command: unknown, expectedServers: number, retry: boolean): Promise<number> {
    const t0 = this.cluster.clock.now();
    let starts = 0;
    while (this.cluster.clock.now() - t0 < 10_000 && !this.#finished) {
      let index = -1;
      for (let si = 0; si < this.n; si++) {
        starts = (starts + 1) % this.n;
        if (this.isConnected(starts) && this.isAlive(starts)) {
          const [index1, , ok] = this.start(starts, command);
          if (ok) {
            index = index1;
            break;
          }
        }
      }
      if (index !== -1) {
        const t1 = this.cluster.clock.now();
        while (this.cluster.clock.now() - t1 < 2_000) {
          const [nd, command1] = this.nCommitted(index);
          if (nd > 0 && nd >= expectedServers && command1 === command) return index;
          await this.sleep(20);
        }
        if (!retry) throw new CourseFailure(`one(${String(command)}) failed to reach agreement`);
      } else {
        await this.sleep(50);
      }
    }
    throw new CourseFailure(`one(${String(command)}) failed to reach agreement`);
  }

  // --- begin / end ---

  begin(description: string): void {
    this.#description = description;
    this.#t0 = this.cluster.clock.now();
    this.#rpcs0 = this.cluster.network.totalCount;
    this.#bytes0 = this.cluster.network.totalBytes;
    this.#maxIndex0 = this.#maxIndex;
  }

  /** The course's end(): the 120 s limit (on virtual time) and the "Passed" statistics line. */
  end(): CourseStats {
    const now = this.cluster.clock.now();
    if (now > TEST_LIMIT_MS) throw new CourseFailure(`test took longer than ${TEST_LIMIT_MS / 1000} seconds`);
    const stats: CourseStats = {
      description: this.#description,
      seconds: (now - this.#t0) / 1000,
      peers: this.n,
      rpcs: this.cluster.network.totalCount - this.#rpcs0,
      bytes: this.cluster.network.totalBytes - this.#bytes0,
      commits: this.#maxIndex - this.#maxIndex0,
    };
    if (process.env.RAFT_VERBOSE) {
      console.log(
        `${stats.description} ... Passed -- ${stats.seconds.toFixed(1)} ${stats.peers} ${stats.rpcs} ${stats.bytes} ${stats.commits}`,
      );
    }
    return stats;
  }
}

export interface CourseStats {
  readonly description: string;
  /** Virtual seconds the test covered. */
  readonly seconds: number;
  readonly peers: number;
  readonly rpcs: number;
  readonly bytes: number;
  /** Highest index applied anywhere, since begin(). */
  readonly commits: number;
}

/**
 * The election the suite runs: RAFT_FEATURES=paper for the paper's (no pre-vote, no
 * check-quorum), else a real node's default, both on. Every course test passes with either.
 */
export function courseFeatures(env: NodeJS.ProcessEnv = process.env): RaftFeatures {
  const profile = env.RAFT_FEATURES ?? 'production';
  if (profile === 'paper') return PAPER_FEATURES;
  if (profile === 'production') return PRODUCTION_FEATURES;
  throw new Error(`RAFT_FEATURES must be paper or production, got "${profile}"`);
}
