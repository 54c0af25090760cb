/**
 * Every event the page has seen, the view state at the newest one, the timeline, and
 * checkpoints (the state every CHECKPOINT_EVERY events) so the state at any earlier event
 * is a short reduction away: scrubbing works the same for every source. Pure data, no DOM.
 */
import type { NodeId } from '../../machines/index.js';
import type { NodeSummary } from '../../src/inspect/inspect-event.js';
import type { TimelineEntry, ViewEvent, ViewState } from './view-state.js';
import { applyEvent, initialViewState } from './view-state.js';

export const CHECKPOINT_EVERY = 256;
/**
 * The most events kept (about 180 bytes each in Chromium with log windows shared: some
 * 110 MB; 5 nodes at 10x emit 3,600 a second). A long run past it forgets its oldest events
 * (and their timeline entries) a block at a time; the view still starts from the state
 * they led to.
 */
export const MAX_EVENTS = 600_000;

export interface EventStoreLimits {
  /** Default MAX_EVENTS. */
  readonly maxEvents?: number;
  /** Events forgotten at once, a whole number of checkpoints; default 400 of them. */
  readonly checkpointsForgotten?: number;
}

export class EventStore {
  /** Events from index `first` on. */
  readonly #events: ViewEvent[] = [];
  /**
   * The latest time up to each kept event: a live feed's events come in arrival order, each
   * stamped by its own node's clock, so times may step back a little; this never does.
   */
  readonly #times: number[] = [];
  /** The state after event `first + i * CHECKPOINT_EVERY` (i = 0: before any kept event). */
  readonly #checkpoints: ViewState[];
  readonly #timeline: TimelineEntry[] = [];
  #first = 0;
  #head: ViewState;
  readonly #maxEvents: number;
  readonly #forgetBlock: number;

  constructor(ids: readonly NodeId[], limits: EventStoreLimits = {}) {
    this.#head = initialViewState(ids);
    this.#checkpoints = [this.#head];
    this.#forgetBlock = CHECKPOINT_EVERY * Math.max(1, Math.floor(limits.checkpointsForgotten ?? 400));
    this.#maxEvents = Math.max(limits.maxEvents ?? MAX_EVENTS, this.#forgetBlock * 2);
  }

  /** The state after every event. */
  get head(): ViewState {
    return this.#head;
  }

  /** Index of the oldest event kept (0 until a long run forgets some). */
  get first(): number {
    return this.#first;
  }

  /** Index one past the newest event: how many events the page has seen. */
  get count(): number {
    return this.#head.count;
  }

  get timeline(): readonly TimelineEntry[] {
    return this.#timeline;
  }

  push(event: ViewEvent): void {
    const stored = this.#share(event);
    this.#events.push(stored);
    this.#times.push(Math.max(this.#times.at(-1) ?? Number.NEGATIVE_INFINITY, stored.at));
    this.#head = applyEvent(this.#head, stored);
    if (this.#head.entry !== null) this.#timeline.push(this.#head.entry);
    if ((this.#head.count - this.#first) % CHECKPOINT_EVERY === 0) this.#checkpoints.push(this.#head);
    if (this.#events.length > this.#maxEvents) this.#forget();
  }

  event(index: number): ViewEvent | undefined {
    return this.#events[index - this.#first];
  }

  /** The state after the first `count` events (clamped to what is kept). */
  stateAt(count: number): ViewState {
    const target = Math.min(Math.max(count, this.#first), this.count);
    if (target === this.count) return this.#head;
    const block = Math.floor((target - this.#first) / CHECKPOINT_EVERY);
    let state = this.#checkpoints[block]!;
    while (state.count < target) state = applyEvent(state, this.#events[state.count - this.#first]!);
    return state;
  }

  /** How many events happened by `at`: up to the first whose time (or an earlier one's) is later. */
  countAt(at: number): number {
    let lo = 0;
    let hi = this.#times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#times[mid]! <= at) lo = mid + 1;
      else hi = mid;
    }
    return this.#first + lo;
  }

  /** The time of the oldest kept event and of the newest (equal when there are none). */
  span(): { readonly from: number; readonly to: number } {
    const from = this.#times[0] ?? this.#head.at;
    return { from, to: this.#times.at(-1) ?? this.#head.at };
  }

  /**
   * A summary whose log window is the same as the node's previous one shares its array:
   * the log rarely changes between two steps, and a long run keeps every step.
   */
  #share(event: ViewEvent): ViewEvent {
    if (event.type !== 'step' && event.type !== 'nodeUp') return event;
    const previous = this.#head.nodes[event.node]?.summary;
    if (previous === undefined || previous === null) return event;
    const terms = event.summary.logTerms;
    if (terms === previous.logTerms || !sameNumbers(terms, previous.logTerms)) return event;
    const summary: NodeSummary = { ...event.summary, logTerms: previous.logTerms };
    return { ...event, summary };
  }

  #forget(): void {
    this.#events.splice(0, this.#forgetBlock);
    this.#times.splice(0, this.#forgetBlock);
    this.#checkpoints.splice(0, this.#forgetBlock / CHECKPOINT_EVERY);
    this.#first += this.#forgetBlock;
    const kept = this.#timeline.findIndex((entry) => entry.index >= this.#first);
    this.#timeline.splice(0, kept < 0 ? this.#timeline.length : kept);
  }
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
