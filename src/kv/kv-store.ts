/**
 * The key/value store: the reference application's state machine. A map of string keys to
 * string values, changed by the KvCommands of the log, with a client session table so that
 * a retried request applies exactly once. Deterministic (no clock, no randomness: every
 * node computes the same results and evicts the same sessions) and browser-safe. Its
 * snapshot is its state only, the map and the session table, as compact JSON.
 */
import { stringifyJson } from '../../machines/index.js';
import type { SnapshotMeta, StateMachine } from '../api/state-machine.js';
import { utf8Bytes } from '../utf8-bytes.js';
import type { KvCommand, KvResult } from './kv-command.js';
import { keyProblem, parseKvCommand } from './kv-command.js';
import type { SessionEntry } from './kv-sessions.js';
import { DEFAULT_MAX_CLIENTS, KvSessionTable } from './kv-sessions.js';

export interface KvStoreOptions {
  /**
   * Most clients the session table remembers; past it, the client whose last request was
   * applied longest ago is forgotten. Default 10000. Give every node the same number.
   */
  readonly maxClients?: number;
}

export interface KvSize {
  readonly keys: number;
  /** UTF-8 bytes of every key and value. */
  readonly bytes: number;
  /** Clients in the session table. */
  readonly sessions: number;
}

/** The snapshot's JSON: a version, the pairs, and the session table oldest first. */
interface KvSnapshot {
  readonly v: 1;
  readonly data: readonly (readonly [key: string, value: string])[];
  readonly sessions: readonly SessionEntry[];
}

export class KvStore implements StateMachine<KvCommand, KvResult> {
  readonly #maxClients: number;
  #data = new Map<string, string>();
  #bytes = 0;
  #sessions: KvSessionTable;
  #appliedIndex = 0;

  constructor(options: KvStoreOptions = {}) {
    this.#maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS;
    this.#sessions = new KvSessionTable(this.#maxClients);
  }

  /**
   * Applies one log entry. Whatever is not a KvCommand is applied as nothing ('invalid');
   * a request whose session seq is the client's last applied one answers that request's
   * result again without applying; an older seq answers 'stale' and applies nothing.
   */
  apply(command: KvCommand, index: number): KvResult {
    this.#appliedIndex = index;
    const parsed = parseKvCommand(command);
    if ('invalid' in parsed) return { kv: 'invalid', message: parsed.invalid };
    const { session } = parsed;
    if (session !== undefined) {
      const seen = this.#sessions.check(session);
      if (seen.kind === 'duplicate') return seen.result;
      if (seen.kind === 'stale') return { kv: 'stale', lastSeq: seen.lastSeq };
    }
    const result = this.#execute(parsed);
    if (session !== undefined) this.#sessions.record(session, result);
    return result;
  }

  snapshot(): string {
    const snapshot: KvSnapshot = { v: 1, data: [...this.#data], sessions: this.#sessions.entries() };
    return stringifyJson(snapshot);
  }

  /** Replaces the whole state with a snapshot's; throws TypeError (changing nothing) if it is malformed. */
  restore(snapshot: string, meta: SnapshotMeta): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(snapshot);
    } catch (error) {
      throw new TypeError(`a KvStore snapshot is JSON text, and this is not: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new TypeError('a KvStore snapshot is a JSON object { v: 1, data, sessions }');
    }
    const { v, data: pairs, sessions: entries } = parsed as Record<string, unknown>;
    if (v !== 1) {
      throw new TypeError(
        `this KvStore snapshot has version ${JSON.stringify(v)}; this version reads version 1 only: ` +
          'is it a snapshot of another state machine, or of a newer raftchart?',
      );
    }
    if (!Array.isArray(pairs))
      throw new TypeError('a KvStore snapshot\'s "data" is an array of [key, value] pairs');
    const data = new Map<string, string>();
    let bytes = 0;
    pairs.forEach((pair: unknown, i) => {
      const where = `a KvStore snapshot's data pair ${i}`;
      if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError(`${where} is not [key, value]`);
      const [key, value] = pair as unknown[];
      const problem = keyProblem(key);
      if (problem !== null) throw new TypeError(`${where}: ${problem}`);
      if (typeof value !== 'string') throw new TypeError(`${where} has a value that is not a string`);
      if (data.has(key as string)) throw new TypeError(`${where} repeats the key ${JSON.stringify(key)}`);
      data.set(key as string, value);
      bytes += utf8Bytes(key as string) + utf8Bytes(value);
    });
    const sessions = new KvSessionTable(this.#maxClients);
    sessions.load(entries);
    this.#data = data;
    this.#bytes = bytes;
    this.#sessions = sessions;
    this.#appliedIndex = meta.index;
  }

  /** The value held at `key` now, or null: a local read (as fresh as this node's applied state). */
  get(key: string): string | null {
    return this.#data.get(key) ?? null;
  }

  /** Every key held now, sorted (by UTF-16 code unit, as `Array.prototype.sort`). */
  keys(): string[] {
    return [...this.#data.keys()].sort();
  }

  get size(): KvSize {
    return { keys: this.#data.size, bytes: this.#bytes, sessions: this.#sessions.size };
  }

  /** Index of the last log entry applied here (or covered by the snapshot restored); 0 before any. */
  get appliedIndex(): number {
    return this.#appliedIndex;
  }

  /** The client's last applied seq, or 0 if the session table holds none for it. */
  lastSeq(client: string): number {
    return this.#sessions.lastSeq(client);
  }

  #execute(command: KvCommand): KvResult {
    const { key } = command;
    const current = this.#data.get(key) ?? null;
    switch (command.kv) {
      case 'get':
        return { kv: 'get', value: current };
      case 'put':
        this.#set(key, current, command.value);
        return { kv: 'put' };
      case 'append':
        if (current === null) this.#set(key, current, command.value);
        else {
          // Counts only the appended text (a large value is not measured again at every append).
          this.#bytes += utf8Bytes(command.value) - (joinsSurrogates(current, command.value) ? 2 : 0);
          this.#data.set(key, current + command.value);
        }
        return { kv: 'append' };
      case 'delete':
        if (current !== null) {
          this.#data.delete(key);
          this.#bytes -= utf8Bytes(key) + utf8Bytes(current);
        }
        return { kv: 'delete', existed: current !== null };
      case 'cas':
        if (current !== command.expected) return { kv: 'cas', swapped: false, value: current };
        this.#set(key, current, command.value);
        return { kv: 'cas', swapped: true, value: command.value };
    }
  }

  #set(key: string, current: string | null, value: string): void {
    this.#bytes +=
      current === null ? utf8Bytes(key) + utf8Bytes(value) : utf8Bytes(value) - utf8Bytes(current);
    this.#data.set(key, value);
  }
}

/** Whether `a + b` joins a high surrogate ending `a` with a low one starting `b`: 3 + 3 bytes become 4. */
function joinsSurrogates(a: string, b: string): boolean {
  const last = a.charCodeAt(a.length - 1);
  const first = b.charCodeAt(0);
  return last >= 0xd800 && last <= 0xdbff && first >= 0xdc00 && first <= 0xdfff;
}
