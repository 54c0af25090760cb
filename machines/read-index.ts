/**
 * Linearizable reads without log writes (the Raft thesis, section 6.4; etcd's ReadIndex),
 * as pure rules. A leader holds each read until (1) it has committed an entry of its own
 * term, so its commit index covers every entry committed before it led, and (2) a quorum
 * has answered a request it sent after the read arrived, so no newer leader existed then.
 * The read index is the commit index at that point; the host answers the read once its
 * state machine has applied that far. A follower asks the leader for a read index.
 *
 * Batching: reads that arrive while a round of AppendEntries is out wait for it to come
 * back before the next round goes, so under load every round trip serves all the reads
 * that arrived during the one before, whatever the number of clients.
 */
import type { RaftContext } from './context.js';
import { quorumSize } from './election-rules.js';
import type { NodeId } from './messages.js';

/** A read, numbered by the host that asked for it. */
export type ReadId = number;

/** Reads the leader holds until a quorum answers a request numbered `after` or later. */
export type ReadWaiter =
  | {
      /** This node's own reads: the host answers them. */
      readonly kind: 'local';
      readonly ids: readonly ReadId[];
      readonly after: number;
    }
  | {
      /** A follower's ReadIndex request: answered with a ReadIndexReply. */
      readonly kind: 'remote';
      readonly from: NodeId;
      readonly rpcId: number;
      readonly after: number;
    };

/** A follower's reads, asked of `leader` by the ReadIndex request `rpcId`. */
export interface AskedReads {
  readonly rpcId: number;
  readonly leader: NodeId;
  readonly ids: readonly ReadId[];
}

export interface ReadState {
  /** Leader: reads in the order they arrived (so by `after`). */
  readonly waiting: readonly ReadWaiter[];
  /** Leader: the highest rpcId of its own each follower has answered in this term. */
  readonly acked: Readonly<Record<NodeId, number>>;
  /** Leader: a read arrived since the last AppendEntries to every follower. */
  readonly roundDue: boolean;
  /** Leader: the first rpcId of its latest round of AppendEntries to every follower. */
  readonly round: number;
  /** Follower: reads asked of the leader, not answered yet. */
  readonly asked: readonly AskedReads[];
}

export const NO_READS: ReadState = { waiting: [], acked: {}, roundDue: false, round: 0, asked: [] };

/** Where a batch of reads ended: the read index, or null when it was refused (no leadership shown). */
export interface ReadAnswer {
  readonly ids: readonly ReadId[];
  readonly index: number | null;
}

/**
 * The highest `after` a quorum has answered: the followers' acknowledgements with the
 * leader's own counted as answering everything.
 */
export function quorumAcked(context: RaftContext): number {
  const { voters } = context.config;
  const acks = voters.map((voter) =>
    voter === context.id
      ? Number.POSITIVE_INFINITY
      : Object.hasOwn(context.reads.acked, voter)
        ? context.reads.acked[voter]!
        : 0,
  );
  acks.sort((a, b) => b - a);
  return acks[quorumSize(voters.length) - 1] ?? 0;
}

/** Reads wait for a round, and a quorum has answered the one before (at most one is out). */
export function isReadRoundDue(context: RaftContext): boolean {
  return context.reads.roundDue && quorumAcked(context) >= context.reads.round;
}

/** The leader's commit index holds an entry of its own term (its no-op, or a later one). */
export function committedInCurrentTerm(context: RaftContext): boolean {
  return context.log.termAt(context.commitIndex) === context.currentTerm;
}

/** How many of the waiting reads (a prefix) a quorum has now confirmed; 0 until the leader's term committed. */
export function confirmedReadCount(context: RaftContext): number {
  const { waiting } = context.reads;
  if (waiting.length === 0 || !committedInCurrentTerm(context)) return 0;
  const acked = quorumAcked(context);
  let count = 0;
  while (count < waiting.length && waiting[count]!.after <= acked) count++;
  return count;
}

/** Adds reads to the leader's queue, joining the last waiter when it waits for the same round. */
export function withLocalReads(reads: ReadState, ids: readonly ReadId[], after: number): ReadState {
  const last = reads.waiting.at(-1);
  const waiting =
    last?.kind === 'local' && last.after === after
      ? [...reads.waiting.slice(0, -1), { ...last, ids: [...last.ids, ...ids] }]
      : [...reads.waiting, { kind: 'local' as const, ids, after }];
  return { ...reads, waiting, roundDue: true };
}

/** A follower's answer of a request of ours in this term: it still followed us when it sent it. */
export function withAck(reads: ReadState, peer: NodeId, rpcId: number): ReadState {
  const before = Object.hasOwn(reads.acked, peer) ? reads.acked[peer]! : 0;
  return rpcId > before ? { ...reads, acked: { ...reads.acked, [peer]: rpcId } } : reads;
}
