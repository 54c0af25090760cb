/**
 * The fault test's nemesis: from a seeded stream it kills nodes with SIGKILL and restarts
 * them (on their data directories; now and then every node at once), pauses them with SIGSTOP and resumes them with SIGCONT,
 * and cuts links through the nodes' `POST /control/block` (docs/node.md): symmetric
 * partitions, a node that cannot send or cannot hear, random one-way links. It keeps what
 * it did, so `healAll` undoes everything and `release` can SIGCONT every paused process
 * before the cluster is destroyed, whatever happened.
 *
 * A cut is set at both ends of each link (the sender drops outbound, the receiver inbound),
 * so it holds while one end is paused or restarting (a restarted node starts with nothing
 * blocked; it is given its blocks again once it answers).
 */
import type { SeededRandom } from '../../src/sim/seeded-random.js';
import type { ProcessCluster } from './process-cluster.js';
import { sleep } from './process-cluster.js';

export type FaultKind =
  | 'kill'
  | 'kill-all'
  | 'restart'
  | 'pause'
  | 'resume'
  | 'partition'
  | 'isolate-outbound'
  | 'isolate-inbound'
  | 'one-way-links'
  | 'heal';

interface Blocks {
  readonly outbound: Set<string>;
  readonly inbound: Set<string>;
}

export interface NemesisOptions {
  /** At most this many nodes killed or paused at once (2 of 5: a majority stays up, unless cut). */
  readonly maxImpaired: number;
  /** Pause between faults: uniformly in [min, max] ms. */
  readonly minGapMs: number;
  readonly maxGapMs: number;
}

const KILL_ALL_EVERY_MS = 20_000;

export class Nemesis {
  readonly #cluster: ProcessCluster;
  readonly #random: SeededRandom;
  readonly #options: NemesisOptions;
  readonly #started = performance.now();
  readonly #down = new Set<string>();
  readonly #paused = new Set<string>();
  readonly #blocks = new Map<string, Blocks>();
  /** Blocks being given again to restarted nodes, in the background. */
  readonly #pending = new Set<Promise<void>>();
  /** When the last kill-all was (it comes at most once every KILL_ALL_EVERY_MS). */
  #killedAllAt = -Infinity;
  readonly counts: Record<FaultKind, number> = {
    kill: 0,
    'kill-all': 0,
    restart: 0,
    pause: 0,
    resume: 0,
    partition: 0,
    'isolate-outbound': 0,
    'isolate-inbound': 0,
    'one-way-links': 0,
    heal: 0,
  };
  /** What it did and when (ms since it was made), for the report and for replaying by seed. */
  readonly timeline: string[] = [];

  constructor(cluster: ProcessCluster, random: SeededRandom, options: NemesisOptions) {
    this.#cluster = cluster;
    this.#random = random;
    this.#options = options;
    for (const id of cluster.ids) this.#blocks.set(id, { outbound: new Set(), inbound: new Set() });
  }

  /** Faults injected so far (heals and restarts not counted). */
  get injected(): number {
    const { restart: _restart, resume: _resume, heal: _heal, ...faults } = this.counts;
    return Object.values(faults).reduce((sum, n) => sum + n, 0);
  }

  /** Injects faults, one every gap, until `durationMs` have passed. */
  async run(durationMs: number): Promise<void> {
    const end = performance.now() + durationMs;
    for (;;) {
      const { minGapMs, maxGapMs } = this.#options;
      const gap = minGapMs + this.#random.int(maxGapMs - minGapMs);
      if (performance.now() + gap >= end) break;
      await sleep(gap);
      await this.#step(end - performance.now());
    }
    await sleep(Math.max(0, end - performance.now()));
  }

  /** Resumes every paused node, restarts every killed one and heals every link. */
  async healAll(): Promise<void> {
    for (const id of [...this.#paused]) await this.#resume(id);
    for (const id of [...this.#down]) this.#restart(id);
    for (const blocks of this.#blocks.values()) {
      blocks.outbound.clear();
      blocks.inbound.clear();
    }
    this.#note('heal everything');
    await Promise.allSettled([...this.#pending]);
    // A node restarted just now may not answer yet: push until every one has nothing blocked.
    await Promise.all(this.#cluster.ids.map((id) => this.#pushUntilTaken(id, 30_000)));
  }

  /** SIGCONT for every paused process, so that it can be killed and exit (for afterAll). */
  async release(): Promise<void> {
    for (const id of [...this.#paused]) {
      await this.#cluster.signal(id, 'SIGCONT');
      this.#paused.delete(id);
    }
  }

  /** One fault, or one undone; `remainingMs`: how long the run has left. */
  async #step(remainingMs: number): Promise<void> {
    const ids = this.#cluster.ids;
    const up = ids.filter((id) => !this.#down.has(id) && !this.#paused.has(id));
    const impaired = this.#down.size + this.#paused.size;
    const cut = [...this.#blocks.values()].some((b) => b.outbound.size + b.inbound.size > 0);
    // Undoing weighs more than doing: about one or two faults at a time, so that a majority
    // is up for much of the run (faults piling up left a soak without one for 40 s).
    const choices: [FaultKind, number][] = [];
    if (this.#down.size > 0) choices.push(['restart', 6]);
    if (this.#paused.size > 0) choices.push(['resume', 6]);
    if (cut) choices.push(['heal', 6]);
    if (impaired < this.#options.maxImpaired && up.length > 0) choices.push(['kill', 2], ['pause', 2]);
    if (!cut) {
      choices.push(['partition', 2], ['isolate-outbound', 1], ['isolate-inbound', 1], ['one-way-links', 1]);
    }
    // Every process at once, then all restarted: what was acknowledged was on a majority's
    // disks. Not near the end: five processes starting on a busy machine take seconds.
    if (
      impaired === 0 &&
      !cut &&
      remainingMs > 8_000 &&
      performance.now() - this.#killedAllAt > KILL_ALL_EVERY_MS
    ) {
      choices.push(['kill-all', 1]);
    }
    const kind = this.#weighted(choices);
    this.counts[kind]++;
    switch (kind) {
      case 'kill': {
        const id = await this.#target(up);
        await this.#cluster.signal(id, 'SIGKILL');
        this.#down.add(id);
        this.#note(`kill -9 ${id}`);
        return;
      }
      case 'kill-all': {
        await Promise.all(ids.map((id) => this.#cluster.signal(id, 'SIGKILL')));
        for (const id of ids) this.#down.add(id);
        this.#killedAllAt = performance.now();
        this.#note('kill -9 every node');
        for (const id of ids) this.#restart(id);
        return;
      }
      case 'restart':
        return this.#restart(this.#random.pick([...this.#down]));
      case 'pause': {
        const id = await this.#target(up);
        await this.#cluster.signal(id, 'SIGSTOP');
        this.#paused.add(id);
        this.#note(`SIGSTOP ${id}`);
        return;
      }
      case 'resume':
        return this.#resume(this.#random.pick([...this.#paused]));
      case 'partition': {
        const shuffled = this.#shuffle(ids);
        const size = 1 + this.#random.int(1); // 1|4 or 2|3
        const side = shuffled.slice(0, size);
        const rest = shuffled.slice(size);
        for (const a of side) for (const b of rest) this.#cutBothWays(a, b);
        this.#note(`partition ${side.join(',')} | ${rest.join(',')}`);
        break;
      }
      case 'isolate-outbound':
      case 'isolate-inbound': {
        // Often the leader: a leader that cannot send, or one that cannot hear its followers.
        const id = await this.#target(ids.filter((i) => !this.#down.has(i)));
        for (const other of ids) {
          if (other === id) continue;
          if (kind === 'isolate-outbound') this.#cutOneWay(id, other);
          else this.#cutOneWay(other, id);
        }
        this.#note(kind === 'isolate-outbound' ? `${id} cannot send` : `${id} cannot hear`);
        break;
      }
      case 'one-way-links': {
        const links: string[] = [];
        for (let count = 2 + this.#random.int(3); links.length < count;) {
          const [from, to] = this.#shuffle(ids);
          const link = `${from!}->${to!}`;
          if (links.includes(link)) continue;
          links.push(link);
          this.#cutOneWay(from!, to!);
        }
        this.#note(`cut ${links.join(' ')}`);
        break;
      }
      case 'heal':
        for (const blocks of this.#blocks.values()) {
          blocks.outbound.clear();
          blocks.inbound.clear();
        }
        this.#note('heal links');
        break;
    }
    await Promise.all(ids.map((id) => this.#push(id)));
  }

  /** The leader half of the time, if one of `candidates` leads; else any of them. */
  async #target(candidates: readonly string[]): Promise<string> {
    if (this.#random.chance(1, 2)) {
      const statuses = await Promise.all(candidates.map((id) => this.#cluster.status(id)));
      const leader = candidates.find((_, i) => statuses[i]?.role === 'leader');
      if (leader !== undefined) return leader;
    }
    return this.#random.pick(candidates);
  }

  #restart(id: string): void {
    this.#cluster.start(id);
    this.#down.delete(id);
    this.#note(`restart ${id}`);
    this.#track(this.#pushUntilTaken(id, 15_000));
  }

  async #resume(id: string): Promise<void> {
    await this.#cluster.signal(id, 'SIGCONT');
    this.#paused.delete(id);
    this.#note(`SIGCONT ${id}`);
    await this.#push(id);
  }

  #cutBothWays(a: string, b: string): void {
    this.#cutOneWay(a, b);
    this.#cutOneWay(b, a);
  }

  #cutOneWay(from: string, to: string): void {
    this.#blocks.get(from)!.outbound.add(to);
    this.#blocks.get(to)!.inbound.add(from);
  }

  /** Gives `id` its blocks, if it runs; false if it did not take them (down, paused, starting). */
  async #push(id: string): Promise<boolean> {
    if (this.#down.has(id) || this.#paused.has(id)) return false;
    const { outbound, inbound } = this.#blocks.get(id)!;
    try {
      const response = await fetch(`${this.#cluster.clientUrl(id)}/control/block`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ outbound: [...outbound], inbound: [...inbound] }),
        signal: AbortSignal.timeout(3_000),
      });
      await response.text();
      if (response.status !== 200) throw new Error(`/control/block on ${id} answered ${response.status}`);
      return true;
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('/control/block')) throw error;
      return false; // not listening yet, or just killed: it gets its blocks when it is back
    }
  }

  /** Pushes until `id` takes its blocks, or is down or paused again, or `timeoutMs` pass. */
  async #pushUntilTaken(id: string, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (this.#down.has(id) || this.#paused.has(id)) return;
      if (await this.#push(id)) return;
      await sleep(200);
    }
    throw new Error(
      `${id} did not take its link blocks within ${timeoutMs} ms:\n${this.#cluster.output(id).slice(-3000)}`,
    );
  }

  #track(work: Promise<void>): void {
    const settled = work.catch((error: unknown) => this.#note(`error: ${String(error)}`));
    this.#pending.add(settled);
    void settled.finally(() => this.#pending.delete(settled));
  }

  #weighted(choices: readonly [FaultKind, number][]): FaultKind {
    const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
    let draw = this.#random.int(total - 1);
    for (const [kind, weight] of choices) {
      if (draw < weight) return kind;
      draw -= weight;
    }
    throw new Error('unreachable: the draw is below the total weight');
  }

  #shuffle(items: readonly string[]): string[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.#random.int(i);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  }

  #note(what: string): void {
    this.timeline.push(`${((performance.now() - this.#started) / 1000).toFixed(2).padStart(7)} s  ${what}`);
  }
}
