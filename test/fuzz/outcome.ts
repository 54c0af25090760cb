/** What one fuzz run came to, and how its failure is classed (the shrinker keeps the class). */

/**
 * - `invariant`: the cluster's invariant checker caught a broken safety property or rule;
 * - `liveness`: after everything healed, no single agreed leader, or a proposal did not commit;
 * - `budget`: the run went past its virtual or wall-clock budget (a livelock or a hang);
 * - `error`: anything else thrown (a node failed, the simulation stalled...).
 */
export type FailureKind = 'invariant' | 'liveness' | 'budget' | 'error';

export interface RunPassed {
  readonly ok: true;
  /** Virtual ms at the end. */
  readonly at: number;
  readonly proposals: number;
  /** Virtual ms from the heal to the final proposal applied everywhere. */
  readonly recoveryMs: number;
  readonly term: number;
}

export interface RunFailed {
  readonly ok: false;
  readonly kind: FailureKind;
  readonly message: string;
  readonly at: number;
  /** The last schedule events and role changes before the failure, oldest first. */
  readonly recent: readonly string[];
}

export type RunOutcome = RunPassed | RunFailed;

/** Thrown by the liveness check: after the heal, the cluster did not recover in time. */
export class LivenessFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LivenessFailure';
  }
}

export function failureOutcome(error: unknown, at: number, recent: readonly string[]): RunFailed {
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, kind: failureKind(error), message, at, recent };
}

function failureKind(error: unknown): FailureKind {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause.name === 'InvariantViolation') return 'invariant';
    if (cause.name === 'LivenessFailure') return 'liveness';
    if (cause.name === 'RunBudgetExceeded') return 'budget';
  }
  return 'error';
}

/** The last `size` lines added: a short trail to print with a failure. */
export class RecentLines {
  readonly #lines: string[] = [];

  constructor(readonly size = 16) {}

  add(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.size) this.#lines.shift();
  }

  lines(): string[] {
    return [...this.#lines];
  }
}
