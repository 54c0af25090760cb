/**
 * The reference model's read rules (ReadIndex, the Raft thesis section 6.4), written from the
 * rules as stated, not from machines/read-index.ts:
 * - a leader answers a read with its commit index once a quorum, itself included, has
 *   answered a request it sent at or after the read arrived, and an entry of its current
 *   term is committed;
 * - a follower asks its known leader (and refuses with none); it takes the leader's answer to
 *   the request it asked, whatever the terms; it refuses what it asked once it stops
 *   following that leader or leaves the follower role;
 * - a candidate refuses; a leader leaving leadership refuses every read waiting;
 * - one read round out at a time: the reads wait for the latest round to every follower (its
 *   heartbeats, or the round before) to come back from a quorum before the next round goes.
 * Which requests came after a read is told by what the node sent: rpcIds are the node's
 * choice, the rules do not fix them, so the model learns them from the wire.
 */
import type { Expected } from './reference-model.js';

/** Where one read ended: its read index, or null when refused. */
export interface Answer {
  readonly id: number;
  readonly index: number | null;
}

/** A read a leader is given: the node's own batch, or a follower's ReadIndex request. */
export type HeldRead =
  | { readonly kind: 'local'; readonly ids: readonly number[] }
  | { readonly kind: 'remote'; readonly from: string; readonly rpcId: number };

/** A read a leader holds, and what confirms it. */
export type Waiter = HeldRead & {
  /** How many requests the node had sent when the read arrived: the later ones confirm it. */
  readonly since: number;
  /** Peers that answered one of those later requests. */
  readonly confirmedBy: readonly string[];
};

/** A follower's batch, asked of `leader` by the ReadIndex request `rpcId`. */
export interface Asked {
  readonly rpcId: number;
  readonly leader: string;
  readonly ids: readonly number[];
}

/** Leader: its latest round of requests to every follower, and who has answered it since. */
export interface Round {
  readonly since: number;
  readonly confirmedBy: readonly string[];
}

export interface ModelReads {
  /** Leader: reads held until confirmed. */
  readonly waiting: readonly Waiter[];
  /** Leader: a read arrived since the last AppendEntries to every follower. */
  readonly roundDue: boolean;
  readonly round: Round;
  /** Follower: reads asked of a leader, not answered yet. */
  readonly asked: readonly Asked[];
}

export const NO_MODEL_READS: ModelReads = {
  waiting: [],
  roundDue: false,
  round: { since: 0, confirmedBy: [] },
  asked: [],
};

/** Leader: a round to every follower goes out now, after `since` requests sent. */
export function roundSent(reads: ModelReads, since: number): ModelReads {
  return { ...reads, roundDue: false, round: { since, confirmedBy: [] } };
}

/** Leader: reads wait for a round, and a quorum (the leader among it) has answered the one out. */
export function readRoundDue(reads: ModelReads, quorum: number): boolean {
  return reads.roundDue && 1 + reads.round.confirmedBy.length >= quorum;
}

/** What a step of the read rules settles: reads answered, and ReadIndexReplies to send. */
export interface Settled {
  readonly answers: readonly Answer[];
  readonly replies: readonly Expected[];
}

export const NOTHING: Settled = { answers: [], replies: [] };

export function joinSettled(...parts: readonly Settled[]): Settled {
  return {
    answers: parts.flatMap((p) => p.answers),
    replies: parts.flatMap((p) => p.replies),
  };
}

export function readIndexReply(
  to: string,
  term: number,
  inReplyTo: number,
  readIndex: number | null,
): Expected {
  return { type: 'ReadIndexReply', to, term, inReplyTo, readIndex };
}

/** Settles waiting reads with `index` (null: refused), in the leader's term `term`. */
function settle(waiting: readonly Waiter[], term: number, index: number | null): Settled {
  return {
    answers: waiting.flatMap((w) => (w.kind === 'local' ? w.ids.map((id) => ({ id, index })) : [])),
    replies: waiting.flatMap((w) =>
      w.kind === 'remote' ? [readIndexReply(w.from, term, w.rpcId, index)] : [],
    ),
  };
}

/**
 * Leader: a read arrives when the node has sent `since` requests; the ones it sends from now
 * on confirm it, and a round is due.
 */
export function hold(reads: ModelReads, read: HeldRead, since: number): ModelReads {
  const waiter: Waiter = { ...read, since, confirmedBy: [] };
  return { ...reads, waiting: [...reads.waiting, waiter], roundDue: true };
}

/**
 * Leader: `peer` answered the request `rpcId` in the leader's term; it confirms every read
 * that arrived before that request was sent, and the round if it is the round's or later.
 * `sent` lists the node's requests in order.
 */
export function answeredBy(
  reads: ModelReads,
  peer: string,
  rpcId: number,
  sent: readonly number[],
): ModelReads {
  const confirm = <T extends { since: number; confirmedBy: readonly string[] }>(x: T): T =>
    sent.slice(x.since).includes(rpcId) && !x.confirmedBy.includes(peer)
      ? { ...x, confirmedBy: [...x.confirmedBy, peer] }
      : x;
  return { ...reads, waiting: reads.waiting.map(confirm), round: confirm(reads.round) };
}

/** Leader: the reads a quorum (the leader among it) has confirmed, once its term has a committed entry. */
export function releaseConfirmed(
  reads: ModelReads,
  leader: { term: number; commitIndex: number; termCommitted: boolean; quorum: number },
): [ModelReads, Settled] {
  if (!leader.termCommitted) return [reads, NOTHING];
  const confirmed = (w: Waiter) => 1 + w.confirmedBy.length >= leader.quorum;
  const released = reads.waiting.filter(confirmed);
  return [
    { ...reads, waiting: reads.waiting.filter((w) => !confirmed(w)) },
    settle(released, leader.term, leader.commitIndex),
  ];
}

/** Leaving leadership of `term`: every read waiting is refused. */
export function refuseWaiting(reads: ModelReads, term: number): Settled {
  return settle(reads.waiting, term, null);
}

/** Follower: the asked reads `keep` rejects (asked of a leader no longer followed, or all) are refused. */
export function refuseAsked(reads: ModelReads, keep: (asked: Asked) => boolean): [ModelReads, Settled] {
  const gone = reads.asked.filter((a) => !keep(a));
  return [
    { ...reads, asked: reads.asked.filter(keep) },
    { answers: gone.flatMap((a) => a.ids.map((id) => ({ id, index: null }))), replies: [] },
  ];
}

/** Follower: `from` answered the ReadIndex `inReplyTo`; the reads it asked get that answer. */
export function takeAnswer(
  reads: ModelReads,
  from: string,
  inReplyTo: number,
  readIndex: number | null,
): [ModelReads, Settled] {
  const answers = (a: Asked) => a.rpcId === inReplyTo && a.leader === from;
  const settled = reads.asked.filter(answers);
  return [
    { ...reads, asked: reads.asked.filter((a) => !answers(a)) },
    { answers: settled.flatMap((a) => a.ids.map((id) => ({ id, index: readIndex }))), replies: [] },
  ];
}

export const refused = (ids: readonly number[]): Settled => ({
  answers: ids.map((id) => ({ id, index: null })),
  replies: [],
});
