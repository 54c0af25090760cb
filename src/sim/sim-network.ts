/**
 * A simulated network for message-passing nodes, modelled on an RPC simulator: a request
 * and its reply form one call, counted, dropped and delayed separately.
 *
 * - Each node incarnation talks through its own endpoint. A new incarnation gets a new
 *   endpoint whose links start disabled; an old endpoint never talks again.
 * - Unreliable mode: 0-26 ms of delay per request, 10% of requests lost (the handler never
 *   runs), 10% of replies lost (the handler ran).
 * - A reply is lost if, by the time it is sent, the caller's link to the server is disabled
 *   or the server was deleted or replaced (so a crashed server never acknowledges).
 * - Long reordering: 2/3 of replies arrive 200-2199 ms late, skewed toward the low end.
 * - Latency (off by default): every message that gets through also waits a delay drawn
 *   uniformly in [min, max] ms, so that messages are visibly in flight.
 * - Duplication (off by default): a message that gets through is, with the chance set, sent
 *   again as a copy arriving 0-100 ms after the original (a duplicated request is handled,
 *   and answered, twice).
 * - Counters: every request sent (total count and bytes, lost or not), requests dispatched
 *   per server incarnation, and the bytes of replies actually delivered.
 * - Events, for an observer drawing the network: each message `sent` (with the time it is
 *   due, if it is going to arrive), then `delivered` or `dropped` (with why), under one id.
 */
import type { NodeId, RaftMessage, RaftReply, RaftRequest } from '../../machines/index.js';
import { expectsReply, isRequest, stringifyJson } from '../../machines/index.js';
import type { Transport } from '../node/providers.js';
import type { SeededRandom } from './seeded-random.js';
import type { SimClock } from './sim-clock.js';
import { Emitter } from '../emitter.js';
import { utf8Bytes } from '../utf8-bytes.js';

/**
 * Why a message never reached its receiver:
 * - `lost`: the unreliable network lost the request (its handler never ran);
 * - `replyLost`: the unreliable network lost the reply (the handler ran);
 * - `linkDown`: the link from sender to receiver was cut when it was sent;
 * - `nodeDown`: the receiver was down (crashed, or restarted since the call) when it was sent
 *   or when it arrived;
 * - `stray`: a reply that answers no outstanding call (never, from a correct node).
 */
export type DropReason = 'lost' | 'replyLost' | 'linkDown' | 'nodeDown' | 'stray';

/** A message left its sender. `id` counts messages from 1; `deliverAt` is null if it will be dropped. */
export interface NetworkSent {
  readonly id: number;
  readonly at: number;
  readonly message: RaftMessage;
  readonly deliverAt: number | null;
}

/** A message reached its receiver (just before the receiver handles it). */
export interface NetworkDelivered {
  readonly id: number;
  readonly at: number;
  readonly message: RaftMessage;
}

export interface NetworkDropped {
  readonly id: number;
  readonly at: number;
  readonly message: RaftMessage;
  readonly reason: DropReason;
}

/** A message is `sent`, then `delivered` or `dropped`, under the same id, in virtual time order. */
export interface SimNetworkEvents {
  sent: [NetworkSent];
  delivered: [NetworkDelivered];
  dropped: [NetworkDropped];
}

/** Extra delay of every message that gets through, uniform in [minMs, maxMs]. */
export interface Latency {
  readonly minMs: number;
  readonly maxMs: number;
}

/** Serializes a message for the wire: the receiver gets a copy, and the length is counted. */
export interface WireCodec {
  encode(message: RaftMessage): string;
  decode(encoded: string): RaftMessage;
}

export const JSON_CODEC: WireCodec = {
  encode: (message) => stringifyJson(message),
  decode: (encoded) => JSON.parse(encoded) as RaftMessage,
};

interface Server {
  readonly endpoint: SimEndpoint;
  dispatched: number;
}

interface PendingCall {
  readonly caller: SimEndpoint;
  readonly server: Server;
}

export class SimEndpoint implements Transport {
  #deliver: ((message: RaftMessage) => void) | undefined;
  #closed = false;
  readonly #enabled = new Set<NodeId>();

  constructor(
    readonly network: SimNetwork,
    readonly id: NodeId,
  ) {}

  listen(deliver: (message: RaftMessage) => void): void {
    this.#deliver = deliver;
  }

  send(message: RaftMessage): void {
    if (this.#closed) return;
    this.network.route(this, message);
  }

  close(): void {
    this.#closed = true;
    this.#enabled.clear();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Whether this endpoint's link to `to` carries calls. */
  linkEnabled(to: NodeId): boolean {
    return this.#enabled.has(to);
  }

  setLink(to: NodeId, enabled: boolean): void {
    if (enabled && !this.#closed) this.#enabled.add(to);
    else this.#enabled.delete(to);
  }

  receive(message: RaftMessage): void {
    if (!this.#closed) this.#deliver?.(message);
  }
}

export class SimNetwork extends Emitter<SimNetworkEvents> {
  #reliable = true;
  #longReordering = false;
  #latency: Latency = { minMs: 0, maxMs: 0 };
  /** Chance, per million, that a message that gets through also arrives a second time. */
  #duplicationPpm = 0;
  #messages = 0;
  #totalCount = 0;
  #totalBytes = 0;
  #strayReplies = 0;
  readonly #endpoints = new Map<NodeId, SimEndpoint>();
  readonly #servers = new Map<NodeId, Server>();
  // Calls awaiting their reply, FIFO per (caller, server, rpcId): a node answers in order.
  readonly #pending = new Map<string, PendingCall[]>();

  constructor(
    readonly clock: SimClock,
    readonly random: SeededRandom,
    readonly codec: WireCodec = JSON_CODEC,
  ) {
    super();
  }

  /** A new endpoint for a node incarnation; the previous one for `id` is closed for good. */
  attach(id: NodeId): SimEndpoint {
    this.#endpoints.get(id)?.close();
    const endpoint = new SimEndpoint(this, id);
    this.#endpoints.set(id, endpoint);
    return endpoint;
  }

  /** Enables or disables the current incarnation of `from`'s link to `to`. */
  setLink(from: NodeId, to: NodeId, enabled: boolean): void {
    this.#endpoints.get(from)?.setLink(to, enabled);
  }

  /** Makes `endpoint` the server that requests addressed to its node reach. */
  addServer(endpoint: SimEndpoint): void {
    this.#servers.set(endpoint.id, { endpoint, dispatched: 0 });
  }

  /** Deletes the server for `id`: calls it has not answered will never be answered. */
  deleteServer(id: NodeId): void {
    const server = this.#servers.get(id);
    if (server === undefined) return;
    this.#servers.delete(id);
    for (const [key, queue] of this.#pending) {
      const live = queue.filter((call) => call.server !== server);
      if (live.length === 0) this.#pending.delete(key);
      else if (live.length !== queue.length) this.#pending.set(key, live);
    }
  }

  setReliable(reliable: boolean): void {
    this.#reliable = reliable;
  }

  setLongReordering(longReordering: boolean): void {
    this.#longReordering = longReordering;
  }

  /**
   * Every message that gets through waits `minMs`-`maxMs` more (one draw per message from
   * the network's stream when they differ); default 0-0, no draw. Integers, min <= max.
   */
  setLatency(latency: Latency): void {
    const { minMs, maxMs } = latency;
    if (!Number.isSafeInteger(minMs) || !Number.isSafeInteger(maxMs) || minMs < 0 || maxMs < minMs) {
      throw new RangeError(
        `latency must be whole milliseconds with 0 <= minMs <= maxMs, got ${minMs}-${maxMs}`,
      );
    }
    this.#latency = { minMs, maxMs };
  }

  get latency(): Latency {
    return this.#latency;
  }

  /**
   * Each message that gets through is, with chance `rate` (0 to 1; default 0, no draw),
   * delivered a second time, as a copy that follows the original 0-100 ms later: a
   * duplicated request runs its handler twice and gets two replies.
   */
  setDuplication(rate: number): void {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`duplication rate must be in [0, 1], got ${rate}`);
    this.#duplicationPpm = Math.round(rate * 1_000_000);
  }

  get duplication(): number {
    return this.#duplicationPpm / 1_000_000;
  }

  /** Every request sent, delivered or not. */
  get totalCount(): number {
    return this.#totalCount;
  }

  /** Bytes of every request sent plus every reply delivered. */
  get totalBytes(): number {
    return this.#totalBytes;
  }

  /** Requests dispatched to the current incarnation of `id`. */
  rpcCount(id: NodeId): number {
    return this.#servers.get(id)?.dispatched ?? 0;
  }

  /** Replies that matched no outstanding call (always 0 for a correct node). */
  get strayReplies(): number {
    return this.#strayReplies;
  }

  route(from: SimEndpoint, message: RaftMessage): void {
    if (message.from !== from.id) throw new Error(`endpoint ${from.id} cannot send as ${message.from}`);
    if (isRequest(message)) this.#call(from, message);
    else this.#reply(message);
  }

  #call(caller: SimEndpoint, request: RaftRequest): void {
    const id = ++this.#messages;
    const encoded = this.codec.encode(request);
    this.#totalCount++;
    this.#totalBytes += utf8Bytes(encoded);
    const server = this.#servers.get(request.to);
    // No reply, no effect.
    if (!caller.linkEnabled(request.to)) return this.#dropAtSend(id, request, 'linkDown');
    if (server === undefined) return this.#dropAtSend(id, request, 'nodeDown');
    const delay = this.#reliable ? 0 : this.random.int(26);
    const dropped = !this.#reliable && this.random.chance(100, 1000);
    if (dropped) return this.#dropAtSend(id, request, 'lost');
    const wait = delay + this.#drawLatency();
    this.#deliverAfter(id, request, encoded, server.endpoint, wait, () => {
      server.dispatched++;
      if (expectsReply(request)) {
        const key = callKey(request.from, request.to, request.rpcId);
        const queue = this.#pending.get(key);
        if (queue === undefined) this.#pending.set(key, [{ caller, server }]);
        else queue.push({ caller, server });
      }
    });
  }

  #reply(reply: RaftReply): void {
    const key = callKey(reply.to, reply.from, reply.inReplyTo);
    const queue = this.#pending.get(key);
    const call = queue?.shift();
    if (queue?.length === 0) this.#pending.delete(key);
    const id = ++this.#messages;
    if (call === undefined) {
      this.#strayReplies++;
      return this.#dropAtSend(id, reply, 'stray');
    }
    const serverGone = this.#servers.get(reply.from) !== call.server;
    if (serverGone) return this.#dropAtSend(id, reply, 'nodeDown');
    if (!call.caller.linkEnabled(reply.from)) return this.#dropAtSend(id, reply, 'linkDown');
    if (!this.#reliable && this.random.chance(100, 1000)) return this.#dropAtSend(id, reply, 'replyLost');
    const encoded = this.codec.encode(reply);
    let delay = 0;
    if (this.#longReordering && this.random.chance(600, 900)) {
      delay = 200 + this.random.int(this.random.int(1999));
    }
    const wait = delay + this.#drawLatency();
    this.#deliverAfter(id, reply, encoded, call.caller, wait, () => (this.#totalBytes += utf8Bytes(encoded)));
  }

  /**
   * Sends `message` (as `encoded`) to arrive at `receiver` after `wait` ms, `onArrival`
   * running just before; and, with the duplication chance, a copy under a new id 0-100 ms
   * after it (a copy counts as a message of its own, so `onArrival` runs for it too).
   */
  #deliverAfter(
    id: number,
    message: RaftMessage,
    encoded: string,
    receiver: SimEndpoint,
    wait: number,
    onArrival: () => void,
  ): void {
    const send = (copyId: number, after: number) => {
      this.emit('sent', { id: copyId, at: this.clock.now(), message, deliverAt: this.clock.now() + after });
      this.clock.setTimeout(() => {
        onArrival();
        this.#arrive(copyId, message, receiver, encoded);
      }, after);
    };
    send(id, wait);
    if (this.#duplicationPpm > 0 && this.random.chance(this.#duplicationPpm, 1_000_000)) {
      send(++this.#messages, wait + this.random.int(100));
    }
  }

  #drawLatency(): number {
    const { minMs, maxMs } = this.#latency;
    return maxMs === minMs ? minMs : minMs + this.random.int(maxMs - minMs);
  }

  /** A message that will not arrive: sent and dropped at once. */
  #dropAtSend(id: number, message: RaftMessage, reason: DropReason): void {
    const at = this.clock.now();
    this.emit('sent', { id, at, message, deliverAt: null });
    this.emit('dropped', { id, at, message, reason });
  }

  /** A message at its receiver's endpoint, which may have closed (crashed) while it flew. */
  #arrive(id: number, message: RaftMessage, to: SimEndpoint, encoded: string): void {
    const at = this.clock.now();
    if (to.closed) {
      this.emit('dropped', { id, at, message, reason: 'nodeDown' });
      return;
    }
    this.emit('delivered', { id, at, message });
    to.receive(this.codec.decode(encoded));
  }
}

function callKey(caller: NodeId, server: NodeId, rpcId: number): string {
  return `${caller}\u0000${server}\u0000${rpcId}`;
}
