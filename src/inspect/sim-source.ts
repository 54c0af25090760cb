/**
 * The visualizer's default source: a SimCluster running in the page, in real time, that
 * the page watches (InspectEvents) and breaks (every ClusterControl) and whose time it
 * drives (pause, step, speed). Same seed and same controls at the same virtual times, same
 * run: `?seed=<n>` replays a timeline exactly. Browser-safe.
 *
 * How real time drives it. SimClock moves only inside `run`, and a run cannot wait for
 * real time (its driver fires the next timer at once, or stalls when none is left) nor be
 * nested. So no run lasts: each animation frame runs `cluster.runFor(slice)`, where `slice` is the whole
 * virtual milliseconds owed for the real time since the last frame at the current speed,
 * and returns. Everything that touches the cluster (a frame's slice, a control, a step)
 * goes through one queue, one at a time: a control asked for during a slice is applied
 * when the slice ends, between two runs, at the virtual time the slice ended. Slices are
 * whole milliseconds, and a run cut in slices is the same run (the clock fires timers in
 * the same order whatever the slices), so where the frames fall changes nothing; only
 * when controls are applied does.
 */
import type { NodeId, RaftFeatures } from '../../machines/index.js';
import type { RaftNode } from '../api/raft-node.js';
import { NodeStoppedError, NotLeaderError, RaftError } from '../errors.js';
import { SimCluster, SimulationFailure } from '../sim/sim-cluster.js';
import type { Latency, NetworkDelivered, NetworkDropped, NetworkSent } from '../sim/sim-network.js';
import type { ClusterControls, ClusterSource, TimeControls } from './cluster-source.js';
import type { InspectEvent, InspectListener, NodeSummary } from './inspect-event.js';
import { feedFromNode } from './node-feed.js';
import type { FrameScheduler } from './sim-source-pacer.js';
import { Pacer, nextFrame, realNow } from './sim-source-pacer.js';

export interface SimSourceOptions {
  /** Same seed, same run. */
  readonly seed: number;
  /** How many nodes: ids `'0'`..`String(nodes - 1)`. */
  readonly nodes: number;
  /** Start with an unreliable network (loss, delay); default false. */
  readonly unreliable?: boolean;
  /** Virtual ms per real ms; default 1 (real time). */
  readonly speed?: number;
  /** The real time source, in ms; default performance.now. */
  readonly now?: () => number;
  /**
   * Extra delay of every message that gets through, in virtual ms, so that messages are
   * seen in flight; default 10-30 ms (about a tenth of an election timeout).
   */
  readonly latency?: Latency;
  /** Each node snapshots every this many applied entries; default 20, so the log grid shows one. */
  readonly snapshotEvery?: number;
  /** Start paused (the cluster is started, time stands still); default false. */
  readonly paused?: boolean;
  /** Schedules frames; default requestAnimationFrame, or a 16 ms timeout where there is none. */
  readonly frame?: FrameScheduler;
  /** Pre-vote and check-quorum; default the node's (both on). Off shows the paper's split votes. */
  readonly features?: Partial<RaftFeatures>;
}

export const SIM_SOURCE_LATENCY: Latency = { minMs: 10, maxMs: 30 };
export const SIM_SOURCE_SNAPSHOT_EVERY = 20;

/** A proposal found no connected node leading (an election under way, or a minority). */
export class NoLeaderError extends RaftError {
  constructor() {
    super('no connected node leads right now (an election may be under way): propose again shortly');
  }
}

/** The simulation was closed, or stopped by a failure: create a new source. */
export class SimulationClosedError extends RaftError {
  constructor(failure: SimulationFailure | null) {
    super(
      failure === null
        ? 'the simulation was closed: create a new source to run another'
        : `the simulation stopped on a failure (${failure.message}): create a new source to run another`,
      ...(failure === null ? [] : [{ cause: failure }]),
    );
  }
}

/** A ClusterSource over a SimCluster, with what only a simulation has. */
export interface SimSource extends ClusterSource {
  readonly kind: 'simulation';
  readonly seed: number;
  readonly controls: ClusterControls;
  readonly time: TimeControls;
  /** Whether messages from `from` reach `to` now: both nodes connected and that link not cut. */
  isLinkUp(from: NodeId, to: NodeId): boolean;
  /** Whether `id` is connected (not disconnected, not crashed). */
  isConnected(id: NodeId): boolean;
  /** What stopped the simulation (an invariant broken, a node failed), or null while it runs. */
  readonly failure: SimulationFailure | null;
  /** Resolves once everything asked of the source so far (frames, controls, steps) is done. */
  idle(): Promise<void>;
  /**
   * Lets exactly `ms` of virtual time pass at once, whatever the pace and even paused: to
   * apply controls at chosen virtual times (a scripted scenario, a test), which replays exactly.
   */
  advance(ms: number): Promise<void>;
}

export function createSimSource(options: SimSourceOptions): SimSource {
  return new PagedSimulation(options);
}

/** A node's state as a late subscriber is told it. */
interface NodeView {
  summary: NodeSummary | null;
  stopFeed: () => void;
}

class PagedSimulation implements SimSource {
  readonly kind = 'simulation';
  readonly seed: number;
  readonly label: string;
  readonly ids: readonly NodeId[];
  readonly controls: ClusterControls;
  readonly time: TimeControls;
  readonly #cluster: SimCluster;
  readonly #pacer: Pacer;
  readonly #frame: FrameScheduler;
  readonly #listeners = new Set<InspectListener>();
  readonly #views = new Map<NodeId, NodeView>();
  readonly #downReasons = new Map<NodeId, string>();
  // Messages sent and neither delivered nor dropped yet: a late subscriber sees them fly.
  readonly #inFlight = new Map<number, InspectEvent>();
  readonly #stopNetwork: () => void;
  #queue: Promise<unknown> = Promise.resolve();
  #paused: boolean;
  #cancelFrame: (() => void) | null = null;
  #closed = false;
  #failure: SimulationFailure | null = null;

  constructor(options: SimSourceOptions) {
    this.seed = options.seed;
    this.label = `seed ${options.seed}`;
    this.#cluster = new SimCluster({
      seed: options.seed,
      size: options.nodes,
      ...(options.unreliable === undefined ? {} : { unreliable: options.unreliable }),
      latency: options.latency ?? SIM_SOURCE_LATENCY,
      snapshotEvery: options.snapshotEvery ?? SIM_SOURCE_SNAPSHOT_EVERY,
      ...(options.features === undefined ? {} : { features: options.features }),
      // A page shows a cluster for as long as it is open, not for a test's length.
      budget: { virtualMs: Infinity, wallMs: Infinity },
    });
    this.ids = this.#cluster.ids;
    this.#pacer = new Pacer(options.now ?? realNow, options.speed ?? 1);
    this.#frame = options.frame ?? nextFrame;
    this.#paused = options.paused ?? false;
    this.#cluster.on('starting', (node) => this.#watch(node));
    this.#stopNetwork = this.#watchNetwork();
    this.controls = this.#makeControls();
    this.time = this.#makeTimeControls();
    void this.#exclusive(() => this.#cluster.startAll());
    if (!this.#paused) this.#requestFrame();
  }

  get failure(): SimulationFailure | null {
    return this.#failure;
  }

  isLinkUp(from: NodeId, to: NodeId): boolean {
    return this.#cluster.isLinkUp(from, to);
  }

  isConnected(id: NodeId): boolean {
    return this.#cluster.isConnected(id);
  }

  subscribe(listener: InspectListener): () => void {
    const at = this.#cluster.clock.now();
    for (const id of this.ids) {
      const summary = this.#views.get(id)?.summary ?? null;
      if (summary === null) {
        deliver(listener, {
          type: 'nodeDown',
          at,
          node: id,
          reason: this.#downReasons.get(id) ?? 'starting',
        });
        continue;
      }
      deliver(listener, { type: 'nodeUp', at, node: id, summary });
      for (const { kind, deadline } of this.#cluster.node(id)?.pendingTimers() ?? []) {
        deliver(listener, { type: 'timer', at, node: id, timer: kind, deadline });
      }
    }
    for (const sent of this.#inFlight.values()) deliver(listener, sent);
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  idle(): Promise<void> {
    return this.#queue.then(() => undefined);
  }

  advance(ms: number): Promise<void> {
    if (!Number.isSafeInteger(ms) || ms < 0) {
      return Promise.reject(new RangeError(`advance takes whole virtual milliseconds, got ${ms}`));
    }
    return this.#exclusive(() => this.#cluster.runFor(ms));
  }

  async close(): Promise<void> {
    if (this.#closed) return this.idle();
    this.#closed = true;
    this.#listeners.clear(); // nothing more is heard, even from the slice still running
    this.#cancelFrame?.();
    this.#cancelFrame = null;
    await this.idle();
    for (const view of this.#views.values()) view.stopFeed();
    this.#views.clear();
    this.#stopNetwork();
    this.#cluster.stopAll();
  }

  // --- events ---

  #emit(event: InspectEvent): void {
    for (const listener of this.#listeners) deliver(listener, event);
  }

  /**
   * A new node incarnation, about to start: its feed is held back until its first step
   * (the chart's initial state), which becomes its `nodeUp`, so nothing of it comes first.
   */
  #watch(node: RaftNode<unknown, unknown>): void {
    const id = node.id;
    let held: InspectEvent[] | null = [];
    const view: NodeView = { summary: null, stopFeed: () => {} };
    view.stopFeed = feedFromNode(
      node,
      (event) => {
        if (event.type === 'step') view.summary = event.summary;
        if (held === null) return this.#emit(event);
        if (event.type !== 'step') return void held.push(event);
        const waiting = held;
        held = null;
        this.#emit({ type: 'nodeUp', at: event.at, node: id, summary: event.summary });
        for (const early of waiting) this.#emit(early);
        if (event.event !== 'xstate.init') this.#emit(event);
      },
      { now: () => this.#cluster.clock.now(), messages: false },
    );
    this.#views.get(id)?.stopFeed();
    this.#views.set(id, view);
  }

  #watchNetwork(): () => void {
    const { network } = this.#cluster;
    const onSent = ({ id, at, message, deliverAt }: NetworkSent) => {
      const event: InspectEvent = {
        type: 'message',
        at,
        id: String(id),
        phase: 'sent',
        message,
        ...(deliverAt === null ? {} : { deliverAt }),
      };
      if (deliverAt !== null) this.#inFlight.set(id, event);
      this.#emit(event);
    };
    const onDelivered = ({ id, at, message }: NetworkDelivered) => {
      this.#inFlight.delete(id);
      this.#emit({ type: 'message', at, id: String(id), phase: 'delivered', message });
    };
    const onDropped = ({ id, at, message, reason }: NetworkDropped) => {
      this.#inFlight.delete(id);
      this.#emit({ type: 'message', at, id: String(id), phase: 'dropped', message, reason });
    };
    network.on('sent', onSent).on('delivered', onDelivered).on('dropped', onDropped);
    return () => void network.off('sent', onSent).off('delivered', onDelivered).off('dropped', onDropped);
  }

  #nodeDown(id: NodeId, reason: string): void {
    this.#views.get(id)?.stopFeed();
    this.#views.delete(id);
    this.#downReasons.set(id, reason);
    this.#emit({ type: 'nodeDown', at: this.#cluster.clock.now(), node: id, reason });
  }

  #fault(description: string): void {
    this.#emit({ type: 'fault', at: this.#cluster.clock.now(), description });
  }

  // --- the one queue of work on the cluster ---

  /** Runs `work` after everything queued before it; refused once closed or failed. */
  #exclusive<T>(work: () => T | Promise<T>): Promise<T> {
    const result = this.#queue.then(async () => {
      if (this.#failure !== null) throw new SimulationClosedError(this.#failure);
      if (this.#closed) throw new SimulationClosedError(null);
      try {
        return await work();
      } catch (error) {
        if (error instanceof SimulationFailure) this.#fail(error);
        throw error;
      }
    });
    this.#queue = result.catch(() => {});
    return result;
  }

  #fail(failure: SimulationFailure): void {
    if (this.#failure !== null) return;
    this.#failure = failure;
    this.#cancelFrame?.();
    this.#cancelFrame = null;
    this.#fault(`simulation failed: ${failure.message}`);
  }

  #requestFrame(): void {
    if (this.#closed || this.#paused || this.#failure !== null || this.#cancelFrame !== null) return;
    this.#cancelFrame = this.#frame(() => {
      this.#cancelFrame = null;
      if (this.#paused || this.#closed) return;
      this.#exclusive(async () => {
        const slice = this.#paused ? 0 : this.#pacer.take();
        if (slice > 0) await this.#cluster.runFor(slice);
      }).then(
        () => this.#requestFrame(),
        () => {}, // a failure was reported as a fault; a close needs no more frames
      );
    });
  }

  // --- controls ---

  #makeControls(): ClusterControls {
    const cluster = this.#cluster;
    const control = <T>(work: () => T | Promise<T>): Promise<T> => this.#exclusive(work);
    const live = (id: NodeId): RaftNode => {
      const node = cluster.node(id);
      if (node === null) throw new NodeStoppedError(id);
      return node;
    };
    return {
      crash: (id) =>
        control(() => {
          if (cluster.node(id) === null) return; // already down
          this.#fault(`crash ${id}`);
          cluster.crash(id);
          this.#nodeDown(id, 'crashed');
        }),
      restart: (id) =>
        control(async () => {
          cluster.node(id); // an unknown id throws before anything happens
          this.#fault(`restart ${id}`);
          if (cluster.node(id) !== null) {
            cluster.crash(id);
            this.#nodeDown(id, 'restarted');
          }
          await cluster.start(id);
          cluster.connect(id);
        }),
      timeoutNow: (id) =>
        control(async () => {
          live(id);
          if (!cluster.timeoutNow(id)) {
            throw new RaftError(
              `node ${id} has no election timer pending (a leader only sends heartbeats): ` +
                'crash or disconnect it to make the others elect another',
            );
          }
          this.#fault(`time out ${id} now`);
          // Fire it at once (it is due now), even while paused: the node is a candidate.
          await cluster.runFor(0);
        }),
      alignTimers: (ids) =>
        control(() => {
          const moved = cluster.alignElectionTimers(ids);
          this.#fault(`align election timers: ${describeIds(moved)}`);
        }),
      spreadTimers: (ids) =>
        control(() => {
          const moved = cluster.spreadElectionTimers(ids);
          this.#fault(`spread election timers: ${describeIds(moved)}`);
        }),
      propose: (command) =>
        control(() => {
          const leader = this.#leader();
          if (leader === null) throw new NoLeaderError();
          const submission = leader.submit(command);
          if (!submission.isLeader) throw new NotLeaderError(leader.id, submission.leaderId);
          this.#fault(`propose ${JSON.stringify(command)} to ${leader.id}: index ${submission.index}`);
          return { node: leader.id, index: submission.index };
        }),
      disconnect: (id) =>
        control(() => {
          cluster.disconnect(id);
          this.#fault(`disconnect ${id}`);
        }),
      reconnect: (id) =>
        control(() => {
          live(id);
          cluster.connect(id);
          this.#fault(`reconnect ${id}`);
        }),
      setLink: (from, to, up) =>
        control(() => {
          cluster.setLink(from, to, up);
          this.#fault(`${up ? 'restore' : 'cut'} link ${from} -> ${to}`);
        }),
      partition: (groups) =>
        control(() => {
          cluster.partition(groups);
          this.#fault(`partition ${groups.map((group) => group.join(' ')).join(' | ')}`);
        }),
      heal: () =>
        control(() => {
          cluster.heal();
          this.#fault('heal: every link up');
        }),
      setUnreliable: (unreliable) =>
        control(() => {
          cluster.network.setReliable(!unreliable);
          this.#fault(unreliable ? 'network unreliable' : 'network reliable');
        }),
      setLongReordering: (longReordering) =>
        control(() => {
          cluster.network.setLongReordering(longReordering);
          this.#fault(longReordering ? 'long reordering on' : 'long reordering off');
        }),
    };
  }

  /** The leader of the highest term among connected nodes (a deposed one may not know yet). */
  #leader(): RaftNode | null {
    let best: { node: RaftNode; term: number } | null = null;
    for (const id of this.ids) {
      const node = this.#cluster.node(id);
      if (node === null || !this.#cluster.isConnected(id)) continue;
      const { role, term } = node.status();
      if (role === 'leader' && (best === null || term > best.term)) best = { node, term };
    }
    return best?.node ?? null;
  }

  #makeTimeControls(): TimeControls {
    const pause = () => {
      this.#paused = true;
      this.#cancelFrame?.();
      this.#cancelFrame = null;
    };
    // Getters of an object literal have that object as `this`: they read the source through these.
    const paused = () => this.#paused;
    const speed = () => this.#pacer.speed;
    return {
      pause,
      resume: () => {
        if (!this.#paused) return;
        this.#paused = false;
        this.#pacer.restart();
        this.#requestFrame();
      },
      get paused() {
        return paused();
      },
      stepOne: async () => {
        pause();
        await this.#exclusive(() => this.#cluster.step());
      },
      setSpeed: (value) => {
        this.#pacer.speed = value;
      },
      get speed() {
        return speed();
      },
      now: () => this.#cluster.clock.now(),
    };
  }
}

function describeIds(ids: readonly NodeId[]): string {
  return ids.length === 0 ? 'none pending' : ids.join(', ');
}

/**
 * Hands `event` to a subscriber. A subscriber that throws must not break the simulation
 * (its callbacks run inside the cluster's), so its error is rethrown on its own, uncaught.
 */
function deliver(listener: InspectListener, event: InspectEvent): void {
  try {
    listener(event);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
