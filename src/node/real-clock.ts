/** The production clock: the process's own timers, for the actor's `after` transitions. */
import type { Clock } from './providers.js';

/** Node's check phase, after the turn's I/O callbacks; a browser has none, and gets a microtask. */
const afterTurn: (callback: () => void) => void =
  (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate ?? queueMicrotask;

export const REAL_CLOCK: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
  defer: (callback) => afterTurn(callback),
};
