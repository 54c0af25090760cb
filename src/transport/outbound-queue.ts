/**
 * The frames waiting for one peer while it is unreachable or its socket is backed up,
 * bounded: when full, the oldest frame is dropped to make room (and counted). Raft tolerates
 * loss, and the newest messages carry the newest terms and commit indexes, so they are the
 * ones worth keeping.
 */
export class OutboundQueue {
  readonly #frames: Buffer[] = [];
  #head = 0;
  #dropped = 0;

  constructor(readonly limit: number) {}

  get length(): number {
    return this.#frames.length - this.#head;
  }

  /** Frames dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Adds a frame; returns whether an older frame was dropped to make room. */
  push(frame: Buffer): boolean {
    let dropped = false;
    if (this.length >= this.limit) {
      this.shift();
      this.#dropped += 1;
      dropped = true;
    }
    this.#frames.push(frame);
    return dropped;
  }

  shift(): Buffer | undefined {
    if (this.length === 0) return undefined;
    const frame = this.#frames[this.#head];
    this.#head += 1;
    // Compact once the consumed prefix dominates, so the array does not grow forever.
    if (this.#head > 64 && this.#head * 2 > this.#frames.length) {
      this.#frames.splice(0, this.#head);
      this.#head = 0;
    }
    return frame;
  }

  /** Empties the queue; returns how many frames it held. */
  clear(): number {
    const n = this.length;
    this.#frames.length = 0;
    this.#head = 0;
    return n;
  }
}
