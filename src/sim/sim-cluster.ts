/**
 * A whole Raft cluster in one process, deterministic from its seed: every node is the real
 * `RaftNode` with the application's real `StateMachine`, over simulated providers (clock,
 * network, memory storage, seeded randomness). Applications use it to test their own state
 * machine on a faulty cluster, the same code they ship.
 */
import type { AppliedEntry } from '../node/providers.js';
import type { ConfigChange, NodeId, RaftTiming, SnapshotRecord } from '../../machines/index.js';
import type { LeadershipTransferred, MembershipChanged, RaftNodeOptions } from '../api/raft-node.js';
import { RaftNode } from '../api/raft-node.js';
import type { StateMachine } from '../api/state-machine.js';
import { CommandLog } from '../app/command-log.js';
import { Emitter } from '../emitter.js';
import { ConfigError, NotLeaderError } from '../errors.js';
import type { NodeStatus, RoleChange } from '../node/node-host.js';
import type { PersistedState } from '../node/providers.js';
import type { PendingTimer } from '../node/timer-tap.js';
import type { Clock } from '../node/providers.js';
import { MemoryStorage } from '../storage/memory-storage.js';
import { InvariantChecker } from './invariants.js';
import type { RunBudget } from './run-budget.js';
import { RunBudgetGuard } from './run-budget.js';
import { SeededRandom } from './seeded-random.js';
import { SimClock } from './sim-clock.js';
import type { Latency, SimEndpoint } from './sim-network.js';
import { SimNetwork } from './sim-network.js';
import type { SimDurability } from './sim-storage.js';
import { checkDurability, SIM_DURABILITY, SimStorage } from './sim-storage.js';

/** Heartbeats ten times a second, elections after 300-600 ms of silence. */
export const SIM_TIMING: RaftTiming = {
  heartbeatIntervalMs: 100,
  electionTimeoutMinMs: 300,
  electionTimeoutMaxMs: 600,
};

/** The node options a simulated cluster passes through to every RaftNode. */
export type SimNodeOptions = Pick<
  RaftNodeOptions<unknown, unknown>,
  | 'proposalTimeoutMs'
  | 'snapshotEvery'
  | 'noopOnElection'
  | 'maxCommandDepth'
  | 'maxCommandBytes'
  | 'maxSnapshotChunk'
  | 'inspect'
  | 'features'
>;

export interface SimClusterOptions<Command = unknown, Result = unknown> extends SimNodeOptions {
  /** Same seed, same run. */
  readonly seed: number;
  /** Node ids; default `'0'`..`String(size - 1)`. */
  readonly ids?: readonly NodeId[];
  /** Number of nodes when `ids` is not given; default 3. */
  readonly size?: number;
  readonly timing?: RaftTiming;
  /** Start with an unreliable network (lost, delayed requests and replies); default false. */
  readonly unreliable?: boolean;
  /** Extra delay of every message that gets through (`SimNetwork.setLatency`); default none. */
  readonly latency?: Latency;
  /**
   * The application: a fresh state machine for each node each time it starts, as a real
   * process starts empty and restores from its snapshot. Default: a CommandLog each.
   */
  readonly stateMachine?: (id: NodeId) => StateMachine<Command, Result>;
  /**
   * How long a write takes to become durable; a crash loses the writes not yet durable.
   * Default SIM_DURABILITY (0-2 ms of virtual time); 'instant' as plain memory storage.
   */
  readonly durability?: SimDurability;
  /**
   * Limits on the whole run, virtual and wall-clock time, past which `run` and `step` fail
   * with the seed and the last events instead of going on; default DEFAULT_RUN_BUDGET.
   */
  readonly budget?: RunBudget;
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

interface Member<Command, Result> {
  node: RaftNode<Command, Result> | null;
  storage: SimStorage | null;
  saved: PersistedState | undefined;
  endpoint: SimEndpoint | null;
  incarnation: number;
  /** Added by `addNode`: every incarnation starts as no member and waits to be added. */
  readonly join: boolean;
}

/** How far apart `spreadElectionTimers` puts the nodes' election timeouts by default. */
export const TIMER_SPREAD_MS = 150;

export interface SimClusterEvents<Command = unknown, Result = unknown> {
  /**
   * A node incarnation was created and is about to start: an observer attaches its listeners
   * here, to see its first step (and an `input` listener must be there before start).
   */
  starting: [RaftNode<Command, Result>];
  role: [RoleChange];
  /** A node handed a committed entry (no-ops included) to its application. */
  applied: [NodeId, AppliedEntry];
  /** A node handed its application a snapshot (installed from the leader, or on restart). */
  restored: [NodeId, SnapshotRecord];
}

export class SimCluster<Command = unknown, Result = unknown> extends Emitter<
  SimClusterEvents<Command, Result>
> {
  readonly seed: number;
  readonly timing: RaftTiming;
  readonly clock = new SimClock();
  readonly network: SimNetwork;
  readonly checker: InvariantChecker;
  readonly #members = new Map<NodeId, Member<Command, Result>>();
  /** Every node ever in the cluster, in order: the initial ones, then those `addNode` added. */
  readonly #ids: NodeId[];
  readonly #connected = new Set<NodeId>();
  // Links cut one way (from\0to), by setLink or partition: they stay cut across crashes and
  // connects, until set up again or healed.
  readonly #cut = new Set<string>();
  readonly #options: SimClusterOptions<Command, Result>;
  readonly #initial: readonly NodeId[];
  readonly #durability: SimDurability;
  readonly #budget: RunBudgetGuard;
  /** Timer rate factors set by setClockSkew, read as each timer is scheduled. */
  readonly #skew = new Map<NodeId, number>();

  constructor(options: SimClusterOptions<Command, Result>) {
    super();
    if (!Number.isSafeInteger(options.seed))
      throw new ConfigError(`seed must be an integer, got ${options.seed}`);
    this.seed = options.seed;
    this.#ids = [...(options.ids ?? Array.from({ length: options.size ?? 3 }, (_, i) => String(i)))];
    if (this.#ids.length === 0) throw new ConfigError('a cluster needs at least one node');
    if (new Set(this.#ids).size !== this.#ids.length) throw new ConfigError('node ids must be unique');
    this.#initial = [...this.#ids];
    this.timing = options.timing ?? SIM_TIMING;
    this.#options = options;
    this.#durability = options.durability ?? SIM_DURABILITY;
    checkDurability(this.#durability);
    this.#budget = new RunBudgetGuard(this.clock, options.budget);
    this.checker = new InvariantChecker(this.ids);
    this.network = new SimNetwork(this.clock, new SeededRandom(this.seed, 'network'));
    this.network.on('delivered', ({ message }) => this.#check(() => this.checker.observeDelivered(message)));
    this.network.setReliable(!options.unreliable);
    if (options.latency !== undefined) this.network.setLatency(options.latency);
    for (const id of this.ids) this.#members.set(id, newMember(false));
  }

  /**
   * Every node of the cluster, running or crashed, member of the configuration or not: the
   * initial ones, then the ones `addNode` added (a removed node stays listed).
   */
  get ids(): readonly NodeId[] {
    return this.#ids;
  }

  /**
   * Adds node `id` to the running cluster as a new server: it starts as no member (it never
   * campaigns, as `RaftNode`'s `join`), with an empty disk, connected unless `connect` is
   * false. It takes part only once the leader adds it (`addLearner`, then `promote`; or
   * `addVoter`). Its restarts join again from what it persisted.
   */
  async addNode(
    id: NodeId,
    options: { readonly connect?: boolean } = {},
  ): Promise<RaftNode<Command, Result>> {
    if (this.#members.has(id)) throw new ConfigError(`node "${id}" is in this cluster already`);
    this.#members.set(id, newMember(true));
    this.#ids.push(id);
    const node = await this.start(id);
    if (options.connect !== false) this.connect(id);
    return node;
  }

  /**
   * The running node that leads in the highest term, if any (a stale leader cut off in a
   * minority may still believe it leads a lower term).
   */
  leader(): NodeId | null {
    let best: { id: NodeId; term: number } | null = null;
    for (const id of this.ids) {
      const status = this.status(id);
      if (status?.role === 'leader' && (best === null || status.term > best.term))
        best = { id, term: status.term };
    }
    return best?.id ?? null;
  }

  /** The leader's `addLearner`: rejects with NotLeaderError when no node leads. */
  addLearner(id: NodeId): Promise<MembershipChanged> {
    return this.changeMembership({ type: 'addLearner', id });
  }

  /** The leader's `promote`. */
  promote(id: NodeId): Promise<MembershipChanged> {
    return this.changeMembership({ type: 'promote', id });
  }

  /** The leader's `addVoter`. */
  addVoter(id: NodeId): Promise<MembershipChanged> {
    return this.changeMembership({ type: 'addVoter', id });
  }

  /** The leader's `removeMember`; a removed node keeps running until crashed. */
  removeMember(id: NodeId): Promise<MembershipChanged> {
    return this.changeMembership({ type: 'remove', id });
  }

  /**
   * One membership change, asked of the current leader (`leader()`): resolves when its
   * configuration entry is applied on that leader. Call it inside `run`, which drives time.
   */
  changeMembership(change: ConfigChange): Promise<MembershipChanged> {
    const leader = this.#leaderNode();
    return leader === null
      ? Promise.reject(new NotLeaderError('(any node)', null))
      : leader.changeMembership(change);
  }

  /** The current leader's `transferLeadership(to)`; call it inside `run`. */
  transferLeadership(to?: NodeId): Promise<LeadershipTransferred> {
    const leader = this.#leaderNode();
    return leader === null
      ? Promise.reject(new NotLeaderError('(any node)', null))
      : leader.transferLeadership(to);
  }

  #leaderNode(): RaftNode<Command, Result> | null {
    const id = this.leader();
    return id === null ? null : this.node(id);
  }

  /** Starts every node and connects it: a fresh cluster. */
  async startAll(): Promise<void> {
    // Only the nodes the cluster was built with: nodes added later start with addNode.
    for (const id of this.#initial) await this.start(id);
    for (const id of this.#initial) this.connect(id);
  }

  /**
   * Starts node `id`, or restarts it (crashing it first) from what it had persisted, with a
   * fresh state machine. The new incarnation is isolated until `connect(id)`.
   */
  async start(id: NodeId): Promise<RaftNode<Command, Result>> {
    const member = this.#member(id);
    this.crash(id);
    member.incarnation++;
    const endpoint = this.network.attach(id);
    const storage = new SimStorage(
      member.saved,
      this.clock,
      new SeededRandom(this.seed, `storage:${id}:${member.incarnation}`),
      this.#durability,
      (hardState) => this.#check(() => this.checker.observeDurable(id, hardState)),
    );
    this.checker.observeRestart(id, storage.durable);
    const {
      stateMachine,
      seed: _seed,
      ids: _ids,
      size: _size,
      unreliable: _unreliable,
      latency: _latency,
      durability: _durability,
      budget: _budget,
      ...nodeOptions
    } = this.#options;
    const node = new RaftNode<Command, Result>({
      ...nodeOptions,
      id,
      // The bootstrap configuration: the initial nodes. A joining node ignores it.
      peers: this.#initial.filter((peer) => peer !== id),
      ...(member.join ? { join: true } : {}),
      timing: this.timing,
      transport: endpoint,
      storage,
      stateMachine: stateMachine?.(id) ?? (new CommandLog() as unknown as StateMachine<Command, Result>),
      clock: this.#nodeClock(id),
      random: new SeededRandom(this.seed, `timers:${id}:${member.incarnation}`),
    });
    node.on('step', ({ status, context, event }) => {
      this.#budget.record(id, event);
      this.#check(() => this.checker.observeStep(id, status.role, context, event));
    });
    node.on('sent', (message) => this.#check(() => this.checker.observeSent(id, message, storage.durable)));
    node.on('snapshotWritten', (snapshot) => this.#check(() => this.checker.observeSnapshot(id, snapshot)));
    node.on('logWritten', (edit, prevTerm) =>
      this.#check(() => this.checker.observeLogEdit(id, edit, prevTerm)),
    );
    node.on('committed', (entry) => {
      this.#check(() => this.checker.observeApplied(id, entry));
      this.emit('applied', id, entry);
    });
    node.on('restored', (snapshot) => this.emit('restored', id, snapshot));
    node.on('role', ({ role, term }) => this.emit('role', { id, role, term, at: this.clock.now() }));
    node.on('error', (error) => this.clock.fail(error));
    Object.assign(member, { node, storage, endpoint });
    this.network.addServer(endpoint);
    this.emit('starting', node);
    await node.start();
    return node;
  }

  /**
   * Crashes node `id`, keeping what it had persisted as of this moment: it is disconnected,
   * its server deleted (replies it has yet to send are lost), its storage handle killed,
   * and its node stopped with its timers.
   */
  crash(id: NodeId): void {
    const member = this.#member(id);
    if (member.node === null) return;
    this.disconnect(id);
    this.network.deleteServer(id);
    member.saved = member.storage?.crash();
    void member.node.stop();
    member.endpoint?.close();
    Object.assign(member, { node: null, storage: null, endpoint: null });
  }

  /** Links `id` with every connected node, both ways (except links cut by `setLink` or `partition`). */
  connect(id: NodeId): void {
    this.#member(id);
    this.#connected.add(id);
    for (const other of this.#connected) {
      if (other === id) continue;
      this.network.setLink(id, other, this.isLinkUp(id, other));
      this.network.setLink(other, id, this.isLinkUp(other, id));
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

  /**
   * Cuts (`up` false) or restores one direction of one link: messages from `from` to `to`.
   * A cut link stays cut while its nodes crash, restart and reconnect, until set up again
   * or `heal()`ed; a restored one carries messages once both nodes are connected.
   */
  setLink(from: NodeId, to: NodeId, up: boolean): void {
    this.#member(from);
    this.#member(to);
    if (from === to) throw new ConfigError(`a link joins two different nodes, got "${from}" to itself`);
    if (up) this.#cut.delete(linkKey(from, to));
    else this.#cut.add(linkKey(from, to));
    this.network.setLink(from, to, this.isLinkUp(from, to));
  }

  /** Whether messages from `from` reach `to` now: both connected, and that link not cut. */
  isLinkUp(from: NodeId, to: NodeId): boolean {
    return (
      from !== to && this.#connected.has(from) && this.#connected.has(to) && !this.#cut.has(linkKey(from, to))
    );
  }

  /**
   * Splits the cluster into groups that cannot talk to each other: every link between two
   * groups cut, every link inside a group up, every running node in a group connected. A
   * node in no group is alone. Replaces any earlier cut; `heal()` undoes it.
   */
  partition(groups: readonly (readonly NodeId[])[]): void {
    const groupOf = new Map<NodeId, number>();
    groups.forEach((group, index) => {
      for (const id of group) {
        this.#member(id);
        if (groupOf.has(id)) throw new ConfigError(`node "${id}" is in two groups of the partition`);
        groupOf.set(id, index);
      }
    });
    const group = (id: NodeId): number | string => groupOf.get(id) ?? `alone:${id}`;
    this.#cut.clear();
    for (const from of this.ids) {
      for (const to of this.ids)
        if (from !== to && group(from) !== group(to)) this.#cut.add(linkKey(from, to));
    }
    this.#relink([...groupOf.keys()]);
  }

  /** Every link up and every running node connected: the end of every partition and cut. */
  heal(): void {
    this.#cut.clear();
    this.#relink(this.ids);
  }

  /** Connects the running nodes among `ids`, then sets every link to what it should be. */
  #relink(ids: readonly NodeId[]): void {
    for (const id of ids) if (this.#member(id).node !== null) this.#connected.add(id);
    for (const from of this.ids) {
      for (const to of this.ids) if (from !== to) this.network.setLink(from, to, this.isLinkUp(from, to));
    }
  }

  /**
   * Makes node `id`'s pending election timer (the chart's real `after` timer, not a new
   * event) due now: it fires at the clock's next step, before anything due later. Returns
   * false if the node is down or has no election timer pending (a leader has none).
   */
  timeoutNow(id: NodeId): boolean {
    const [timer] = this.#electionTimers([id]);
    if (timer === undefined) return false;
    this.#moveTimer(timer, this.clock.now());
    return true;
  }

  /**
   * Makes the election timers of the running nodes among `ids` (default all) due at the same
   * moment, the earliest of their deadlines: they time out together and split the vote.
   * Returns the nodes whose timer moved (leaders and crashed nodes have none).
   */
  alignElectionTimers(ids: readonly NodeId[] = this.ids): NodeId[] {
    const timers = this.#electionTimers(ids);
    const due = Math.min(...timers.map(({ timer }) => timer.deadline));
    for (const timer of timers) this.#moveTimer(timer, due);
    return timers.map(({ node }) => node.id);
  }

  /**
   * Spreads the election timers of the running nodes among `ids` (default all), in that
   * order, `spacingMs` apart from the earliest of their deadlines: the first times out well
   * before the others and wins the election alone. Returns the nodes whose timer moved.
   */
  spreadElectionTimers(ids: readonly NodeId[] = this.ids, spacingMs = TIMER_SPREAD_MS): NodeId[] {
    const timers = this.#electionTimers(ids);
    const first = Math.min(...timers.map(({ timer }) => timer.deadline));
    timers.forEach((timer, i) => this.#moveTimer(timer, first + i * spacingMs));
    return timers.map(({ node }) => node.id);
  }

  #electionTimers(ids: readonly NodeId[]): { node: RaftNode<Command, Result>; timer: PendingTimer }[] {
    const found: { node: RaftNode<Command, Result>; timer: PendingTimer }[] = [];
    for (const id of ids) {
      const node = this.#member(id).node;
      const timer = node?.pendingTimers().find(({ kind }) => kind === 'electionTimeout');
      if (node && timer) found.push({ node, timer });
    }
    return found;
  }

  #moveTimer({ node, timer }: { node: RaftNode<Command, Result>; timer: PendingTimer }, due: number): void {
    const at = Math.max(due, this.clock.now());
    if (this.clock.reschedule(timer.handle, at)) node.timerMoved(timer.handle, at);
  }

  /** The live node `id`, or null while it is crashed. */
  node(id: NodeId): RaftNode<Command, Result> | null {
    return this.#member(id).node;
  }

  status(id: NodeId): NodeStatus | null {
    return this.node(id)?.status() ?? null;
  }

  /**
   * What node `id` has persisted, for reading: its live storage while it runs, and while it
   * is crashed a copy of what it held at the crash (what its restart will load).
   */
  storage(id: NodeId): MemoryStorage {
    const member = this.#member(id);
    return member.storage?.durable ?? new MemoryStorage(member.saved);
  }

  /**
   * Skews node `id`'s clock rate: each timer it schedules from now on (election and
   * heartbeat timeouts, every other delay), in this and later incarnations, takes `factor`
   * times its nominal delay. 1 is no skew; a fast clock is below 1.
   */
  setClockSkew(id: NodeId, factor: number): void {
    this.#member(id);
    if (!(factor > 0 && factor <= 10))
      throw new ConfigError(`a clock skew factor is in (0, 10], got ${factor} for node "${id}"`);
    this.#skew.set(id, factor);
  }

  /** The shared virtual clock as node `id` sees it: its timers stretched by its skew. */
  #nodeClock(id: NodeId): Clock {
    const clock = this.clock;
    return {
      now: () => clock.now(),
      setTimeout: (callback, ms) => clock.setTimeout(callback, Math.round(ms * (this.#skew.get(id) ?? 1))),
      clearTimeout: (handle) => clock.clearTimeout(handle),
    };
  }

  /** Drives virtual time until `task` settles; any failure says the seed that replays it. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    try {
      return await this.clock.run(task);
    } catch (error) {
      throw this.#failure(error);
    }
  }

  /**
   * Fires the clock's next timer alone (one election or heartbeat timeout, one message
   * arriving...) and lets what it started settle: `SimClock.step`. False if none is pending.
   */
  async step(): Promise<boolean> {
    try {
      return await this.clock.step();
    } catch (error) {
      throw this.#failure(error);
    }
  }

  #failure(error: unknown): SimulationFailure {
    return error instanceof SimulationFailure
      ? error
      : new SimulationFailure(this.seed, this.clock.now(), error);
  }

  /** Lets `ms` of virtual time pass. */
  runFor(ms: number): Promise<void> {
    return this.run(() => this.clock.sleep(ms));
  }

  /** Stops every node (their storage is kept, as after a crash). */
  stopAll(): void {
    for (const id of this.ids) this.crash(id);
  }

  #member(id: NodeId): Member<Command, Result> {
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

function newMember<Command, Result>(join: boolean): Member<Command, Result> {
  return { node: null, storage: null, saved: undefined, endpoint: null, incarnation: 0, join };
}

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}\u0000${to}`;
}
