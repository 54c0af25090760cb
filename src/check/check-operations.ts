/**
 * checkOperations: whether a history is linearizable under a model. The history is split
 * into the model's partitions (keys), each searched on its own (wgl-search.ts) within one
 * time budget for the whole check; a partition that cannot finish makes the verdict
 * 'unknown', never a hang.
 */
import { InvalidHistoryError } from './check-errors.js';
import type { IllegalPrefix } from './explain-failure.js';
import { explainIllegal, illegalPrefix } from './explain-failure.js';
import type { Model } from './model.js';
import type { Operation } from './operation.js';
import { WglSearch } from './wgl-search.js';

export type Verdict = 'ok' | 'illegal' | 'unknown';

export interface CheckOptions {
  /** Budget for the whole check, in milliseconds (default 10 000); past it the verdict is 'unknown'. */
  readonly timeoutMs?: number;
}

export interface CheckResult<I = unknown, O = unknown> {
  /** 'illegal' if some partition is not linearizable; else 'unknown' if some ran out of time; else 'ok'. */
  readonly verdict: Verdict;
  readonly elapsedMs: number;
  /** Operations in the history, and how many of them are open-ended. */
  readonly operations: number;
  readonly openOperations: number;
  readonly partitions: number;
  /** Search steps over all partitions (entries visited). */
  readonly steps: number;
  /** 'illegal': the partition (key) that is not linearizable, if the model partitions. */
  readonly partition?: string;
  /** 'illegal': what the search found; 'unknown': which partitions it did not finish. */
  readonly explanation?: string;
  /** 'illegal': the longest linearizable prefix and the operations that could not follow it. */
  readonly illegal?: IllegalPrefix<I, O>;
  /** 'unknown': the partitions not finished in time. */
  readonly unfinished?: readonly string[];
}

export const DEFAULT_CHECK_TIMEOUT_MS = 10_000;

const now = () => performance.now();

export function checkOperations<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult<I, O> {
  const started = now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  if (!(timeoutMs >= 0)) throw new RangeError(`timeoutMs is ${timeoutMs}: give a budget of 0 ms or more`);
  const deadline = started + timeoutMs;
  let openOperations = 0;
  history.forEach((operation, i) => {
    validate(operation, i);
    if (operation.return === undefined) openOperations++;
  });
  const groups = partitionHistory(model, history);
  const searches = [...groups].map(([name, operations]) => ({
    name,
    operations,
    search: new WglSearch(model, operations),
  }));
  const counts = () => ({
    operations: history.length,
    openOperations,
    partitions: searches.length,
    steps: searches.reduce((sum, s) => sum + s.search.steps, 0),
  });

  // Rounds: each unfinished partition gets an equal share of what is left, so one hard
  // partition cannot starve the others (an illegal one among them is still found); what
  // the finished ones did not use goes to the hard ones in the next round.
  let pending = searches;
  while (pending.length > 0) {
    const unfinished: typeof pending = [];
    for (const [i, entry] of pending.entries()) {
      const share = (deadline - now()) / (pending.length - i);
      const progress = entry.search.run(now() + share, now);
      if (progress === 'illegal') {
        const failure = entry.search.failure()!;
        const prefix = illegalPrefix(entry.operations, failure, model);
        const partition = model.partition === undefined ? undefined : entry.name;
        return {
          verdict: 'illegal',
          elapsedMs: now() - started,
          ...counts(),
          ...(partition === undefined ? {} : { partition }),
          explanation: explainIllegal(model, partition, entry.operations.length, prefix),
          illegal: prefix,
        };
      }
      if (progress === 'paused') unfinished.push(entry);
    }
    pending = unfinished;
    if (now() >= deadline) break;
  }
  if (pending.length > 0) {
    const names = pending.map((entry) => entry.name);
    const shown = names.slice(0, 10).map((name) => JSON.stringify(name));
    return {
      verdict: 'unknown',
      elapsedMs: now() - started,
      ...counts(),
      explanation:
        `The check ran out of its ${timeoutMs} ms budget before finishing ${names.length} of ` +
        `${searches.length} partitions (${shown.join(', ')}${names.length > 10 ? ', ...' : ''}); ` +
        'no partition it finished is illegal. Give it a larger timeoutMs, or a shorter history.',
      unfinished: names,
    };
  }
  return { verdict: 'ok', elapsedMs: now() - started, ...counts() };
}

/** The history's operations per partition, in order of first appearance. */
function partitionHistory<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
): Map<string, Operation<I, O>[]> {
  const groups = new Map<string, Operation<I, O>[]>();
  if (model.partition === undefined) {
    if (history.length > 0) groups.set('', [...history]);
    return groups;
  }
  for (const operation of history) {
    const name = model.partition(operation.input);
    const group = groups.get(name);
    if (group === undefined) groups.set(name, [operation]);
    else group.push(operation);
  }
  return groups;
}

function validate(operation: Operation<unknown, unknown>, i: number): void {
  const { call, return: ret, effectBy } = operation;
  if (typeof call !== 'number' || !Number.isFinite(call)) {
    throw new InvalidHistoryError(i, `has call time ${String(call)}: give a finite number`);
  }
  if (effectBy !== undefined) {
    if (ret !== undefined) {
      throw new InvalidHistoryError(
        i,
        'returned and has an effectBy time: give effectBy to open operations only',
      );
    }
    if (typeof effectBy !== 'number' || !Number.isFinite(effectBy) || effectBy < call) {
      throw new InvalidHistoryError(
        i,
        `has effectBy ${String(effectBy)}, not a finite time at or after its call at ${call}`,
      );
    }
  }
  if (ret === undefined) {
    if (operation.output !== undefined) {
      throw new InvalidHistoryError(
        i,
        'has an output but no return time: give the time its answer came, or leave out the output if it never came',
      );
    }
    return;
  }
  if (typeof ret !== 'number' || !Number.isFinite(ret) || ret < call) {
    throw new InvalidHistoryError(
      i,
      `returns at ${String(ret)}, not a finite time at or after its call at ${call}: ` +
        'record both times on one monotonic clock (undefined return for a call that never returned)',
    );
  }
}
