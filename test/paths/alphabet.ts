/**
 * The event alphabet of the generated path tests: a finite, declared set of events for
 * node `a` of a three-node cluster (peers `b` and `c`), computed relative to the state it
 * is offered in (a term lower, equal or higher than the node's; a log that matches or
 * conflicts; granted and refused votes; proposals). Timeouts are offered by XState's
 * internal `after` event names, only in the states that own those timers.
 */
import type { SnapshotFrom } from 'xstate';
import type { NodeEvent, RaftContext, RaftMachine } from '../../machines/index.js';
import { roleOf } from '../../machines/index.js';

export type RaftSnapshot = SnapshotFrom<RaftMachine>;

/** A timeout, as XState names the event its `after` transition schedules. */
export interface Timeout {
  readonly type: `xstate.after.${string}`;
}

export type PathEvent = NodeEvent | Timeout;

export const ELECTION_TIMEOUT_FOLLOWER = 'xstate.after.electionTimeout.raft.follower.waiting';
export const ELECTION_TIMEOUT_CANDIDATE = 'xstate.after.electionTimeout.raft.candidate.campaigning';
export const HEARTBEAT = 'xstate.after.heartbeatInterval.raft.leader.heartbeating';

/** Bounds of the traversal: terms and log lengths above these are not explored further. */
export const MAX_TERM = Number(process.env.PATHS_MAX_TERM ?? 2);
export const MAX_LOG = Number(process.env.PATHS_MAX_LOG ?? 1);

/** rpcIds of the alphabet's requests (the node's own replies echo them). */
const PEER_RPC = 900;

/** Every event offered in `snapshot`. */
export function alphabet(snapshot: RaftSnapshot): PathEvent[] {
  const c = snapshot.context;
  const t = c.currentTerm;
  const { lastIndex: li, lastTerm: lt } = c.log;
  const role = roleOf(snapshot.value);
  const events: PathEvent[] = [];

  // Timeouts, where their timers are.
  if (role === 'follower') events.push({ type: ELECTION_TIMEOUT_FOLLOWER });
  if (role === 'candidate') events.push({ type: ELECTION_TIMEOUT_CANDIDATE });
  if (role === 'leader') events.push({ type: HEARTBEAT });

  // RequestVote: lower, equal and higher terms; an up-to-date and a stale log.
  const vote = (term: number, lastLogIndex: number, lastLogTerm: number, from = 'b'): NodeEvent => ({
    type: 'RequestVote',
    from,
    to: 'a',
    term,
    rpcId: PEER_RPC,
    lastLogIndex,
    lastLogTerm,
  });
  if (t > 0) events.push(vote(t - 1, li, lt));
  events.push(vote(t, li, lt), vote(t, li, lt, 'c'), vote(t + 1, li, lt));
  if (li > 0) events.push(vote(t + 1, 0, 0));
  // Last term decides before length: a longer log of an older term is behind, a shorter
  // log of a newer term is ahead.
  if (lt > 0) events.push(vote(t + 1, li + 1, lt - 1), vote(t + 1, Math.max(li - 1, 0), lt + 1));

  // Replies to the node's RequestVote: granted or refused in its term, or of a higher term.
  const voteReply = (term: number, voteGranted: boolean): NodeEvent => ({
    type: 'RequestVoteReply',
    from: 'b',
    to: 'a',
    term,
    inReplyTo: 1,
    voteGranted,
  });
  events.push(voteReply(t, true), voteReply(t, false), voteReply(t + 1, false));

  // AppendEntries: lower, equal and higher terms; a heartbeat that matches, one new entry,
  // a mismatching term at prevLogIndex, a prevLogIndex past the end, an overwrite.
  const append = (term: number, prev: number, prevTerm: number, entries: number[], leaderCommit: number) =>
    ({
      type: 'AppendEntries',
      from: 'b',
      to: 'a',
      term,
      rpcId: PEER_RPC,
      prevLogIndex: prev,
      prevLogTerm: prevTerm,
      entries: entries.map((entryTerm) => ({ term: entryTerm, command: `b${entryTerm}` })),
      leaderCommit,
    }) as const;
  if (t > 0) events.push(append(t - 1, li, lt, [], 0));
  events.push(append(t, li, lt, [], li), append(t + 1, li, lt, [], 0));
  // One new entry, committed at once or left uncommitted.
  events.push(append(t, li, lt, [t], li + 1), append(t, li, lt, [t], li));
  events.push(append(t, li + 1, t, [], 0));
  if (li > c.log.snapshotIndex) {
    events.push(append(t, li, lt + 1, [], 0));
    if (lt < t) events.push(append(t, li - 1, c.log.termAt(li - 1) ?? 0, [t], li));
  }

  // InstallSnapshot: lower, equal and higher terms, of a snapshot just past the log.
  const install = (term: number) =>
    ({
      type: 'InstallSnapshot',
      from: 'b',
      to: 'a',
      term,
      rpcId: PEER_RPC,
      lastIncludedIndex: li + 1,
      lastIncludedTerm: Math.max(t, 1),
      offset: 0,
      data: 'state',
      done: true,
    }) as const;
  if (t > 0) events.push(install(t - 1));
  events.push(install(t), install(t + 1));
  // An old snapshot, of what is already committed here: it must not take the node back.
  if (c.commitIndex > 0) {
    events.push({
      ...install(t),
      lastIncludedIndex: c.commitIndex,
      lastIncludedTerm: c.log.termAt(c.commitIndex) ?? 0,
    });
  }

  // Replies to the node's AppendEntries and InstallSnapshot.
  events.push(...repliesToLeader(c, t));

  // Local events.
  events.push({ type: 'Propose', commands: ['x'] }, { type: 'Flush' });
  events.push({ type: 'LogPersisted', index: li, term: lt });
  if (c.commitIndex > c.log.snapshotIndex)
    events.push({ type: 'Snapshot', index: c.commitIndex, data: 'app' });
  return events;
}

/** Follower b's answers: success, a rejection of the outstanding probe or of another request, a higher term. */
function repliesToLeader(c: RaftContext, t: number): NodeEvent[] {
  const probe = c.progress.b?.probeRpcId ?? null;
  const reply = { type: 'AppendEntriesReply', from: 'b', to: 'a' } as const;
  const conflict = { conflictTerm: 0, conflictIndex: 1, logLength: 0 };
  const events: NodeEvent[] = [
    { ...reply, term: t, inReplyTo: 1, success: true, matchIndex: c.log.lastIndex },
    { ...reply, term: t, inReplyTo: probe === null ? 1 : probe + 1000, success: false, conflict },
    { ...reply, term: t + 1, inReplyTo: 1, success: false },
    {
      type: 'InstallSnapshotReply',
      from: 'b',
      to: 'a',
      term: t,
      inReplyTo: 1,
      matchIndex: c.log.snapshotIndex,
    },
    { type: 'InstallSnapshotReply', from: 'b', to: 'a', term: t + 1, inReplyTo: 1, matchIndex: 0 },
  ];
  if (probe !== null) events.push({ ...reply, term: t, inReplyTo: probe, success: false, conflict });
  return events;
}

/** A compact, bounded description of what matters about a state, for the traversal. */
export function serializeSnapshot(snapshot: RaftSnapshot): string {
  const c = snapshot.context;
  const log = c.log as unknown as { terms?: () => number[] };
  const progress = Object.entries(c.progress).map(
    ([peer, p]) => `${peer}:${p.mode}:${p.matchIndex}:${p.nextIndex}:${p.probeRpcId === null ? '-' : 'p'}`,
  );
  return JSON.stringify([
    snapshot.value,
    c.currentTerm,
    c.votedFor,
    c.leaderId,
    c.votes,
    log.terms?.() ?? [],
    c.log.snapshotIndex,
    c.log.snapshotTerm,
    c.commitIndex,
    c.persistedIndex,
    progress,
  ]);
}

/** Whether a state is past the traversal's bounds. */
export function beyondBounds(snapshot: RaftSnapshot): boolean {
  return snapshot.context.currentTerm > MAX_TERM || snapshot.context.log.lastIndex > MAX_LOG;
}
