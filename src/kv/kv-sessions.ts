/**
 * The client session table: for each client id, the seq of its last applied request and
 * that request's result. It is what makes a retried write apply exactly once (the retry
 * carries the same seq and gets the cached result), and it is part of the replicated
 * state: every node updates it in log order, so it sits in the store's snapshots.
 *
 * The table is bounded: past `maxClients` it forgets the client whose last request was
 * applied longest ago. Every node applies the same commands in the same order and the
 * snapshot keeps that order, so every node forgets the same client at the same entry.
 * A forgotten client's retry of a request already applied would apply again: keep the
 * bound well above the number of clients writing at one time.
 */
import { ConfigError } from '../errors.js';
import type { KvResult, KvSession } from './kv-command.js';
import { isKvResult, sessionProblem } from './kv-command.js';

export const DEFAULT_MAX_CLIENTS = 10_000;

/** What the table says of a request's session before it is applied. */
export type SessionCheck =
  /** A new request (seq above the client's last, or an unknown client): apply it, then record it. */
  | { readonly kind: 'new' }
  /** The client's last applied request again (a retry): answer its result, apply nothing. */
  | { readonly kind: 'duplicate'; readonly result: KvResult }
  /** Older than the client's last applied request: superseded, apply nothing. */
  | { readonly kind: 'stale'; readonly lastSeq: number };

/** One client's entry as a snapshot holds it: [client, last applied seq, its result]. */
export type SessionEntry = readonly [client: string, seq: number, result: KvResult];

interface LastApplied {
  readonly seq: number;
  readonly result: KvResult;
}

export class KvSessionTable {
  readonly maxClients: number;
  // In the order of each client's last applied request, oldest first (a Map keeps insertion
  // order, and recording a client moves it to the end): the first entry is the one to evict.
  #clients = new Map<string, LastApplied>();

  constructor(maxClients: number = DEFAULT_MAX_CLIENTS) {
    if (!Number.isSafeInteger(maxClients) || maxClients < 1) {
      throw new ConfigError(
        `maxClients is ${maxClients}: give the session table a whole number of at least 1`,
      );
    }
    this.maxClients = maxClients;
  }

  check(session: KvSession): SessionCheck {
    const last = this.#clients.get(session.client);
    if (last === undefined || session.seq > last.seq) return { kind: 'new' };
    if (session.seq === last.seq) return { kind: 'duplicate', result: last.result };
    return { kind: 'stale', lastSeq: last.seq };
  }

  /** Records `session`'s request as its client's last applied, evicting the oldest past the bound. */
  record(session: KvSession, result: KvResult): void {
    this.#clients.delete(session.client);
    this.#clients.set(session.client, { seq: session.seq, result });
    this.#evict();
  }

  /** The client's last applied seq, or 0 if the table holds none for it. */
  lastSeq(client: string): number {
    return this.#clients.get(client)?.seq ?? 0;
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Every client's entry, oldest first: what a snapshot holds. */
  entries(): SessionEntry[] {
    return Array.from(this.#clients, ([client, { seq, result }]) => [client, seq, result] as const);
  }

  /**
   * Replaces the table with a snapshot's entries (oldest first). Throws TypeError naming
   * the first malformed entry; keeps the newest `maxClients` if there are more.
   */
  load(entries: unknown): void {
    if (!Array.isArray(entries)) {
      throw new TypeError('a KvStore snapshot\'s "sessions" is an array of [client, seq, result] entries');
    }
    const clients = new Map<string, LastApplied>();
    entries.forEach((entry: unknown, i) => {
      const where = `a KvStore snapshot's session entry ${i}`;
      if (!Array.isArray(entry) || entry.length !== 3)
        throw new TypeError(`${where} is not [client, seq, result]`);
      const [client, seq, result] = entry as unknown[];
      const problem = sessionProblem({ client, seq });
      if (problem !== null) throw new TypeError(`${where}: ${problem}`);
      if (!isKvResult(result) || result.kv === 'stale' || result.kv === 'invalid') {
        throw new TypeError(`${where} holds a result that is not an applied command's KvResult`);
      }
      if (clients.has(client as string))
        throw new TypeError(`${where} repeats client ${JSON.stringify(client)}`);
      clients.set(client as string, { seq: seq as number, result });
    });
    this.#clients = clients;
    this.#evict();
  }

  #evict(): void {
    while (this.#clients.size > this.maxClients) {
      const oldest = this.#clients.keys().next().value as string;
      this.#clients.delete(oldest);
    }
  }
}
