/**
 * The key/value service on one node: what the HTTP API (and any embedding application)
 * calls. It checks a request before anything reaches the log, proposes writes through the
 * node, and serves reads at the consistency asked for. The node's own typed errors
 * (NotLeaderError with its leader hint, ProposalTimeoutError, ReadTimeoutError,
 * NodeStoppedError, NodeFailedError, InvalidCommandError for a value over maxCommandBytes)
 * pass through unchanged.
 */
import type { RaftNode } from '../api/raft-node.js';
import type { KvCommand, KvOp, KvResult, KvResultOf, KvSession } from './kv-command.js';
import { validateKey, validateSession, validateValue } from './kv-command.js';
import { KvError, SequenceReusedError, StaleSequenceError } from './kv-errors.js';
import type { KvStore } from './kv-store.js';

/**
 * How fresh a read must be:
 * - `linearizable`: confirmed by a quorum through ReadIndex (`node.read()`), then read here;
 *   on the leader or a follower, and nothing is written to the log.
 * - `log`: a get entry through the log, answered when applied (leader only): the slow way.
 * - `serializable`: this node's state now, with no check: fast, possibly stale.
 */
export type Consistency = 'linearizable' | 'log' | 'serializable';
export const CONSISTENCIES: readonly Consistency[] = ['linearizable', 'log', 'serializable'];

export interface KvGetOptions {
  /** Default 'linearizable'. */
  readonly consistency?: Consistency;
  /** For a 'log' read only (the other reads write nothing): its session, like a write's. */
  readonly session?: KvSession;
  /** For a 'linearizable' read: how long to wait for the read barrier (default the node's proposalTimeoutMs). */
  readonly timeoutMs?: number;
}

export interface KvRead {
  /** null: no such key. */
  readonly value: string | null;
  /** The log index of the state read: the value is what the store held after that entry. */
  readonly index: number;
}

export interface KvWritten<K extends KvOp> {
  /** The log index of the entry that carried the request (of the retry, for a retried request). */
  readonly index: number;
  readonly result: KvResultOf<K>;
}

export class KvService {
  /** `store` must be the state machine `node` runs. */
  constructor(
    readonly node: RaftNode<KvCommand, KvResult>,
    readonly store: KvStore,
  ) {}

  async get(key: string, options: KvGetOptions = {}): Promise<KvRead> {
    const { consistency = 'linearizable', session, timeoutMs } = options;
    validateKey(key);
    if (!CONSISTENCIES.includes(consistency)) {
      throw new TypeError(
        `consistency is ${JSON.stringify(consistency)}: use one of ${CONSISTENCIES.join(', ')}`,
      );
    }
    if (session !== undefined) validateSession(session);
    switch (consistency) {
      case 'serializable':
        return { value: this.store.get(key), index: this.store.appliedIndex };
      case 'linearizable': {
        const { index } = await this.node.read(timeoutMs === undefined ? {} : { timeoutMs });
        // The store applied at least through `index` (a no-op entry there never reaches it),
        // maybe further since: its state is the state at whichever is later.
        return { value: this.store.get(key), index: Math.max(index, this.store.appliedIndex) };
      }
      case 'log': {
        const { index, result } = await this.#propose<'get'>({ kv: 'get', key, ...sessionField(session) });
        return { value: result.value, index };
      }
    }
  }

  async put(key: string, value: string, session?: KvSession): Promise<KvWritten<'put'>> {
    validateWrite(key, value, session);
    return this.#propose({ kv: 'put', key, value, ...sessionField(session) });
  }

  /** Appends `value` to the key's value (a missing key acts as a put). */
  async append(key: string, value: string, session?: KvSession): Promise<KvWritten<'append'>> {
    validateWrite(key, value, session);
    return this.#propose({ kv: 'append', key, value, ...sessionField(session) });
  }

  async delete(key: string, session?: KvSession): Promise<KvWritten<'delete'>> {
    validateKey(key);
    if (session !== undefined) validateSession(session);
    return this.#propose({ kv: 'delete', key, ...sessionField(session) });
  }

  /**
   * Compare-and-set: sets the key to `value` if it holds `expected` now (null: if it is
   * absent). A compare that fails is a result (`swapped: false` with the value held), not
   * an error.
   */
  async cas(
    key: string,
    expected: string | null,
    value: string,
    session?: KvSession,
  ): Promise<KvWritten<'cas'>> {
    validateWrite(key, value, session);
    if (expected !== null) validateValue(expected);
    return this.#propose({ kv: 'cas', key, expected, value, ...sessionField(session) });
  }

  async #propose<K extends KvOp>(command: Extract<KvCommand, { readonly kv: K }>): Promise<KvWritten<K>> {
    const { index, result } = await this.node.propose(command);
    const { session } = command;
    if (result.kv === 'stale' && session !== undefined) {
      throw new StaleSequenceError(session.client, session.seq, result.lastSeq);
    }
    if (result.kv === 'invalid') {
      throw new KvError(
        `the store at index ${index} applied this ${command.kv} as nothing (${result.message}): ` +
          'do all nodes run the same raftchart version?',
      );
    }
    if (result.kv !== command.kv && session !== undefined) {
      throw new SequenceReusedError(session.client, session.seq, command.kv, result.kv);
    }
    if (result.kv !== command.kv) {
      throw new KvError(`the store answered a ${command.kv} with a ${result.kv} result at index ${index}`);
    }
    return { index, result: result as KvResultOf<K> };
  }
}

function validateWrite(key: string, value: string, session: KvSession | undefined): void {
  validateKey(key);
  validateValue(value);
  if (session !== undefined) validateSession(session);
}

function sessionField(session: KvSession | undefined): { session?: KvSession } {
  return session === undefined ? {} : { session: { client: session.client, seq: session.seq } };
}
