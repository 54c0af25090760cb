/**
 * Seeded random key/value histories that are linearizable by construction: concurrent
 * clients each make one call at a time; every call gets a linearization point inside its
 * interval, a sequential store applies the calls in the order of those points, and each
 * answer is what the store returned. Open-ended calls (the client gave up) take effect at a
 * random later point, or never; with sessions, only before the client's next write takes
 * effect (the service refuses the older request then), and they carry effectBy: the return
 * of that client's next write that returned.
 */
import { SeededRandom } from '../../src/sim/seeded-random.js';
import type { KvInput, KvOutput } from '../../src/check/kv-model.js';
import type { KvOperation } from './kv-history.js';

export interface RandomKvHistoryOptions {
  readonly seed: number;
  readonly operations: number;
  readonly clients: number;
  readonly keys: number;
  /** Chance, in percent, that a call is open-ended (default 0). */
  readonly openPercent?: number;
  /** Longest call, in ms (default 10). */
  readonly maxLatency?: number;
  /** Clients have sessions (see above); default false. */
  readonly sessions?: boolean;
}

interface Planned {
  readonly operation: { -readonly [K in keyof KvOperation]: KvOperation[K] };
  /** The linearization point; undefined: it never takes effect. */
  at: number | undefined;
}

export function randomKvHistory(options: RandomKvHistoryOptions): KvOperation[] {
  const random = new SeededRandom(options.seed, 'random-kv-history');
  const maxLatency = options.maxLatency ?? 10;
  const openPercent = options.openPercent ?? 0;
  const free = new Array<number>(options.clients).fill(0);
  const counters = new Array<number>(options.clients).fill(0);
  const written: string[][] = Array.from({ length: options.keys }, () => []);
  const planned: Planned[] = [];
  for (let n = 0; n < options.operations; n++) {
    let client = 0;
    for (let c = 1; c < free.length; c++) if (free[c]! < free[client]!) client = c;
    const keyIndex = random.int(options.keys - 1);
    const key = `k${keyIndex}`;
    const value = `x ${client} ${counters[client]!++} y`;
    const call = free[client]! + random.int(3000) / 1000;
    const latency = (random.int(maxLatency * 1000) / 1000) * (random.chance(1, 20) ? 5 : 1);
    const roll = random.int(99);
    let input: KvInput;
    if (roll < 45) input = { kv: 'get', key };
    else if (roll < 80) input = { kv: 'append', key, value };
    else if (roll < 88) input = { kv: 'put', key, value };
    else if (roll < 95) {
      const seen = written[keyIndex]!;
      const expected = seen.length === 0 || random.chance(1, 5) ? null : random.pick(seen.slice(-3));
      input = { kv: 'cas', key, expected, value };
    } else input = { kv: 'delete', key };
    if (input.kv !== 'get' && input.kv !== 'delete') written[keyIndex]!.push(value);
    const open = random.int(99) < openPercent;
    if (open) {
      // The client gives up; the call may still take effect, even long after.
      const at = random.chance(1, 2) ? call + random.int(maxLatency * 5000) / 1000 : undefined;
      planned.push({ operation: { client, input, output: undefined, call, return: undefined }, at });
      free[client] = call + maxLatency * 2;
    } else {
      const ret = call + latency;
      const at = call + (random.int(1000) / 1000) * latency;
      planned.push({ operation: { client, input, output: undefined, call, return: ret }, at });
      free[client] = ret;
    }
  }
  if (options.sessions === true) bySessions(planned, random);
  // Apply in linearization order; ties broken by plan order (either order is valid).
  const store = new Map<string, string>();
  const effective = planned.filter((p) => p.at !== undefined).sort((a, b) => a.at! - b.at!);
  for (const { operation } of effective) {
    const output = apply(store, operation.input);
    if (operation.return !== undefined) operation.output = output;
  }
  return planned.map((p) => p.operation);
}

/** Moves open calls' effects before their client's next applied write; sets effectBy. */
function bySessions(planned: readonly Planned[], random: SeededRandom): void {
  const byClient = new Map<string | number, Planned[]>();
  for (const p of planned) {
    const list = byClient.get(p.operation.client) ?? [];
    list.push(p);
    byClient.set(p.operation.client, list);
  }
  for (const calls of byClient.values()) {
    let nextAppliedAt = Infinity;
    let nextWriteReturn: number | undefined;
    for (let i = calls.length - 1; i >= 0; i--) {
      const p = calls[i]!;
      const { operation } = p;
      if (operation.return === undefined) {
        if (p.at !== undefined) {
          const limit = Math.min(nextAppliedAt, p.at);
          p.at = operation.call + (random.int(1000) / 1000) * (limit - operation.call);
        }
        if (nextWriteReturn !== undefined) operation.effectBy = nextWriteReturn;
      }
      if (operation.input.kv === 'get') continue;
      if (p.at !== undefined) nextAppliedAt = Math.min(nextAppliedAt, p.at);
      if (operation.return !== undefined) nextWriteReturn = operation.return;
    }
  }
}

function apply(store: Map<string, string>, input: KvInput): KvOutput {
  const value = store.get(input.key) ?? null;
  switch (input.kv) {
    case 'get':
      return { kv: 'get', value };
    case 'put':
      store.set(input.key, input.value);
      return { kv: 'put' };
    case 'append':
      store.set(input.key, (value ?? '') + input.value);
      return { kv: 'append' };
    case 'delete':
      store.delete(input.key);
      return { kv: 'delete', existed: value !== null };
    case 'cas': {
      const swapped = value === input.expected;
      if (swapped) store.set(input.key, input.value);
      return { kv: 'cas', swapped, value: swapped ? input.value : value };
    }
  }
}

/** `history` with the answer of its `nth` returned get replaced by a value never written. */
export function withReadOfValueNeverWritten(history: readonly KvOperation[], nth: number): KvOperation[] {
  const gets = history.flatMap((operation, i) =>
    operation.input.kv === 'get' && operation.return !== undefined ? [i] : [],
  );
  const target = gets[nth % gets.length]!;
  return history.map((operation, i) =>
    i === target ? { ...operation, output: { kv: 'get', value: 'never written' } } : operation,
  );
}
