/**
 * A verdict for every simulated run: past its budget of virtual or wall-clock time a run
 * fails with its seed, the virtual time and the last events, instead of going on for
 * minutes (a livelock, a retry loop that never ends) or hanging.
 */
import type { NodeId } from '../../machines/index.js';
import { ConfigError } from '../errors.js';
import type { SimClock } from './sim-clock.js';

export interface RunBudget {
  /** Virtual time the run may reach, in ms since it began; Infinity for none. */
  readonly virtualMs?: number;
  /** Wall-clock time the run may take, in ms since the cluster was made; Infinity for none. */
  readonly wallMs?: number;
  /**
   * Timers that may fire at one virtual instant, time standing still: more is a livelock of
   * zero-delay events (two nodes answering each other at once, forever). Deterministic,
   * unlike the wall-clock limit, and reached in well under a second.
   */
  readonly timersPerInstant?: number;
}

/**
 * Generous for a test: the course's longest runs take two virtual minutes, and vitest's
 * per-test limit is 120 s of wall time, which this fails before, with the seed.
 */
export const DEFAULT_RUN_BUDGET: Required<RunBudget> = {
  virtualMs: 30 * 60_000,
  wallMs: 100_000,
  timersPerInstant: 50_000,
};

/** How many of the latest node events a budget failure quotes. */
const LAST_EVENTS = 12;
/** Reading the wall clock at every timer would cost more than the check is worth. */
const WALL_CHECK_EVERY = 256;

export class RunBudgetExceeded extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunBudgetExceeded';
  }
}

export class RunBudgetGuard {
  readonly #clock: SimClock;
  readonly #virtualMs: number;
  readonly #wallDeadline: number;
  readonly #last: string[] = [];
  #next = 0;
  #timers = 0;
  #instant = -1;
  #atInstant = 0;

  constructor(clock: SimClock, budget: RunBudget = {}) {
    const { virtualMs, wallMs, timersPerInstant } = { ...DEFAULT_RUN_BUDGET, ...budget };
    for (const [name, value] of Object.entries({ virtualMs, wallMs, timersPerInstant })) {
      if (!(value > 0)) throw new ConfigError(`budget.${name} must be positive (or Infinity), got ${value}`);
    }
    this.#clock = clock;
    this.#virtualMs = virtualMs;
    this.#wallDeadline = Date.now() + wallMs;
    clock.guard((due) => this.#check(due, virtualMs, wallMs, timersPerInstant));
  }

  /** Node `id` handled `event` now: kept among the last events a failure quotes. */
  record(id: NodeId, event: { readonly type: string }): void {
    const from = 'from' in event ? ` from ${String(event.from)}` : '';
    const term = 'term' in event ? ` (term ${String(event.term)})` : '';
    this.#last[this.#next] = `t=${this.#clock.now()}ms ${id}: ${event.type}${from}${term}`;
    this.#next = (this.#next + 1) % LAST_EVENTS;
  }

  #check(due: number, virtualMs: number, wallMs: number, timersPerInstant: number): void {
    if (due > this.#virtualMs) this.#exceeded(`${virtualMs} ms of virtual time`);
    if (due !== this.#instant) {
      this.#instant = due;
      this.#atInstant = 0;
    } else if (++this.#atInstant > timersPerInstant) {
      this.#exceeded(`${timersPerInstant} timers at one instant (t=${due}ms, time standing still)`);
    }
    if (++this.#timers % WALL_CHECK_EVERY === 0 && Date.now() > this.#wallDeadline)
      this.#exceeded(`${wallMs} ms of wall-clock time`);
  }

  #exceeded(what: string): never {
    const last = [...this.#last.slice(this.#next), ...this.#last.slice(0, this.#next)];
    throw new RunBudgetExceeded(
      `the run went past its budget of ${what} without a verdict (a livelock, or a wait that ` +
        `never ends?); the last events:\n  ${last.join('\n  ') || '(none)'}`,
    );
  }
}
