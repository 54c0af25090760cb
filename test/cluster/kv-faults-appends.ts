/**
 * The fault test's durability check: every client appends values unique to it
 * (`c<client>.<n>;`, n counting that client's appends from 1), so a key's final value says
 * exactly which appends took effect, how often, and in what order.
 */
import type { KvInput, KvOutput, Operation } from '../../src/check/index.js';

/** How an append ended, as its client saw it. */
export type AppendOutcome =
  /** Acknowledged: it must be in the final value, once. */
  | 'acknowledged'
  /** Timed out or abandoned after it may have reached a node: in the final value at most once. */
  | 'unknown'
  /** The client said no node ever proposed it (every attempt refused outright): never in the final value. */
  | 'refused';

export interface AppendRecord {
  readonly key: string;
  readonly client: string;
  /** The client's count of its appends, from 1: the order it made them in. */
  readonly n: number;
  readonly outcome: AppendOutcome;
}

/** The value one client's n-th append adds. */
export function appendToken(client: string, n: number): string {
  return `c${client}.${n};`;
}

/**
 * What is wrong with the final values (empty: nothing): an acknowledged append missing, an
 * append present twice, a refused one present, a value no client appended, or one client's
 * appends out of the order it made them. The order holds for unacknowledged ones too: a
 * client makes one request at a time, and its session makes an older request that arrives
 * after a newer one was applied stale, never applied.
 */
export function appendProblems(
  finalValues: ReadonlyMap<string, string | null>,
  appends: readonly AppendRecord[],
  limit = 20,
): string[] {
  const problems: string[] = [];
  const byKey = new Map<string, Map<string, AppendRecord>>();
  for (const append of appends) {
    let tokens = byKey.get(append.key);
    if (tokens === undefined) byKey.set(append.key, (tokens = new Map()));
    tokens.set(appendToken(append.client, append.n), append);
  }
  for (const [key, issued] of byKey) {
    const value = finalValues.get(key);
    if (value === undefined) {
      problems.push(`key ${key} was not read back`);
      continue;
    }
    const present = (value ?? '').split(/(?<=;)/).filter((token) => token.length > 0);
    const seen = new Map<string, number>();
    /** Per client, the n of its last append in the value so far. */
    const lastOfClient = new Map<string, number>();
    present.forEach((token, position) => {
      const append = issued.get(token);
      if (append === undefined) {
        problems.push(
          `key ${key}: ${JSON.stringify(token)} at position ${position} was never appended to it`,
        );
        return;
      }
      seen.set(token, (seen.get(token) ?? 0) + 1);
      if (append.outcome === 'refused') {
        problems.push(`key ${key}: ${token} is present though the client was told no node proposed it`);
      }
      const last = lastOfClient.get(append.client);
      if (last !== undefined && append.n < last) {
        problems.push(
          `key ${key}: client ${append.client}'s append ${append.n} comes after its append ${last} (position ${position})`,
        );
      }
      lastOfClient.set(append.client, Math.max(append.n, last ?? 0));
    });
    for (const [token, count] of seen) {
      if (count > 1) problems.push(`key ${key}: ${token} is present ${count} times (applied more than once)`);
    }
    for (const [token, append] of issued) {
      if (append.outcome === 'acknowledged' && !seen.has(token)) {
        problems.push(`key ${key}: acknowledged append ${token} is missing`);
      }
    }
  }
  if (problems.length <= limit) return problems;
  return [...problems.slice(0, limit), `... and ${problems.length - limit} more`];
}

/** What `settleOpenOperations` left out of a history. */
export interface Settled<I, O> {
  readonly history: Operation<I, O>[];
  /** Open reads: they change nothing, so they constrain nothing. */
  readonly openReads: number;
  /** Open appends whose value is not in the key's final value: they never took effect. */
  readonly unappliedAppends: number;
}

/**
 * The history with the open operations whose fate is known left out, so the checker need
 * not try every place they might have gone: open reads (no effect), and open appends to an
 * append-only key whose unique value the final read does not hold (a key that only grows
 * loses nothing, so an append missing from its final value never took effect). The search
 * over histories with several such appends in one window grows with the orders they can be
 * put in (a 100-operation key with 8 of them was still unfinished after 120 s); the
 * operations left are checked as recorded. The final read must be in the history, linearizable
 * and after every other operation ended.
 */
export function settleOpenOperations(
  history: readonly Operation<KvInput, KvOutput>[],
  finalValues: ReadonlyMap<string, string | null>,
  appendKeys: readonly string[],
): Settled<KvInput, KvOutput> {
  const appendOnly = new Set(appendKeys);
  const finalTokens = new Map(
    appendKeys.map((key) => [key, new Set((finalValues.get(key) ?? '').split(/(?<=;)/))]),
  );
  let openReads = 0;
  let unappliedAppends = 0;
  const kept = history.filter((operation) => {
    const { input } = operation;
    if (appendOnly.has(input.key) && input.kv !== 'append' && input.kv !== 'get') {
      throw new Error(
        `${input.kv} on append-only key ${input.key}: the final value no longer tells which appends took effect`,
      );
    }
    if (operation.return !== undefined) return true;
    if (input.kv === 'get') return (openReads++, false);
    if (input.kv === 'append' && appendOnly.has(input.key) && !finalTokens.get(input.key)!.has(input.value)) {
      return (unappliedAppends++, false);
    }
    return true;
  });
  return { history: kept, openReads, unappliedAppends };
}
