/**
 * For the membership tests across processes: a steady write load, the check that nothing it
 * had acknowledged is lost, and a poll until a condition holds (outcomes only, no fixed sleeps).
 */
import { expect } from 'vitest';
import type { ProcessCluster } from './process-cluster.js';
import { LOG_KEY, sleep } from './process-cluster.js';

/** Proposes `w0`, `w1`, ... one after the other until stopped; the acknowledged ones. */
export function writeLoad(c: ProcessCluster) {
  const acknowledged: string[] = [];
  let stopped = false;
  const done = (async () => {
    for (let i = 0; !stopped; i++) {
      await c.propose(`w${i}`, 60_000);
      acknowledged.push(`w${i}`);
    }
  })();
  return {
    acknowledged,
    async stop(): Promise<string[]> {
      stopped = true;
      await done;
      return acknowledged;
    },
  };
}

/**
 * Ends a load test: waits for 20 more writes (`what` says with which membership), stops the
 * load, runs `stopped` (a node to take down first, say), then checks that every running node
 * applied every acknowledged write and that `reader` reads them all back linearizably.
 * Resolves with what the nodes applied.
 */
export async function finishLoad(
  c: ProcessCluster,
  load: ReturnType<typeof writeLoad>,
  what: string,
  reader: string,
  stopped: () => Promise<void> = async () => {},
): Promise<string[]> {
  const before = load.acknowledged.length;
  await until(`more writes ${what}`, async () =>
    load.acknowledged.length >= before + 20 ? true : undefined,
  );
  const acknowledged = await load.stop();
  await stopped();
  const applied = await c.waitForSameApplied(acknowledged.length, 60_000);
  expectNoneLost(applied, acknowledged);
  expectNoneLost(await readLinearizable(c, reader), acknowledged);
  return applied;
}

/** Every acknowledged write is applied, exactly once, in `applied`. */
export function expectNoneLost(applied: readonly string[], acknowledged: readonly string[]): void {
  for (const command of acknowledged) expect(applied.filter((c) => c === command)).toEqual([command]);
}

/** Polls `probe` every 100 ms until it answers something other than undefined; that answer. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * The commands applied, read linearizably (the default) through node `id`: a follower's 307
 * leads to the leader, which confirms it still leads before it answers.
 */
export async function readLinearizable(c: ProcessCluster, id: string): Promise<string[]> {
  const response = await fetch(`${c.clientUrl(id)}/kv/${LOG_KEY}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as { value?: string };
  if (response.status !== 200 || body.value === undefined) {
    throw new Error(`a linearizable read through ${id} answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return body.value.split('\n').slice(0, -1);
}
