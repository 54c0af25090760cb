/**
 * What the visualizer's cluster view is drawn from and acts on: a simulated cluster in the
 * page, real nodes' inspection feeds, or a recording. The view knows nothing else, so every
 * source shows the same way. Browser-safe.
 */
import type { NodeId } from '../../machines/index.js';
import type { InspectListener } from './inspect-event.js';

export type SourceKind = 'simulation' | 'live' | 'recording';

/**
 * Acting on the cluster. A source implements what it can (a recording nothing but time; a
 * live cluster what its nodes and supervisor allow); the view offers only those.
 */
export interface ClusterControls {
  crash(id: NodeId): Promise<void>;
  restart(id: NodeId): Promise<void>;
  /** Fire the node's pending election timer now (the real `after` timer, not a new event). */
  timeoutNow(id: NodeId): Promise<void>;
  /** Election timers of the nodes given (default all) due at the same moment: provokes a split vote. */
  alignTimers(ids?: readonly NodeId[]): Promise<void>;
  /** Election timers spread far apart: one node times out well before the others. */
  spreadTimers(ids?: readonly NodeId[]): Promise<void>;
  /** Propose to whichever node leads; resolves with where it went, or rejects with why not. */
  propose(command: unknown): Promise<{ readonly node: NodeId; readonly index: number }>;
  disconnect(id: NodeId): Promise<void>;
  reconnect(id: NodeId): Promise<void>;
  /** One direction of one link: messages from `from` to `to` pass or not. */
  setLink(from: NodeId, to: NodeId, up: boolean): Promise<void>;
  /** Two groups that cannot talk to each other; every link inside a group up. */
  partition(groups: readonly (readonly NodeId[])[]): Promise<void>;
  /** Every node connected, every link up. */
  heal(): Promise<void>;
  setUnreliable(unreliable: boolean): Promise<void>;
  setLongReordering(longReordering: boolean): Promise<void>;
}

/** Time, for sources whose clock the page drives (a simulation, a recording). */
export interface TimeControls {
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  /** Runs until the next event (one timer or message delivery), then pauses. */
  stepOne(): Promise<void>;
  /** Virtual ms per real ms; 1 is real time. */
  setSpeed(speed: number): void;
  readonly speed: number;
  /** The source's clock now, in ms. */
  now(): number;
}

export interface ClusterSource {
  readonly kind: SourceKind;
  /** Shown on the page: the seed of a simulation, the URLs of a live cluster, a file name. */
  readonly label: string;
  readonly ids: readonly NodeId[];
  /**
   * Every event from now on; a new subscriber first gets, synchronously, the events that
   * bring it up to date (each node's `nodeUp` or `nodeDown` and its pending timers).
   * Returns the unsubscribe function.
   */
  subscribe(listener: InspectListener): () => void;
  readonly controls: Partial<ClusterControls>;
  readonly time: TimeControls | null;
  /** Stops the source: timers, sockets and nodes it owns. */
  close(): Promise<void>;
}
