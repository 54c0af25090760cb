/**
 * The inspection feed: what a node (simulated or real) tells an observer, one event at a
 * time, as plain JSON-safe data. The visualizer draws a cluster from these events alone,
 * whatever produced them: a SimCluster in the page, the feeds of real nodes over
 * WebSocket, or a recording. Browser-safe.
 */
import type { NodeId, RaftMessage, Role } from '../../machines/index.js';
import type { TimerKind } from '../node/timer-tap.js';

export type { TimerKind };

/** A node's state as the cluster view shows it, after a step. */
export interface NodeSummary {
  readonly role: Role;
  /** The chart's active leaf state, e.g. `follower.waiting` or `leader.heartbeating`. */
  readonly state: string;
  readonly term: number;
  readonly votedFor: NodeId | null;
  readonly leaderId: NodeId | null;
  readonly commitIndex: number;
  /** The highest index handed to the application. */
  readonly appliedIndex: number;
  readonly snapshotIndex: number;
  readonly snapshotTerm: number;
  readonly lastLogIndex: number;
  /**
   * The terms of the log's last entries (at most LOG_WINDOW, after the snapshot): entry
   * `logStart + i` has term `logTerms[i]`.
   */
  readonly logStart: number;
  readonly logTerms: readonly number[];
  /** A candidate's votes so far, itself included. */
  readonly votes: readonly NodeId[];
  /** Leader only: each follower's replication progress. */
  readonly progress: Readonly<Record<NodeId, PeerProgressSummary>>;
  /** The configuration in force on this node (its log's latest): who votes, who only replicates. */
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  /** Leader only: the node it is handing leadership to, while a transfer is under way. */
  readonly transferTo: NodeId | null;
}

export interface PeerProgressSummary {
  readonly nextIndex: number;
  readonly matchIndex: number;
  /** `probe`: finding where the logs agree; `replicate`: streaming entries. */
  readonly mode: string;
}

/** How many of a log's last entries a summary carries: the grid's width, and a bound on its cost. */
export const LOG_WINDOW = 256;

/** `at` is the source's clock in ms: virtual time for a simulation, wall time for real nodes. */
export type InspectEvent =
  /** A node started (or restarted from its storage), with its state on start. */
  | { readonly type: 'nodeUp'; readonly at: number; readonly node: NodeId; readonly summary: NodeSummary }
  /** A node stopped: crashed, killed or failed (`reason` says which). */
  | { readonly type: 'nodeDown'; readonly at: number; readonly node: NodeId; readonly reason: string }
  /**
   * The node's statechart processed an event (`event` is its type: a message type, a local
   * event, or `xstate.after.<delay>...` for a timer); `summary` is the state it left.
   * `transitions` are the transitions it took, in order, each as its line of the chart
   * outline (the diagram's `data-transition`): one, or more when it stepped down and handled
   * the event again, or moved on by an `always`; empty when the source cannot tell.
   */
  | {
      readonly type: 'step';
      readonly at: number;
      readonly node: NodeId;
      readonly event: string;
      readonly transitions: readonly string[];
      readonly summary: NodeSummary;
    }
  /** An `after` timer was set (deadline on the source's clock) or cancelled (deadline null). */
  | {
      readonly type: 'timer';
      readonly at: number;
      readonly node: NodeId;
      readonly timer: TimerKind;
      readonly deadline: number | null;
    }
  /**
   * A message on the network. `id` is unique per message within the source. `sent`: left
   * its sender, `deliverAt` the time it is due if known; `delivered`: reached its receiver;
   * `dropped`: lost (`reason`: unreliable network, link down, node down...).
   */
  | {
      readonly type: 'message';
      readonly at: number;
      readonly id: string;
      readonly phase: 'sent' | 'delivered' | 'dropped';
      readonly message: RaftMessage;
      readonly deliverAt?: number;
      readonly reason?: string;
    }
  /** Something done to the cluster from outside: a crash, a partition, a link cut or healed. */
  | { readonly type: 'fault'; readonly at: number; readonly description: string };

export type InspectListener = (event: InspectEvent) => void;
