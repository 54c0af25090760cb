/**
 * Reconnect delays: exponential with "equal jitter". The ceiling doubles per failed attempt
 * up to `maxMs`; the delay is uniform in [ceiling / 2, ceiling], drawn from node:crypto, so
 * nodes restarted together do not reconnect in lockstep, yet never retry in a tight loop.
 */
import { randomInt } from 'node:crypto';
import type { BackoffOptions } from './options.js';

/** A uniform integer in [0, maxInclusive]. */
export type JitterSource = (maxInclusive: number) => number;

const cryptoJitter: JitterSource = (maxInclusive) => randomInt(0, maxInclusive + 1);

/** The delay before reconnect attempt `attempt` (0 for the first retry). */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  jitter: JitterSource = cryptoJitter,
): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30));
  const floor = Math.floor(ceiling / 2);
  return floor + jitter(ceiling - floor);
}
