/**
 * The time the page draws at, on the source's clock, moving smoothly between the moments the
 * source reports: a simulation's clock jumps from event to event, and a live feed only says
 * when each event happened. Between reports it runs at the source's speed, never backwards
 * and never more than MAX_AHEAD_MS (real) past the last report, so a stalled or paused
 * source does not run away.
 */

const MAX_AHEAD_MS = 250;

export class DisplayClock {
  #reported = Number.NEGATIVE_INFINITY;
  #reportedAtReal = 0;
  #shown = Number.NEGATIVE_INFINITY;

  /**
   * `sourceNow`: the source's latest time (its clock, or its newest event's time);
   * `speed`: source ms per real ms; `running`: false while paused.
   */
  sample(realNow: number, sourceNow: number, speed: number, running: boolean): number {
    if (sourceNow !== this.#reported) {
      this.#reported = sourceNow;
      this.#reportedAtReal = realNow;
    }
    if (!running) {
      this.#shown = sourceNow; // paused: exactly where the source is
      return sourceNow;
    }
    const ahead = Math.max(0, Math.min(realNow - this.#reportedAtReal, MAX_AHEAD_MS)) * speed;
    const limit = sourceNow + MAX_AHEAD_MS * speed;
    // Beyond the limit only if the source's clock went back (a new run): follow it there.
    if (this.#shown > limit) this.#shown = sourceNow;
    this.#shown = Math.min(Math.max(this.#shown, sourceNow + ahead), limit);
    return this.#shown;
  }
}
