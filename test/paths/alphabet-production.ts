/**
 * The event alphabet of the production setup (pre-vote and check-quorum on): for node `a`
 * of {a, b, c}, what the thesis's extensions bear on, relative to the state it is offered
 * in. Pre-votes and their replies (this round's, an older round's, of a higher term);
 * RequestVotes within and past the leader lease, and a transfer's; TimeoutNow; a leader's
 * heartbeat ticks with and without answers (check-quorum), transfers, and membership
 * changes; a leader's configuration entry that makes `a` a learner. The rest of the
 * protocol (reads, snapshots, conflicts) is the paper setup's (alphabet.ts); here only what
 * reaches and leaves the new states. Bounds are tight: terms to 1, logs to 2 entries.
 */
import type { NodeEvent, RaftContext } from '../../machines/index.js';
import { roleOf } from '../../machines/index.js';
import type { PathEvent, RaftSnapshot } from './alphabet.js';
import {
  ELECTION_TIMEOUT_CANDIDATE,
  ELECTION_TIMEOUT_FOLLOWER,
  ELECTION_TIMEOUT_PRECANDIDATE,
  HEARTBEAT,
  LEADER_LEASE,
  PEER_RPC,
  READ,
  append,
  installJustPast,
  readIndex,
  vote,
} from './alphabet.js';

export const PRODUCTION_MAX_TERM = 1;
export const PRODUCTION_MAX_LOG = 2;

const preVote = (term: number, lastLogIndex: number, lastLogTerm: number, from = 'b'): NodeEvent => ({
  type: 'PreVote',
  from,
  to: 'a',
  term,
  rpcId: PEER_RPC,
  lastLogIndex,
  lastLogTerm,
});

const preVoteReply = (term: number, voteGranted: boolean, inReplyTo: number, from = 'b'): NodeEvent => ({
  type: 'PreVoteReply',
  from,
  to: 'a',
  term,
  inReplyTo,
  voteGranted,
});

const voteReply = (term: number, voteGranted: boolean, from = 'b'): NodeEvent => ({
  type: 'RequestVoteReply',
  from,
  to: 'a',
  term,
  inReplyTo: 1,
  voteGranted,
});

const timeoutNow = (term: number): NodeEvent => ({
  type: 'TimeoutNow',
  from: 'b',
  to: 'a',
  term,
  rpcId: PEER_RPC,
});

/** A RequestVote the leader asked for with TimeoutNow: past leader stickiness. */
const transferVote = (term: number, c: RaftContext, from = 'c'): NodeEvent => ({
  ...(vote(term, c.log.lastIndex, c.log.lastTerm, from) as Extract<NodeEvent, { type: 'RequestVote' }>),
  transfer: true,
});

/** Leader b's configuration entry that makes `a` a learner (b and c vote). */
function learnerEntry(c: RaftContext): NodeEvent {
  const { lastIndex: li, lastTerm: lt } = c.log;
  const t = c.currentTerm;
  return {
    ...(append(t, li, lt, [], li) as Extract<NodeEvent, { type: 'AppendEntries' }>),
    entries: [{ term: t, command: null, config: { voters: ['b', 'c'], learners: ['a'], addresses: {} } }],
  };
}

/** Every event offered in `snapshot`, by role. */
export function productionAlphabet(snapshot: RaftSnapshot): PathEvent[] {
  const c = snapshot.context;
  switch (roleOf(snapshot.value)) {
    case 'follower':
      return followerEvents(c, JSON.stringify(snapshot.value).includes('"leased"'));
    case 'preCandidate':
      return preCandidateEvents(c);
    case 'candidate':
      return candidateEvents(c);
    case 'leader':
      return leaderEvents(c);
  }
}

/**
 * Within the lease, a RequestVote of a later term (refused while a leader is heard from), a
 * transfer's (granted); past it, the election timer. Pre-votes of a later term with an
 * up-to-date and a stale log, and of the same term; the leader's heartbeats and entries.
 */
function followerEvents(c: RaftContext, leased: boolean): PathEvent[] {
  const t = c.currentTerm;
  const { lastIndex: li, lastTerm: lt } = c.log;
  const events: PathEvent[] = [{ type: leased ? LEADER_LEASE : ELECTION_TIMEOUT_FOLLOWER }];
  events.push(vote(t + 1, li, lt), transferVote(t + 1, c), vote(t, li, lt, 'c'));
  events.push(preVote(t + 1, li, lt), preVote(t, li, lt));
  if (li > 0) events.push(preVote(t + 1, 0, 0));
  events.push(append(t, li, lt, [], li), append(t + 1, li, lt, [], li));
  if (li < PRODUCTION_MAX_LOG && t > 0) events.push(append(t, li, lt, [t], li), learnerEntry(c));
  events.push(timeoutNow(t));
  if (t > 0) events.push(timeoutNow(t - 1));
  events.push(preVoteReply(t + 1, false, 1));
  return events;
}

/**
 * Pre-vote replies of this round (granted, refused), of the round before, of a higher term;
 * the requests and replies that end the round, and those that leave it be.
 */
function preCandidateEvents(c: RaftContext): PathEvent[] {
  const t = c.currentTerm;
  const { lastIndex: li, lastTerm: lt } = c.log;
  const round = c.preVoteRound;
  const events: PathEvent[] = [{ type: ELECTION_TIMEOUT_PRECANDIDATE }];
  events.push(preVoteReply(t, true, round), preVoteReply(t, false, round), preVoteReply(t + 1, false, round));
  if (round > 1) events.push(preVoteReply(t, true, round - 1));
  events.push(preVote(t + 1, li, lt, 'c'), preVote(t, li, lt, 'c'));
  events.push(vote(t + 1, li, lt), vote(t, li, lt), voteReply(t + 1, false));
  if (t > 0) events.push(append(t - 1, li, lt, [], 0));
  events.push(append(t, li, lt, [], li));
  events.push({ type: 'AppendEntriesReply', from: 'b', to: 'a', term: t + 1, inReplyTo: 1, success: false });
  const install = (term: number) => installJustPast(term, li, t);
  if (t > 0) events.push(install(t - 1));
  events.push(install(t));
  events.push({ type: 'InstallSnapshotReply', from: 'b', to: 'a', term: t + 1, inReplyTo: 1, matchIndex: 0 });
  events.push(timeoutNow(t), READ, readIndex(t + 1), readIndex(t));
  events.push({ type: 'ReadIndexReply', from: 'b', to: 'a', term: t + 1, inReplyTo: 1, readIndex: null });
  return events;
}

/** A vote that wins, one from a non-member (it counts for nothing); pre-votes; TimeoutNow. */
function candidateEvents(c: RaftContext): PathEvent[] {
  const t = c.currentTerm;
  const { lastIndex: li, lastTerm: lt } = c.log;
  return [
    { type: ELECTION_TIMEOUT_CANDIDATE },
    voteReply(t, true),
    voteReply(t, true, 'd'),
    preVote(t + 1, li, lt),
    preVote(t, li, lt),
    preVoteReply(t + 1, false, 1),
    timeoutNow(t + 1),
    timeoutNow(t),
    append(t, li, lt, [], li),
  ];
}

/**
 * Heartbeat ticks (see below), and each member's answer to the latest request (so check-quorum sees who
 * answered when); proposals and their durability; RequestVotes (sticky, and a transfer's),
 * pre-votes, TimeoutNow and a heartbeat of a later term; a transfer to b (and to itself,
 * refused); membership changes, of which the rules refuse some.
 */
function leaderEvents(c: RaftContext): PathEvent[] {
  const t = c.currentTerm;
  const { lastIndex: li, lastTerm: lt } = c.log;
  // Ticks where they bear on check-quorum without entries to commit, and on a transfer: with
  // every log and membership they would multiply the states past the time budget.
  const events: PathEvent[] = li === 0 || c.transfer !== null ? [{ type: HEARTBEAT }] : [];
  // b and c answer; d, once added, never does (a server not yet started).
  for (const from of c.peers.filter((peer) => peer !== 'd')) {
    events.push({
      type: 'AppendEntriesReply',
      from,
      to: 'a',
      term: t,
      inReplyTo: c.nextRpcId - 1,
      success: true,
      matchIndex: li,
    });
  }
  events.push({ type: 'Propose', commands: ['x'] });
  if (c.persistedIndex < li) events.push({ type: 'LogPersisted', index: li, term: lt });
  events.push(vote(t + 1, li, lt), transferVote(t + 1, c), preVote(t + 1, li, lt));
  events.push(preVoteReply(t + 1, false, 1), timeoutNow(t + 1));
  // A transfer in the bootstrap configuration only, and a change only without a transfer
  // under way: the two multiply the leader states, and neither rule reads the other.
  if (c.transfer === null && c.configIndex === 0) {
    events.push({ type: 'TransferLeadership', to: 'b' }, { type: 'TransferLeadership', to: 'a' });
  }
  if (c.transfer === null) {
    for (const change of [
      { type: 'addVoter', id: 'd' },
      { type: 'addLearner', id: 'd' },
      { type: 'remove', id: 'a' },
      { type: 'remove', id: 'b' },
      { type: 'promote', id: 'b' },
    ] as const) {
      events.push({ type: 'ChangeConfig', change });
    }
  }
  events.push(append(t + 1, li, lt, [], 0));
  return events;
}

/**
 * Whether a state is past the production setup's bounds: terms past 1 are reached (by a
 * pre-vote round's election, a transfer, a later term's request) but not explored, since a
 * second term would go through every state of the first again.
 */
export function beyondProductionBounds(snapshot: RaftSnapshot): boolean {
  const c = snapshot.context;
  return (
    c.currentTerm > PRODUCTION_MAX_TERM ||
    c.log.lastIndex > PRODUCTION_MAX_LOG ||
    c.commitIndex > c.log.lastIndex
  );
}
