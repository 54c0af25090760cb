/**
 * The course's KVServer (StartKVServer), ported: one per server incarnation, around the
 * node's KvService. It answers the clerks' Get/Put/Append RPCs and, like the course's
 * server, takes a snapshot when the node's persisted Raft state approaches maxraftstate.
 */
import type { RaftNode } from '../../src/api/raft-node.js';
import {
  NodeFailedError,
  NodeStoppedError,
  NotLeaderError,
  ProposalOutcomeUnknownError,
  ReadTimeoutError,
} from '../../src/errors.js';
import type { KvCommand, KvResult, KvSession } from '../../src/kv/kv-command.js';
import { KvService } from '../../src/kv/kv-service.js';
import type { KvStore } from '../../src/kv/kv-store.js';

/** What a clerk sends: the course's GetArgs and PutAppendArgs. */
export type KvArgs =
  | { readonly op: 'get'; readonly key: string }
  | {
      readonly op: 'put' | 'append';
      readonly key: string;
      readonly value: string;
      readonly session: KvSession;
    };

/**
 * What a server answers. `ErrWrongLeader` covers everything a clerk retries elsewhere (not
 * the leader, no quorum in time, outcome unknown, stopped). `Failed` is an answer no correct service gives
 * (a stale or reused session, a refused command): the clerk fails the test with it.
 */
export type KvReply =
  | { readonly err: 'OK'; readonly value: string | null }
  | { readonly err: 'ErrWrongLeader'; readonly why: string }
  | { readonly err: 'Failed'; readonly error: Error };

/** Snapshot once the persisted Raft state reaches this share of maxraftstate ("approaches" it). */
export const SNAPSHOT_AT = 0.9;

export class KvServer {
  readonly service: KvService;
  /** Snapshots this incarnation took. */
  snapshots = 0;
  #snapshotIndex = 0;

  constructor(
    readonly node: RaftNode<KvCommand, KvResult>,
    readonly store: KvStore,
    /** -1: never snapshot. */
    readonly maxraftstate: number,
    /** The node's persisted Raft state in bytes now (the course's persister.RaftStateSize()). */
    readonly raftStateSize: () => number,
  ) {
    this.service = new KvService(node, store);
    if (maxraftstate > 0) node.on('applied', ({ index }) => this.#maybeSnapshot(index));
  }

  async handle(args: KvArgs): Promise<KvReply> {
    try {
      switch (args.op) {
        case 'get':
          return { err: 'OK', value: (await this.service.get(args.key)).value };
        case 'put':
          await this.service.put(args.key, args.value, args.session);
          return { err: 'OK', value: null };
        case 'append':
          await this.service.append(args.key, args.value, args.session);
          return { err: 'OK', value: null };
      }
    } catch (error) {
      if (isRetryable(error)) return { err: 'ErrWrongLeader', why: error.message };
      return { err: 'Failed', error: error instanceof Error ? error : new Error(String(error)) };
    }
  }

  /** Called as each entry is applied, with the store exactly at that entry. */
  #maybeSnapshot(index: number): void {
    if (index <= this.#snapshotIndex || this.raftStateSize() < SNAPSHOT_AT * this.maxraftstate) return;
    try {
      if (this.node.saveSnapshot(index, this.store.snapshot())) {
        this.#snapshotIndex = index;
        this.snapshots++;
      }
    } catch (error) {
      // The node stopped (a crash) between applying and this call: nothing to snapshot for.
      if (!(error instanceof NodeStoppedError)) throw error;
    }
  }
}

function isRetryable(error: unknown): error is Error {
  return (
    error instanceof NotLeaderError ||
    // A timeout or a proposal a snapshot replaced: it may have applied, and a retry with the
    // same session applies at most once.
    error instanceof ProposalOutcomeUnknownError ||
    error instanceof ReadTimeoutError ||
    error instanceof NodeStoppedError ||
    error instanceof NodeFailedError
  );
}
