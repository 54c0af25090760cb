/**
 * The fault test's durability check: every client appends values unique to it
 * (`c<client>.<n>;`, n counting that client's appends from 1), so a key's final value says
 * exactly which appends took effect, how often, and in what order.
 */

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
