/**
 * The node's clock, watched: which of the chart's timers is pending, and when it is due.
 * XState schedules every `after` timer through the clock it was given; the host's delay
 * functions say, just before, which timer the next one is. So the cluster view draws the
 * real timer's deadline, and a simulator can move a real timer (fire it now, align it).
 */
import type { TimerName } from '../../machines/index.js';
import type { Clock } from './providers.js';

export type TimerKind = TimerName;

export interface PendingTimer {
  readonly kind: TimerKind;
  /** On the clock's own time (`clock.now()`). */
  readonly deadline: number;
  /** The underlying clock's handle (a SimClock can reschedule it). */
  readonly handle: unknown;
}

export class TimerTap implements Clock {
  readonly #clock: Clock;
  readonly #onChange: (kind: TimerKind, deadline: number | null) => void;
  readonly #fire: (callback: () => void) => void;
  readonly #pending = new Map<unknown, PendingTimer>();
  /**
   * The kinds whose delays were asked for, in order: XState asks for every delay of a step
   * (a follower's lease and election timer) before it schedules the first of them.
   */
  #expected: TimerKind[] = [];

  /** `fire` runs a due timer's callback (the host wraps it, to see which event it sends). */
  constructor(
    clock: Clock,
    onChange: (kind: TimerKind, deadline: number | null) => void,
    fire: (callback: () => void) => void = (callback) => callback(),
  ) {
    this.#clock = clock;
    this.#onChange = onChange;
    this.#fire = fire;
  }

  /** The delay function of `kind` was just asked for a delay: a timer set after the earlier ones is that one. */
  expect(kind: TimerKind): void {
    this.#expected.push(kind);
  }

  /** A new step begins: a delay asked for and never scheduled must not name a later timer. */
  forgetExpected(): void {
    this.#expected.length = 0;
  }

  now(): number {
    return this.#clock.now();
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const kind = this.#expected.shift() ?? 'electionTimeout';
    const handle: unknown = this.#clock.setTimeout(() => {
      this.#pending.delete(handle);
      this.#onChange(kind, null);
      this.#fire(callback);
    }, ms);
    const deadline = this.#clock.now() + ms;
    this.#pending.set(handle, { kind, deadline, handle });
    this.#onChange(kind, deadline);
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.#clock.clearTimeout(handle);
    const timer = this.#pending.get(handle);
    if (timer === undefined) return;
    this.#pending.delete(handle);
    this.#onChange(timer.kind, null);
  }

  /** The timers set and neither fired nor cancelled. */
  pending(): PendingTimer[] {
    return [...this.#pending.values()];
  }

  /** A timer moved by its clock (a simulator rescheduling it) keeps its record true. */
  moved(handle: unknown, deadline: number): void {
    const timer = this.#pending.get(handle);
    if (timer === undefined) return;
    this.#pending.set(handle, { ...timer, deadline });
    this.#onChange(timer.kind, deadline);
  }
}
