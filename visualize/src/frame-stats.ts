/**
 * Frame and event rates, measured over the last second and published as
 * `window.__raftchart = { fps, eventsPerSecond, events }` (the browser tests read it to
 * report how the page keeps up) and shown in the page's header.
 */

export interface RaftchartStats {
  /** Frames drawn in the last second. */
  fps: number;
  /** Events received in the last second. */
  eventsPerSecond: number;
  /** Events received since the page opened. */
  events: number;
}

declare global {
  interface Window {
    __raftchart?: RaftchartStats;
  }
}

export class FrameStats {
  readonly stats: RaftchartStats = { fps: 0, eventsPerSecond: 0, events: 0 };
  #windowStart = 0;
  #frames = 0;
  #events = 0;

  constructor() {
    window.__raftchart = this.stats;
  }

  /** A frame was drawn at `now` (real ms) after `events` new events. */
  frame(now: number, events: number): void {
    this.stats.events += events;
    this.#events += events;
    this.#frames++;
    if (this.#windowStart === 0) this.#windowStart = now;
    const elapsed = now - this.#windowStart;
    if (elapsed < 1000) return;
    this.stats.fps = Math.round((this.#frames * 1000) / elapsed);
    this.stats.eventsPerSecond = Math.round((this.#events * 1000) / elapsed);
    this.#windowStart = now;
    this.#frames = 0;
    this.#events = 0;
  }
}
