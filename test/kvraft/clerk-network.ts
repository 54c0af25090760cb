/**
 * The clerks' side of the course's labrpc, on virtual time: a clerk holds one end per
 * server, each enabled or not; partitions never touch these ends (they cut only links
 * between servers). A call, as labrpc processes it:
 *
 * - end disabled, or its server down: no effect, and the call fails after 0-99 ms
 *   (longDelays stays off in the kvraft tester);
 * - unreliable: 0-26 ms of delay, then 10% of requests lost (the handler never runs);
 * - the handler runs; every 100 ms the caller checks whether the server died (its end was
 *   disabled, or the server crashed or was replaced), and if so stops waiting: the call
 *   fails, even if the handler later finishes;
 * - a server that died while handling never answers; unreliable: 10% of replies lost (the
 *   handler ran).
 *
 * Every message that gets through also takes RPC_LATENCY each way (kv-timing.ts). Every
 * draw comes from the stream given (seeded from the cluster's seed).
 */
import type { NodeId } from '../../machines/index.js';
import type { Latency } from '../../src/sim/sim-network.js';
import type { SeededRandom } from '../../src/sim/seeded-random.js';
import type { SimClock } from '../../src/sim/sim-clock.js';
import type { KvServer } from './kv-server.js';

/** A clerk's end to one server. */
export interface ClerkEnd {
  readonly server: NodeId;
  enabled: boolean;
}

/** How often a caller checks whether the server it waits on died (labrpc's 100 ms). */
const DEAD_POLL_MS = 100;

export class ClerkNetwork {
  #reliable = true;
  #calls = 0;

  constructor(
    readonly clock: SimClock,
    readonly random: SeededRandom,
    readonly latency: Latency,
    /** The live server `id`, or null while it is down. */
    readonly server: (id: NodeId) => KvServer | null,
  ) {}

  setReliable(reliable: boolean): void {
    this.#reliable = reliable;
  }

  /** Every call made, answered or not (the clerks' share of the course's GetTotalCount). */
  get totalCount(): number {
    return this.#calls;
  }

  /** Calls `handler` on the end's server; undefined is labrpc's `false` (no answer). */
  async call<R>(end: ClerkEnd, handler: (server: KvServer) => Promise<R>): Promise<R | undefined> {
    this.#calls++;
    const reliable = this.#reliable;
    const server = end.enabled ? this.server(end.server) : null;
    if (server === null) {
      await this.clock.sleep(this.random.int(99));
      return undefined;
    }
    await this.clock.sleep(this.#transit() + (reliable ? 0 : this.random.int(26)));
    if (!reliable && this.random.chance(100, 1000)) return undefined;
    const dead = () => !end.enabled || this.server(end.server) !== server;
    const reply = await this.#awaitUnlessDead(handler(server), dead);
    if (reply === undefined) return undefined;
    await this.clock.sleep(this.#transit());
    if (dead()) return undefined;
    if (!reliable && this.random.chance(100, 1000)) return undefined;
    return reply.value;
  }

  /** The handler's answer, or undefined if the server died first (checked every 100 ms). */
  async #awaitUnlessDead<R>(handled: Promise<R>, dead: () => boolean): Promise<{ value: R } | undefined> {
    let answer: { value: R } | undefined;
    let failure: { error: unknown } | undefined;
    let wake: () => void = () => {};
    void handled.then(
      (value) => {
        answer = { value };
        wake();
      },
      (error: unknown) => {
        failure = { error };
        wake();
      },
    );
    for (;;) {
      let timer: unknown;
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (answer !== undefined || failure !== undefined) resolve();
        else timer = this.clock.setTimeout(resolve, DEAD_POLL_MS);
      });
      if (timer !== undefined) this.clock.clearTimeout(timer);
      if (failure !== undefined) throw failure.error;
      if (answer !== undefined) return dead() ? undefined : answer;
      if (dead()) return undefined;
    }
  }

  #transit(): number {
    const { minMs, maxMs } = this.latency;
    return minMs + this.random.int(maxMs - minMs);
  }
}
