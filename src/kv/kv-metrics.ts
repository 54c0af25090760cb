/**
 * A node's Prometheus metrics (`GET /metrics`), through prom-client, in a registry of the
 * node's own (never prom-client's global one, so two nodes in one process do not mix).
 * Everything that has a value at any moment (role, term, indexes, the transport's counters,
 * the store's size) is read when scraped, by collect callbacks; what happens per request or
 * per message costs one counter increment or one histogram observation. Names and meanings:
 * docs/kv.md#metrics.
 */
import type { Role } from '../../machines/index.js';
import { ROLES } from '../../machines/index.js';
import type { NodeId } from '../../machines/index.js';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { NodeStatus } from '../node/node-host.js';
import type { PeerTraffic, TransportStats } from '../transport/stats.js';

/** What the metrics read when scraped. */
export interface MetricsSources {
  /** The node's status now; may throw (not started, stopped): the node's gauges are then left out. */
  status(): Pick<NodeStatus, 'role' | 'term' | 'commitIndex' | 'appliedIndex' | 'lastLogIndex' | 'failure'>;
  /** The transport's counters (`WsTransport.stats()`). */
  transport(): TransportStats;
  /** The store's size now. */
  kvSize(): { readonly keys: number; readonly bytes: number; readonly sessions: number };
}

/** A write: what was proposed (reads through the log count as reads). */
export type ProposalOp = 'put' | 'append' | 'delete' | 'cas';
export type ReadConsistency = 'linearizable' | 'log' | 'serializable';

/**
 * How a request ended. `applied`/`found`/`not_found`: served; the rest are refusals, named
 * for the typed error behind them.
 */
export type Outcome =
  | 'applied'
  | 'found'
  | 'not_found'
  | 'stale'
  | 'not_leader'
  | 'no_leader'
  | 'timeout'
  | 'too_large'
  | 'invalid'
  | 'failed'
  | 'stopped';

const PREFIX = 'raftchart_';

/** From a fast commit on one machine (a fraction of a millisecond) to the 5 s proposal timeout. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];
/** An NVMe fsync takes tens of microseconds, a spinning disk or a busy VM's tens of milliseconds. */
const FSYNC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** The transport's counters, as `raftchart_transport_frames_total{event}`. */
const FRAME_EVENTS = ['sent', 'received', 'dropped', 'rejected', 'blocked'] as const;

export class KvMetrics {
  readonly registry = new Registry();
  readonly #proposals: Counter<'op' | 'outcome'>;
  readonly #commitLatency: Histogram;
  readonly #reads: Counter<'consistency' | 'outcome'>;
  readonly #readLatency: Histogram<'consistency'>;
  readonly #fsync: Histogram;
  readonly #snapshots: Counter<'kind'>;

  /** `peers`: every peer, so each has its series (at 0) before any traffic. */
  constructor(sources: MetricsSources, peers: readonly NodeId[]) {
    const registers = [this.registry];
    const status = () => {
      try {
        return sources.status();
      } catch {
        return null; // not started yet, or stopped: nothing to say
      }
    };
    new Gauge({
      name: `${PREFIX}role`,
      help: "1 for the node's current role (follower, candidate, leader), 0 for the others",
      labelNames: ['role'],
      registers,
      collect() {
        this.reset();
        const now = status();
        if (now === null) return;
        for (const role of ROLES as readonly Role[]) this.set({ role }, role === now.role ? 1 : 0);
      },
    });
    const statusGauge = (
      name: string,
      help: string,
      read: (s: NonNullable<ReturnType<typeof status>>) => number,
    ) =>
      new Gauge({
        name: `${PREFIX}${name}`,
        help,
        registers,
        collect() {
          this.reset();
          const now = status();
          if (now !== null) this.set(read(now));
        },
      });
    statusGauge('term', 'the current term', (s) => s.term);
    statusGauge('commit_index', 'the highest log index known committed', (s) => s.commitIndex);
    statusGauge(
      'applied_index',
      'the highest log index handed to the key/value store',
      (s) => s.appliedIndex,
    );
    statusGauge('last_log_index', "the index of the last entry in this node's log", (s) => s.lastLogIndex);
    statusGauge('failed', '1 once the node failed (its storage, actor or store threw) and is exiting', (s) =>
      s.failure === null ? 0 : 1,
    );

    this.#proposals = new Counter({
      name: `${PREFIX}proposals_total`,
      help: 'writes proposed to the log, by op and outcome (reads with consistency=log count as reads)',
      labelNames: ['op', 'outcome'],
      registers,
    });
    this.#commitLatency = new Histogram({
      name: `${PREFIX}commit_latency_seconds`,
      help: 'from proposing a write to its being applied on this node, for writes applied',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#reads = new Counter({
      name: `${PREFIX}reads_total`,
      help: 'GET /kv requests, by consistency and outcome',
      labelNames: ['consistency', 'outcome'],
      registers,
    });
    this.#readLatency = new Histogram({
      name: `${PREFIX}read_latency_seconds`,
      help: 'from receiving a GET /kv request to having its answer, for reads served',
      labelNames: ['consistency'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#fsync = new Histogram({
      name: `${PREFIX}fsync_seconds`,
      help: "how long each fsync of the write-ahead log took (one per batch of the node's writes)",
      buckets: FSYNC_BUCKETS,
      registers,
    });
    this.#snapshots = new Counter({
      name: `${PREFIX}snapshots_total`,
      help: 'snapshots of the store taken here, or installed from the leader',
      labelNames: ['kind'],
      registers,
    });
    for (const kind of ['taken', 'installed']) this.#snapshots.inc({ kind }, 0);

    new Counter({
      name: `${PREFIX}transport_frames_total`,
      help: "the transport's frames: sent, received, dropped (queue full, unsendable), rejected (invalid), blocked",
      labelNames: ['event'],
      registers,
      collect() {
        this.reset();
        const stats = sources.transport();
        for (const event of FRAME_EVENTS) this.inc({ event }, stats[event]);
      },
    });
    new Counter({
      name: `${PREFIX}transport_refused_connections_total`,
      help: 'peer connections refused: failed or timed-out handshakes, or too many unauthenticated at once',
      registers,
      collect() {
        this.reset();
        this.inc(sources.transport().refusedConnections);
      },
    });
    new Gauge({
      name: `${PREFIX}transport_queued_frames`,
      help: "frames waiting in the transport's outbound queues",
      registers,
      collect() {
        this.set(sources.transport().queued);
      },
    });
    // Per peer, from the transport's own counters when scraped: nothing per message here.
    const perPeer = (name: string, help: string, read: (traffic: PeerTraffic) => number) =>
      new Counter({
        name: `${PREFIX}${name}`,
        help,
        labelNames: ['peer'],
        registers,
        collect() {
          this.reset();
          const traffic = sources.transport().peers;
          for (const peer of new Set([...peers, ...Object.keys(traffic)])) {
            this.inc({ peer }, Object.hasOwn(traffic, peer) ? read(traffic[peer]!) : 0);
          }
        },
      });
    perPeer(
      'messages_sent_total',
      'Raft messages (frames) handed to the socket, per peer',
      (t) => t.sentFrames,
    );
    perPeer('bytes_sent_total', 'bytes of the frames handed to the socket, per peer', (t) => t.sentBytes);
    perPeer(
      'messages_received_total',
      'Raft messages (frames) from the peer delivered to the node',
      (t) => t.receivedFrames,
    );
    perPeer(
      'bytes_received_total',
      'bytes of the frames from the peer delivered to the node',
      (t) => t.receivedBytes,
    );

    const kvGauge = (
      name: string,
      help: string,
      read: (size: ReturnType<MetricsSources['kvSize']>) => number,
    ) =>
      new Gauge({
        name: `${PREFIX}${name}`,
        help,
        registers,
        collect() {
          this.set(read(sources.kvSize()));
        },
      });
    kvGauge('kv_keys', 'keys held by the store', (size) => size.keys);
    kvGauge('kv_bytes', 'UTF-8 bytes of every key and value held', (size) => size.bytes);
    kvGauge('kv_sessions', 'clients in the session table', (size) => size.sessions);
  }

  /** A proposal ended; `seconds` from proposing to applied, for one that was applied. */
  proposal(op: ProposalOp, outcome: Outcome, seconds?: number): void {
    this.#proposals.inc({ op, outcome });
    if (seconds !== undefined) this.#commitLatency.observe(seconds);
  }

  /** A GET ended; `seconds` to its answer, for one served (found or not). */
  read(consistency: ReadConsistency, outcome: Outcome, seconds?: number): void {
    this.#reads.inc({ consistency, outcome });
    if (seconds !== undefined) this.#readLatency.observe({ consistency }, seconds);
  }

  fsync(seconds: number): void {
    this.#fsync.observe(seconds);
  }

  snapshot(kind: 'taken' | 'installed'): void {
    this.#snapshots.inc({ kind });
  }

  /** The Prometheus text exposition of every metric, read now. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
