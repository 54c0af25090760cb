/**
 * The course tester's "config", ported: a thin layer over SimCluster that offers the
 * course's view of a Raft peer (Make, GetState, Kill) and its checking helpers with their
 * exact timings. Server i of the course is node `String(i)`.
 */
import { SeededRandom } from '../../src/sim/seeded-random.js';
import { SimCluster } from '../../src/sim/sim-cluster.js';
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
}

export class CourseConfig {
  readonly n: number;
  readonly cluster: SimCluster;
  /** The tester's own random stream (the Go tester's `rand`). */
  readonly rand: SeededRandom;
  #description = '';
  #t0 = 0;
  #rpcs0 = 0;
  #bytes0 = 0;

  private constructor(options: CourseOptions) {
    this.n = options.n;
    this.cluster = new SimCluster({
      seed: options.seed,
      size: options.n,
      timing: COURSE_TIMING,
      unreliable: options.unreliable,
    });
    this.rand = new SeededRandom(options.seed, 'tester');
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
      cfg.cluster.stopAll();
    }
  }

  // --- the tester's control of servers ---

  /** Starts (or restarts from its persisted state) server i, isolated until connect(i). */
  async start1(i: number): Promise<void> {
    await this.cluster.start(String(i));
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

  // --- begin / end ---

  begin(description: string): void {
    this.#description = description;
    this.#t0 = this.cluster.clock.now();
    this.#rpcs0 = this.cluster.network.totalCount;
    this.#bytes0 = this.cluster.network.totalBytes;
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
    };
    if (process.env.RAFT_VERBOSE) {
      console.log(
        `${stats.description} ... Passed -- ${stats.seconds.toFixed(1)} ${stats.peers} ${stats.rpcs} ${stats.bytes}`,
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
}
