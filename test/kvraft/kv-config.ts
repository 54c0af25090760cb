/**
 * The course's kvraft tester "config", ported: servers are SimCluster nodes, each running a
 * KvStore under a KvServer; clerks reach them through the ClerkNetwork. Server i of the
 * course is node `String(i)`. Partitions cut only the links between servers; a clerk's
 * ends are enabled and disabled per clerk.
 */
import type { NodeId } from '../../machines/index.js';
import type { KvCommand, KvResult } from '../../src/kv/kv-command.js';
import { KvStore } from '../../src/kv/kv-store.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import { SimCluster } from '../../src/sim/sim-cluster.js';
import { COURSE_TIMING } from '../course/course-timing.js';
import { Clerk } from './clerk.js';
import type { ClerkEnd } from './clerk-network.js';
import { ClerkNetwork } from './clerk-network.js';
import { KvServer } from './kv-server.js';
import { RPC_LATENCY, SERVER_WAIT_MS, TEST_LIMIT_MS } from './kv-timing.js';
import { KvraftFailure } from './kvraft-failure.js';

export interface KvConfigOptions {
  readonly n: number;
  readonly unreliable: boolean;
  /** Snapshot when the Raft state approaches this many bytes; -1: never snapshot. */
  readonly maxraftstate: number;
  readonly seed: number;
}

/** The course's end() statistics. */
export interface KvStats {
  readonly description: string;
  /** Virtual seconds since begin(). */
  readonly seconds: number;
  readonly peers: number;
  /** RPCs sent, between servers and from clerks. */
  readonly rpcs: number;
  /** Clerk operations made through the tester's Get/Put/Append. */
  readonly ops: number;
}

export class KvConfig {
  readonly n: number;
  readonly maxraftstate: number;
  readonly cluster: SimCluster<KvCommand, KvResult>;
  /** The tester's own random stream (the Go tester's `rand`). */
  readonly rand: SeededRandom;
  readonly network: ClerkNetwork;
  readonly #stores = new Map<NodeId, KvStore>();
  readonly #servers = new Map<NodeId, KvServer>();
  #nextClientId: number;
  #ops = 0;
  #snapshots = 0;
  #description = '';
  #t0 = 0;
  #rpcs0 = 0;
  #ops0 = 0;

  private constructor(options: KvConfigOptions) {
    const { n, unreliable, maxraftstate, seed } = options;
    this.n = n;
    this.maxraftstate = maxraftstate;
    this.cluster = new SimCluster<KvCommand, KvResult>({
      seed,
      size: n,
      timing: COURSE_TIMING,
      unreliable,
      latency: RPC_LATENCY,
      proposalTimeoutMs: SERVER_WAIT_MS,
      // The server snapshots on its own schedule (maxraftstate), and never with -1.
      snapshotEvery: 0,
      stateMachine: (id) => {
        const store = new KvStore();
        this.#stores.set(id, store);
        return store;
      },
    });
    this.cluster.on('starting', (node) => {
      const server = new KvServer(
        node,
        this.#stores.get(node.id)!,
        maxraftstate,
        () => this.cluster.storage(node.id).stateBytes,
      );
      this.#servers.set(node.id, server);
    });
    this.rand = new SeededRandom(seed, 'kvraft-tester');
    this.network = new ClerkNetwork(
      this.cluster.clock,
      new SeededRandom(seed, 'kvraft-clerks'),
      RPC_LATENCY,
      (id) => this.#liveServer(id),
    );
    this.network.setReliable(!unreliable);
    this.#nextClientId = n + 1000;
  }

  /**
   * Runs one kvraft test: make_config (every server started and connected), the body on
   * virtual time, then every server stopped whether it passed or not. A body still running
   * past the course's 120 s fails then rather than at end().
   */
  static async run(options: KvConfigOptions, body: (cfg: KvConfig) => Promise<void>): Promise<void> {
    const cfg = new KvConfig(options);
    try {
      await cfg.cluster.run(async () => {
        for (let i = 0; i < cfg.n; i++) await cfg.startServer(i);
        cfg.connectAll();
        await cfg.#withinLimit(body(cfg));
      });
    } finally {
      cfg.cluster.stopAll();
    }
  }

  async #withinLimit(body: Promise<void>): Promise<void> {
    const clock = this.cluster.clock;
    let timer: unknown;
    const limit = new Promise<never>((_, reject) => {
      timer = clock.setTimeout(
        () => reject(new KvraftFailure(`test took longer than ${TEST_LIMIT_MS / 1000} seconds`)),
        TEST_LIMIT_MS + 1 - clock.now(),
      );
    });
    try {
      await Promise.race([body, limit]);
    } finally {
      clock.clearTimeout(timer);
    }
  }

  #liveServer(id: NodeId): KvServer | null {
    const server = this.#servers.get(id);
    return server !== undefined && this.cluster.node(id) === server.node ? server : null;
  }

  /** The live KV server i, or null while it is shut down. */
  server(i: number): KvServer | null {
    return this.#liveServer(String(i));
  }

  all(): number[] {
    return Array.from({ length: this.n }, (_, i) => i);
  }

  // --- servers ---

  /** Starts (or restarts from its persisted state) server i, cut off until connectAll(). */
  async startServer(i: number): Promise<void> {
    await this.cluster.start(String(i));
  }

  /** Shuts server i down, keeping its persisted state as of this moment. */
  shutdownServer(i: number): void {
    this.#snapshots += this.server(i)?.snapshots ?? 0;
    this.cluster.crash(String(i));
  }

  /** Every server linked with every other. */
  connectAll(): void {
    this.cluster.heal();
  }

  /** Each member of p1 cut off from p2 and linked with p1, and the other way round. Clerks are unaffected. */
  partition(p1: readonly number[], p2: readonly number[]): void {
    this.cluster.partition([p1.map(String), p2.map(String)]);
  }

  /** The first server that says it leads, or [false, 0]. */
  leader(): [isLeader: boolean, index: number] {
    for (let i = 0; i < this.n; i++) {
      if (this.cluster.status(String(i))?.role === 'leader') return [true, i];
    }
    return [false, 0];
  }

  /** p1: ⌊n/2⌋+1 servers other than the leader; p2: the rest, with the leader last (a minority). */
  makePartition(): [p1: number[], p2: number[]] {
    const [, l] = this.leader();
    const others = this.all().filter((i) => i !== l);
    const size1 = Math.floor(this.n / 2) + 1;
    return [others.slice(0, size1), [...others.slice(size1), l]];
  }

  // --- clerks ---

  /** A clerk with an end to every server, in shuffled order, those to `to` enabled. */
  makeClient(to: readonly number[]): Clerk {
    const ends: ClerkEnd[] = this.all().map((i) => ({ server: String(i), enabled: false }));
    // random_handles: Go's in-place shuffle.
    for (let i = 0; i < ends.length; i++) {
      const j = this.rand.int(i);
      [ends[i], ends[j]] = [ends[j]!, ends[i]!];
    }
    const ck = new Clerk(`clerk-${this.#nextClientId++}`, ends, this.network);
    this.connectClient(ck, to);
    return ck;
  }

  connectClient(ck: Clerk, to: readonly number[]): void {
    for (const end of ck.ends) if (to.includes(Number(end.server))) end.enabled = true;
  }

  disconnectClient(ck: Clerk, from: readonly number[]): void {
    for (const end of ck.ends) if (from.includes(Number(end.server))) end.enabled = false;
  }

  // --- sizes ---

  /** The largest persisted Raft state of any server, shut down or not (the course's LogSize). */
  logSize(): number {
    return Math.max(...this.cluster.ids.map((id) => this.cluster.storage(id).stateBytes));
  }

  /** The largest persisted snapshot of any server (the course's SnapshotSize). */
  snapshotSize(): number {
    return Math.max(...this.cluster.ids.map((id) => this.cluster.storage(id).snapshotBytes));
  }

  /** Snapshots the servers took so far, every incarnation counted. */
  snapshotsTaken(): number {
    return this.#snapshots + this.all().reduce((sum, i) => sum + (this.server(i)?.snapshots ?? 0), 0);
  }

  // --- the tester's time, randomness and statistics ---

  sleep(ms: number): Promise<void> {
    return this.cluster.clock.sleep(ms);
  }

  now(): number {
    return this.cluster.clock.now();
  }

  /** The course's `rand.Int() % n`. */
  randInt(n: number): number {
    return this.rand.int(n - 1);
  }

  /** One clerk operation done (the course's cfg.op()). */
  op(): void {
    this.#ops++;
  }

  #rpcTotal(): number {
    return this.cluster.network.totalCount + this.network.totalCount;
  }

  begin(description: string): void {
    this.#description = description;
    this.#t0 = this.now();
    this.#rpcs0 = this.#rpcTotal();
    this.#ops0 = this.#ops;
  }

  /** The course's end(): the 120 s limit (virtual time) and the "Passed" statistics. */
  end(): KvStats {
    const now = this.now();
    if (now > TEST_LIMIT_MS) throw new KvraftFailure(`test took longer than ${TEST_LIMIT_MS / 1000} seconds`);
    const stats: KvStats = {
      description: this.#description,
      seconds: (now - this.#t0) / 1000,
      peers: this.n,
      rpcs: this.#rpcTotal() - this.#rpcs0,
      ops: this.#ops - this.#ops0,
    };
    if (process.env.RAFT_VERBOSE) {
      console.log(
        `${stats.description} ...\n  ... Passed -- ${stats.seconds.toFixed(1)} ${stats.peers} ${stats.rpcs} ${stats.ops}` +
          (this.maxraftstate > 0 ? ` (${this.snapshotsTaken()} snapshots)` : ''),
      );
    }
    return stats;
  }
}
