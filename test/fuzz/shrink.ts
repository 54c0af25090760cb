/**
 * Shrinks a failing fuzz schedule to a short one that fails the same way (same kind of
 * failure): events after the failure dropped, then chunks of events removed, halving the
 * chunk down to single events (delta debugging), each candidate re-run; then extra steps
 * and proposal bursts simplified. Runs are deterministic, so a kept candidate replays.
 */
import type { RunFailed, RunOutcome } from './outcome.js';
import type { FuzzEvent, FuzzSchedule } from './schedule.js';

export interface ShrinkLimits {
  /** Re-runs at most. */
  readonly maxRuns: number;
  /** Wall-clock ms at most. */
  readonly wallMs: number;
}

export const SHRINK_LIMITS: ShrinkLimits = { maxRuns: 300, wallMs: 60_000 };

export interface Shrunk {
  readonly schedule: FuzzSchedule;
  readonly failure: RunFailed;
  /** Re-runs made. */
  readonly runs: number;
}

export async function shrinkSchedule(
  schedule: FuzzSchedule,
  failure: RunFailed,
  run: (schedule: FuzzSchedule) => Promise<RunOutcome>,
  limits: ShrinkLimits = SHRINK_LIMITS,
): Promise<Shrunk> {
  const deadline = Date.now() + limits.wallMs;
  let best = { schedule, failure };
  let runs = 0;
  const exhausted = () => runs >= limits.maxRuns || Date.now() > deadline;
  /** Runs `candidate`; keeps it if it fails the same way. */
  const attempt = async (candidate: FuzzSchedule): Promise<boolean> => {
    if (exhausted()) return false;
    runs++;
    const outcome = await run(candidate);
    if (outcome.ok || outcome.kind !== failure.kind) return false;
    best = { schedule: truncate(candidate, outcome), failure: outcome };
    return true;
  };

  const truncated = truncate(schedule, failure);
  if (truncated !== schedule) await attempt(truncated);
  for (let chunk = Math.ceil(best.schedule.events.length / 2); chunk >= 1 && !exhausted();) {
    let removed = false;
    for (let i = 0; i < best.schedule.events.length && !exhausted();) {
      const events = best.schedule.events.filter((_, j) => j < i || j >= i + chunk);
      if (await attempt({ ...best.schedule, events })) removed = true;
      else i += chunk;
    }
    if (chunk === 1 && !removed) break;
    if (chunk > 1) chunk = Math.ceil(chunk / 2);
  }
  await simplify(best.schedule, (event) => (event.steps > 0 ? { ...event, steps: 0 } : event), attempt);
  await simplify(
    best.schedule,
    (event) => (event.kind === 'propose' && event.count > 1 ? { ...event, count: 1 } : event),
    attempt,
  );
  return { ...best, runs };
}

/** Tries `change` on every event at once; keeps the result if it still fails. */
async function simplify(
  schedule: FuzzSchedule,
  change: (event: FuzzEvent) => FuzzEvent,
  attempt: (candidate: FuzzSchedule) => Promise<boolean>,
): Promise<void> {
  const events = schedule.events.map(change);
  if (events.some((event, i) => event !== schedule.events[i])) await attempt({ ...schedule, events });
}

/**
 * A failure during the faults cannot depend on what comes after it: the schedule up to it,
 * its faults ending just after. A liveness failure comes after every event: kept whole.
 */
function truncate(schedule: FuzzSchedule, failure: RunFailed): FuzzSchedule {
  if (failure.kind === 'liveness' || failure.at >= schedule.durationMs) return schedule;
  return {
    ...schedule,
    durationMs: failure.at + 1,
    events: schedule.events.filter((event) => event.at <= failure.at),
  };
}
