/**
 * A whole Raft cluster in one process, deterministic from its seed: every node is the real
 * node host over simulated providers (clock, network, memory storage, seeded randomness).
 * Applications use it to test their own code on a faulty cluster; the course suite is a
 * thin layer over it.
 */
import { EventEmitter } from 'node:events';
import type { NodeId, RaftTiming, SnapshotRecord } from '../../machines/index.js';
import { ConfigError } from '../errors.js';
import type { NodeStatus, RoleChange } from '../node/node-host.js';
import { NodeHost } from '../node/node-host.js';
import type { AppliedEntry, ApplySink, PersistedState } from '../node/providers.js';
import { MemoryStorage } from '../storage/memory-storage.js';
import { InvariantChecker } from './invariants.js';
import { SeededRandom } from './seeded-random.js';
import { SimClock } from './sim-clock.js';
import type { SimEndpoint } from './sim-network.js';
import { SimNetwork } from './sim-network.js';

/** Heartbeats ten times a second, elections after 300-600 ms of silence. */
export const SIM_TIMING: RaftTiming = {
  heartbeatIntervalMs: 100,
  electionTimeoutMinMs: 300,
  electionTimeoutMaxMs: 600,
};

export interface SimClusterOptions {
  /** Same seed, same run. */
  readonly seed: number;
  /** Node ids; default `'0'`..`String(size - 1)`. */
  readonly ids?: readonly NodeId[];
  /** Number of nodes when `ids` is not given; default 3. */
  readonly size?: number;
  readonly timing?: RaftTiming;
  /** Start with an unreliable network (lost, delayed requests and replies); default false. */
  readonly unreliable?: boolean;
  /** Bytes of snapshot data (as JSON text) per InstallSnapshot chunk; default 1 MiB. */
  readonly maxSnapshotChunk?: number;
}

/** A simulated run failed; the message starts with the seed that replays it. */
export class SimulationFailure extends Error {
  constructor(
    readonly seed: number,
    readonly at: number,
    cause: unknown,
  ) {
    super(`seed=${seed} t=${at}ms: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'SimulationFailure';
  }
}

interface Member {
  host: NodeHost | null;
  storage: MemoryStorage | null;
  saved: PersistedState | undefined;
  endpoint: SimEndpoint | null;
  incarnation: number;
}

export interface SimClusterEvents {
  role: [RoleChange];
  /** A node delivered a committed entry to its application. */
  applied: [NodeId, AppliedEntry];
  /** A node handed its application a snapshot (installed from the leader, or on restart). */
  restored: [NodeId, SnapshotRecord];
}

/** The application every node of a simulated cluster applies to, told which node it is. */
export interface SimApplication {
  apply(id: NodeId, entry: AppliedEntry): void | Promise<void>;
  restore(id: NodeId, snapshot: SnapshotRecord): void | Promise<void>;
}

export class SimCluster extends EventEmitter<SimClusterEvents> {
  readonly seed: number;
  readonly ids: readonly NodeId[];
  readonly timing: RaftTiming;
  readonly clock = new SimClock();
  readonly network: SimNetwork;
  readonly checker = new InvariantChecker();
  readonly #members = new Map<NodeId, Member>();
  readonly #connected = new Set<NodeId>();
  #application: SimApplication | undefined;
  readonly #maxSnapshotChunk: number | undefined;

  constructor(options: SimClusterOptions) {
    super();
    if (!Number.isSafeInteger(options.seed))
      throw new ConfigError(`seed must be an integer, got ${options.seed}`);
    this.seed = options.seed;
    this.ids = options.ids ?? Array.from({ length: options.size ?? 3 }, (_, i) => String(i));
    if (this.ids.length === 0) throw new ConfigError('a cluster needs at least one node');
    if (new Set(this.ids).size !== this.ids.length) throw new ConfigError('node ids must be unique');
    this.timing = options.timing ?? SIM_TIMING;
    this.#maxSnapshotChunk = options.maxSnapshotChunk;
    this.network = new SimNetwork(this.clock, new SeededRandom(this.seed, 'network'));
    this.network.setReliable(!options.unreliable);
    for (const id of this.ids) {
      this.#members.set(id, { host: null, storage: null, saved: undefined, endpoint: null, incarnation: 0 });
    }
  }

  /** Starts every node and connects it: a fresh cluster. */
  async startAll(): Promise<void> {
    for (const id of this.ids) await this.start(id);
    for (const id of this.ids) this.connect(id);
  }

  /**
   * Starts node `id`, or restarts it (crashing it first) from what it had persisted. The
   * new incarnation is isolated until `connect(id)`.
   */
  async start(id: NodeId): Promise<NodeHost> {
    const member = this.#member(id);
    this.crash(id);
    member.incarnation++;
    const endpoint = this.network.attach(id);
    const storage = new MemoryStorage(member.saved, (hardState) =>
      this.#check(() => this.checker.observeDurable(id, hardState)),
    );
    const host = await NodeHost.create({
      id,
      peers: this.ids.filter((peer) => peer !== id),
      timing: this.timing,
      transport: endpoint,
      storage,
      clock: this.clock,
      random: new SeededRandom(this.seed, `timers:${id}:${member.incarnation}`),
      applySink: this.#applySink(id),
      ...(this.#maxSnapshotChunk === undefined ? {} : { maxSnapshotChunk: this.#maxSnapshotChunk }),
    });
    host.on('step', ({ status, context }) =>
      this.#check(() => this.checker.observeStep(id, status.role, context)),
    );
    host.on('snapshotWritten', (snapshot) => this.#check(() => this.checker.observeSnapshot(id, snapshot)));
    host.on('logWritten', (edit, prevTerm) =>
      this.#check(() => this.checker.observeLogEdit(id, edit, prevTerm)),
    );
    host.on('role', (change) => this.emit('role', change));
    host.on('error', (error) => this.clock.fail(error));
    Object.assign(member, { host, storage, endpoint });
    this.network.addServer(endpoint);
    host.start();
    return host;
  }

  /**
   * Crashes node `id`, keeping what it had persisted as of this moment: it is disconnected,
   * its server deleted (replies it has yet to send are lost), its storage handle killed,
   * and its actor stopped with its timers.
   */
  crash(id: NodeId): void {
    const member = this.#member(id);
    if (member.host === null) return;
    this.disconnect(id);
    this.network.deleteServer(id);
    member.saved = member.storage?.crash();
    member.host.stop();
    member.endpoint?.close();
    Object.assign(member, { host: null, storage: null, endpoint: null });
  }

  /** Links `id` with every connected node, both ways. */
  connect(id: NodeId): void {
    this.#member(id);
    this.#connected.add(id);
    for (const other of this.#connected) {
      if (other === id) continue;
      this.network.setLink(id, other, true);
      this.network.setLink(other, id, true);
    }
  }

  /** Cuts every link to and from `id`; the node keeps running, alone. */
  disconnect(id: NodeId): void {
    this.#member(id);
    this.#connected.delete(id);
    for (const other of this.ids) {
      this.network.setLink(id, other, false);
      this.network.setLink(other, id, false);
    }
  }

  isConnected(id: NodeId): boolean {
    return this.#connected.has(id);
  }

  /** The live node `id`, or null while it is crashed. */
  node(id: NodeId): NodeHost | null {
    return this.#member(id).host;
  }

  status(id: NodeId): NodeStatus | null {
    return this.node(id)?.status() ?? null;
  }

  /** Bytes of `id`'s persisted Raft state, whether it is running or crashed. */
  raftStateSize(id: NodeId): number {
    const member = this.#member(id);
    if (member.storage !== null) return member.storage.raftStateSize;
    return member.saved === undefined ? 0 : new MemoryStorage(member.saved).raftStateSize;
  }

  /** The snapshot `id` had persisted when it last crashed (undefined if none, or running). */
  savedSnapshot(id: NodeId): SnapshotRecord | undefined {
    const member = this.#member(id);
    return member.host === null ? member.saved?.snapshot : undefined;
  }

  /** Bytes of `id`'s persisted snapshot data, whether it is running or crashed. */
  snapshotSize(id: NodeId): number {
    const member = this.#member(id);
    if (member.storage !== null) return member.storage.snapshotSize;
    return member.saved === undefined ? 0 : new MemoryStorage(member.saved).snapshotSize;
  }

  /** Drives virtual time until `task` settles; any failure says the seed that replays it. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    try {
      return await this.clock.run(task);
    } catch (error) {
      if (error instanceof SimulationFailure) throw error;
      throw new SimulationFailure(this.seed, this.clock.now(), error);
    }
  }

  /** Lets `ms` of virtual time pass. */
  runFor(ms: number): Promise<void> {
    return this.run(() => this.clock.sleep(ms));
  }

  /** Stops every node (their storage is kept, as after a crash). */
  stopAll(): void {
    for (const id of this.ids) this.crash(id);
  }

  /**
   * Where node `id`'s committed entries and snapshots go: the checker, the 'applied' and
   * 'restored' events, then the application set with `setApplication`, whose promises the
   * node awaits.
   */
  #applySink(id: NodeId): ApplySink {
    return {
      apply: (entry) => {
        this.#check(() => this.checker.observeApplied(id, entry));
        this.emit('applied', id, entry);
        return this.#application?.apply(id, entry);
      },
      restore: (snapshot) => {
        this.emit('restored', id, snapshot);
        return this.#application?.restore(id, snapshot);
      },
    };
  }

  /** Routes every node's committed entries and snapshots to `application` (the course's applyCh, an app). */
  setApplication(application: SimApplication): void {
    this.#application = application;
  }

  #member(id: NodeId): Member {
    const member = this.#members.get(id);
    if (member === undefined)
      throw new ConfigError(`no node "${id}" in this cluster (ids: ${this.ids.join(', ')})`);
    return member;
  }

  #check(check: () => void): void {
    try {
      check();
    } catch (error) {
      this.clock.fail(error);
    }
  }
}
