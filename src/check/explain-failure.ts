/**
 * The human account of a partition that is not linearizable: the longest linearization the
 * search found, the state it leads to, and the operations that had to come next but could
 * not, so a failing test prints something to act on.
 */
import type { Model } from './model.js';
import type { Operation } from './operation.js';
import type { SearchFailure } from './wgl-search.js';

/** The longest linearizable prefix and what could not follow it, as operations of the history. */
export interface IllegalPrefix<I, O> {
  /** The operations of the longest linearization found, in order. */
  readonly linearized: readonly Operation<I, O>[];
  /** The model's state after them, described. */
  readonly state: string;
  /**
   * Operations that had returned (the first one) or been called by then but cannot take
   * effect next: every order of them that the search tried broke some answer.
   */
  readonly unplaced: readonly Operation<I, O>[];
}

/** How many operations of each list an explanation shows. */
const SHOWN = 8;

export function illegalPrefix<S, I, O>(
  operations: readonly Operation<I, O>[],
  failure: SearchFailure<S>,
  model: Model<S, I, O>,
): IllegalPrefix<I, O> {
  const linearized = new Set(failure.prefix);
  const blocked = operations[failure.blocked]!;
  const deadline = blocked.return ?? Infinity;
  // Everything called by the blocked return and not linearized had to be placed before it.
  const others = operations.filter(
    (operation, i) =>
      i !== failure.blocked &&
      !linearized.has(i) &&
      operation.return !== undefined &&
      operation.call <= deadline,
  );
  return {
    linearized: failure.prefix.map((i) => operations[i]!),
    state: describeState(model, failure.state),
    unplaced: [blocked, ...others],
  };
}

export function explainIllegal<S, I, O>(
  model: Model<S, I, O>,
  partition: string | undefined,
  partitionSize: number,
  prefix: IllegalPrefix<I, O>,
): string {
  const where = partition === undefined ? 'The history' : `Partition ${JSON.stringify(partition)}`;
  const lines = [
    `${where} (${partitionSize} operations) is not linearizable under the ${model.name} model.`,
    `The longest linearizable prefix found has ${prefix.linearized.length} operations` +
      (prefix.linearized.length === 0
        ? '.'
        : prefix.linearized.length > SHOWN
          ? `; its last ${SHOWN}:`
          : ':'),
  ];
  const start = Math.max(0, prefix.linearized.length - SHOWN);
  prefix.linearized.slice(start).forEach((operation, i) => {
    lines.push(`  ${String(start + i + 1).padStart(5)}. ${describeOperation(model, operation)}`);
  });
  lines.push(`State after it: ${prefix.state}`);
  lines.push('It cannot be extended: the first of these returned, and none of them can take effect next:');
  for (const operation of prefix.unplaced.slice(0, SHOWN))
    lines.push(`         ${describeOperation(model, operation)}`);
  if (prefix.unplaced.length > SHOWN) lines.push(`         ... and ${prefix.unplaced.length - SHOWN} more`);
  return lines.join('\n');
}

export function describeOperation<S, I, O>(model: Model<S, I, O>, operation: Operation<I, O>): string {
  const what =
    model.describeOperation?.(operation.input, operation.output) ??
    `${JSON.stringify(operation.input)} -> ${operation.output === undefined ? '?' : JSON.stringify(operation.output)}`;
  const until =
    operation.return !== undefined
      ? formatTime(operation.return)
      : operation.effectBy === undefined
        ? 'open'
        : `open, in effect by ${formatTime(operation.effectBy)} if ever`;
  return `client ${String(operation.client)}: ${what}  [${formatTime(operation.call)}, ${until}]`;
}

function describeState<S, I, O>(model: Model<S, I, O>, state: S): string {
  return model.describeState?.(state) ?? JSON.stringify(state) ?? String(state);
}

function formatTime(time: number): string {
  return Number.isInteger(time) ? String(time) : time.toFixed(3);
}
