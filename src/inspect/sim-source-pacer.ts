/**
 * Real time to virtual time, for a simulation shown in a page: animation frames, and how
 * many whole virtual milliseconds each frame owes at the current speed. Browser-safe: the
 * platform's timers are read through globalThis, none is assumed.
 */

/** Asks for `callback` at the next frame; returns the function that cancels the request. */
export type FrameScheduler = (callback: () => void) => () => void;

interface Platform {
  requestAnimationFrame?: (callback: (time: number) => void) => number;
  cancelAnimationFrame?: (handle: number) => void;
  setTimeout?: (callback: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
  performance?: { now(): number };
}

// Read through unknown: the browser and Node declare these differently.
const platform = globalThis as unknown as Platform;

/** A frame is about 16 ms where nothing paints (Node, a worker). */
const FRAME_MS = 16;

/**
 * Real time lost in one frame at most: a tab in the background (no frames for minutes) or
 * a slow frame does not make the simulation race to catch up; it falls behind instead.
 */
export const MAX_FRAME_MS = 100;

/** requestAnimationFrame where there is one (a page), else a 16 ms timeout. */
export const nextFrame: FrameScheduler = (callback) => {
  const { requestAnimationFrame, cancelAnimationFrame, setTimeout, clearTimeout } = platform;
  if (requestAnimationFrame !== undefined) {
    const handle = requestAnimationFrame(() => callback());
    return () => cancelAnimationFrame?.(handle);
  }
  if (setTimeout === undefined)
    throw new Error('a simulation in real time needs requestAnimationFrame or setTimeout');
  const handle = setTimeout(callback, FRAME_MS);
  return () => clearTimeout?.(handle);
};

/** performance.now where there is one, else Date.now: only differences are used. */
export const realNow = (): number => platform.performance?.now() ?? Date.now();

/** Checks a speed given by a caller: virtual ms per real ms, positive and finite. */
export function checkSpeed(speed: number): number {
  if (!Number.isFinite(speed) || speed <= 0) {
    throw new RangeError(`speed is virtual ms per real ms, a positive number (1 is real time), got ${speed}`);
  }
  return speed;
}

/**
 * Owes virtual time for real time passed, at a speed, in whole milliseconds: the remainder
 * carries to the next frame. Whole milliseconds keep every timer on an integer time, so
 * where the frames fall never changes the run (a run cut in slices is the same run).
 */
export class Pacer {
  readonly #now: () => number;
  #speed: number;
  #last: number;
  #owed = 0;

  constructor(now: () => number, speed: number) {
    this.#now = now;
    this.#speed = checkSpeed(speed);
    this.#last = now();
  }

  get speed(): number {
    return this.#speed;
  }

  set speed(speed: number) {
    this.#speed = checkSpeed(speed);
  }

  /** Measures from now on: real time spent paused is not owed. */
  restart(): void {
    this.#last = this.#now();
    this.#owed = 0;
  }

  /** Whole virtual milliseconds owed for the real time since the last call. */
  take(): number {
    const now = this.#now();
    const elapsed = Math.min(MAX_FRAME_MS, Math.max(0, now - this.#last));
    this.#last = now;
    this.#owed += elapsed * this.#speed;
    const whole = Math.floor(this.#owed);
    this.#owed -= whole;
    return whole;
  }
}
