/**
 * Virtual time for a whole simulated cluster: actors' `after` timers, network delays and
 * the tests' own sleeps all live in one heap ordered by (due, sequence).
 *
 * Only the driver (`run`, or `step` for a single timer) advances time, one timer at a time:
 * it fires the earliest timer at its due time, lets every pending promise settle, and repeats. Nothing can advance the
 * clock from inside an actor's transition, because there is no synchronous advance at
 * all, and XState cancels a timer only when the transition that leaves its state commits.
 * (XState's own simulated clock jumps to the end of an increment first, which collapses
 * periodic timers; this clock does not.)
 */
import type { Clock } from '../node/providers.js';
import type { SimTimer } from './timer-heap.js';
import { TimerHeap } from './timer-heap.js';
import { settle } from './settle.js';

export class SimulationStalledError extends Error {
  constructor(now: number) {
    super(
      `the simulation stalled at t=${now}ms: the driven task is still waiting, but no timer is ` +
        'pending to wake it (a promise that nothing resolves?)',
    );
    this.name = 'SimulationStalledError';
  }
}

export class SimClock implements Clock {
  #now = 0;
  #seq = 0;
  #driving = false;
  #fired = 0;
  readonly #heap = new TimerHeap();
  readonly #byHandle = new Map<number, SimTimer>();
  #faulted = false;
  #fault: unknown = undefined;
  #guard: ((due: number) => void) | undefined;

  now(): number {
    return this.#now;
  }

  /** Timers fired so far: a measure of how much happened. */
  get firedTimers(): number {
    return this.#fired;
  }

  setTimeout(callback: () => void, ms: number): number {
    const timer: SimTimer = {
      due: this.#now + Math.max(0, ms),
      seq: ++this.#seq,
      callback,
      cancelled: false,
    };
    this.#heap.push(timer);
    this.#byHandle.set(timer.seq, timer);
    return timer.seq;
  }

  clearTimeout(handle: unknown): void {
    const timer = this.#byHandle.get(handle as number);
    if (timer === undefined) return;
    // Lazy deletion: the heap skips cancelled timers when they reach the top.
    timer.cancelled = true;
    this.#byHandle.delete(timer.seq);
  }

  /**
   * Moves a pending timer to fire at `dueAt` instead (never before now): a fault injector's
   * "time out now" or "align these timers". It keeps its handle and its creation order
   * among timers due at the same time. Returns false if `handle` is not pending.
   */
  reschedule(handle: unknown, dueAt: number): boolean {
    const timer = this.#byHandle.get(handle as number);
    if (timer === undefined) return false;
    // The old heap entry is skipped once cancelled (lazy deletion, as clearTimeout does).
    timer.cancelled = true;
    const moved: SimTimer = { ...timer, due: Math.max(this.#now, dueAt), cancelled: false };
    this.#heap.push(moved);
    this.#byHandle.set(moved.seq, moved);
    return true;
  }

  /** Due time of the earliest pending timer: when the next thing happens; undefined if none is. */
  nextDue(): number | undefined {
    for (let top = this.#heap.peek(); top !== undefined; top = this.#heap.peek()) {
      if (!top.cancelled) return top.due;
      this.#heap.pop();
    }
    return undefined;
  }

  /** A promise that resolves after `ms` of virtual time (only while `run` drives the clock). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /**
   * Makes the driver stop with `error` at its next step: for failures noticed in callbacks
   * (an actor's error, a broken invariant) that must end the run rather than be swallowed.
   */
  fail(error: unknown): void {
    if (this.#faulted) return;
    this.#faulted = true;
    this.#fault = error;
  }

  get fault(): unknown {
    return this.#fault;
  }

  /**
   * Sets a check run before each timer fires, with its due time: one that throws ends the
   * run with that error instead of firing (a run budget).
   */
  guard(check: (due: number) => void): void {
    this.#guard = check;
  }

  /**
   * Drives virtual time until `task` settles and returns its result. Async code in the
   * task (and in everything it starts) runs as it would in real time, only faster.
   */
  async run<T>(task: () => Promise<T>): Promise<T> {
    this.#takeDriver('run');
    try {
      let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
      task().then(
        (value) => (outcome = { ok: true, value }),
        (error: unknown) => (outcome = { ok: false, error }),
      );
      for (;;) {
        await settle();
        if (this.#faulted) throw this.#fault;
        if (outcome !== undefined) {
          if (outcome.ok) return outcome.value;
          throw outcome.error;
        }
        if (!this.#fireNext()) throw new SimulationStalledError(this.#now);
      }
    } finally {
      this.#driving = false;
    }
  }

  /**
   * Fires exactly one timer, the earliest (advancing time to its due time), with the promise
   * work before and after it settled, as `run` does between two timers: stepping one timer
   * at a time gives the same run as `runFor`. Returns false, firing nothing, if none is
   * pending. Refused while `run` drives the clock.
   */
  async step(): Promise<boolean> {
    this.#takeDriver('step');
    try {
      await settle();
      if (this.#faulted) throw this.#fault;
      const fired = this.#fireNext();
      await settle();
      if (this.#faulted) throw this.#fault;
      return fired;
    } finally {
      this.#driving = false;
    }
  }

  #takeDriver(what: string): void {
    if (this.#driving) {
      throw new Error(
        `SimClock.${what}: the clock is already being driven (by run or step); it cannot be nested`,
      );
    }
    this.#driving = true;
  }

  /** Lets `ms` of virtual time pass, firing every timer due in it, up to and including its end. */
  runFor(ms: number): Promise<void> {
    const end = this.#now + Math.max(0, ms);
    return this.run(async () => {
      await this.sleep(ms);
      // A timer created during the run and due exactly at `end` sorts after this sleep in
      // (due, sequence) order; a zero sleep queues behind it, until none is left.
      while ((this.nextDue() ?? Infinity) <= end) await this.sleep(0);
    });
  }

  /**
   * Advances to the earliest pending timer and fires it (and anything else due then).
   * Refuses when no timer is pending.
   */
  async runToNextTimer(): Promise<void> {
    const due = this.nextDue();
    if (due === undefined) throw new SimulationStalledError(this.#now);
    await this.runFor(due - this.#now);
  }

  #fireNext(): boolean {
    for (;;) {
      const timer = this.#heap.pop();
      if (timer === undefined) return false;
      if (timer.cancelled) continue;
      if (this.#guard !== undefined) {
        try {
          this.#guard(timer.due);
        } catch (error) {
          this.#heap.push(timer);
          this.fail(error);
          return true;
        }
      }
      this.#byHandle.delete(timer.seq);
      this.#now = timer.due;
      this.#fired++;
      try {
        timer.callback();
      } catch (error) {
        this.fail(error);
      }
      return true;
    }
  }
}
