/** Errors of the linearizability checker: a history it cannot check, a recorder misused. */
import { RaftError } from '../errors.js';

/** Base of the checker's own errors. */
export class CheckError extends RaftError {}

/** An operation of the history has impossible times (or an answer without a return); fix how it was recorded. */
export class InvalidHistoryError extends CheckError {
  constructor(
    readonly index: number,
    readonly problem: string,
  ) {
    super(`operation #${index} of the history ${problem}`);
  }
}

/** A HistoryRecorder handle was finished twice: finish each begun operation once, with ok(output) or open(). */
export class OperationFinishedError extends CheckError {
  constructor(
    readonly index: number,
    readonly client: string | number,
    readonly how: 'ok' | 'open',
  ) {
    super(
      `operation #${index} of client ${String(client)} was already finished (${how === 'ok' ? 'with an output' : 'as open'}): ` +
        'call ok(output) or open() once per begun operation',
    );
  }
}
