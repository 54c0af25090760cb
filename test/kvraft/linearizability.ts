/**
 * The course's porcupine step at the end of GenericTest: the whole history checked against
 * the key/value model, partitioned per key, within the course's 1 s budget. 'illegal'
 * fails the test with the checker's account; 'unknown' (out of time) passes with an info
 * line, as in the course. Either way the history is written to a temporary file (the course
 * writes its visualization there), to replay the check on. The longest history checked in
 * this file is remembered, with the checker's time on it, for one summary line.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOperations } from '../../src/check/check-operations.js';
import type { KvInput, KvOutput } from '../../src/check/kv-model.js';
import { kvModel } from '../../src/check/kv-model.js';
import type { Operation } from '../../src/check/operation.js';
import { LINEARIZABILITY_CHECK_TIMEOUT_MS } from './kv-timing.js';
import { KvraftFailure } from './kvraft-failure.js';

interface Checked {
  readonly test: string;
  readonly operations: number;
  readonly partitions: number;
  readonly elapsedMs: number;
  readonly verdict: string;
}

let longest: Checked | undefined;

export function checkLinearizable(test: string, history: readonly Operation<KvInput, KvOutput>[]): void {
  const result = checkOperations(kvModel, history, { timeoutMs: LINEARIZABILITY_CHECK_TIMEOUT_MS });
  const checked: Checked = {
    test,
    operations: result.operations,
    partitions: result.partitions,
    elapsedMs: result.elapsedMs,
    verdict: result.verdict,
  };
  if (longest === undefined || checked.operations > longest.operations) longest = checked;
  if (process.env.RAFT_VERBOSE) console.log(`kvraft: ${describe(checked)}`);
  if (result.verdict === 'illegal') {
    throw new KvraftFailure(
      `history is not linearizable (${history.length} operations):\n${result.explanation}\n` +
        `history written to ${saveHistory(test, 'illegal', history)}`,
    );
  }
  if (result.verdict === 'unknown') {
    console.log(
      `info: linearizability check timed out, assuming history is ok (${describe(checked)}; ` +
        `${result.explanation}; history written to ${saveHistory(test, 'unknown', history)})`,
    );
  }
}

/** The history as JSON (an array of Operations) in the temporary directory; returns the path. */
function saveHistory(
  test: string,
  verdict: string,
  history: readonly Operation<KvInput, KvOutput>[],
): string {
  const path = join(tmpdir(), `kvraft-${test.replace(/[^A-Za-z0-9]+/g, '-')}-${verdict}.json`);
  writeFileSync(path, JSON.stringify(history));
  return path;
}

/** "kvraft: longest history N ops, checked in X ms (...)", or undefined if nothing was checked. */
export function longestHistoryLine(): string | undefined {
  return longest === undefined ? undefined : `kvraft: longest history ${describe(longest)}`;
}

function describe(checked: Checked): string {
  return (
    `${checked.operations} ops, checked in ${checked.elapsedMs.toFixed(1)} ms ` +
    `(${checked.test}; ${checked.partitions} keys; ${checked.verdict})`
  );
}
