/**
 * The event alphabet of the generated path tests: a finite, declared set of events for
 * node `a` of a three-node cluster (peers `b` and `c`), computed relative to the state it
 * is offered in (a term lower, equal or higher than the node's; a log that matches or
 * conflicts; granted and refused votes; proposals; reads). Timeouts are offered by XState's
 * internal `after` event names, only in the states that own those timers.
 */
import type { SnapshotFrom } from 'xstate';
import type { InstallSnapshot, NodeEvent, RaftContext, RaftMachine } from '../../machines/index.js';
import { leaderWindowTicks, roleOf } from '../../machines/index.js';

export type RaftSnapshot = SnapshotFrom<RaftMachine>;

/** A timeout, as XState names the event its `after` transition schedules. */
export interface Timeout {
  readonly type: `xstate.after.${string}`;
}

export type PathEvent = NodeEvent | Timeout;

export const ELECTION_TIMEOUT_FOLLOWER = 'xstate.after.electionTimeout.raft.follower.waiting';
export const LEADER_LEASE = 'xstate.after.leaderLease.raft.follower.waiting.leased';
export const ELECTION_TIMEOUT_PRECANDIDATE = 'xstate.after.electionTimeout.raft.preCandidate.polling';
export const ELECTION_TIMEOUT_CANDIDATE = 'xstate.after.electionTimeout.raft.candidate.campaigning';
export const HEARTBEAT = 'xstate.after.heartbeatInterval.raft.leader.heartbeating';

/**
 * The paths' timing. The election timeout (the replay provides its maximum) is longer than
 * the leader lease (the minimum), so a follower's lease lapses before its election timer
 * fires; the leader's window (check-quorum, transfers) is two heartbeat intervals, so few
 * ticks reach it.
 */
export const PATH_TIMING = { heartbeatIntervalMs: 100, electionTimeoutMinMs: 200, electionTimeoutMaxMs: 300 };

/** Bounds of the traversal: terms and log lengths above these are not explored further. */
export const MAX_TERM = Number(process.env.PATHS_MAX_TERM ?? 2);
export const MAX_LOG = Number(process.env.PATHS_MAX_LOG ?? 1);
/** Reads a leader holds (batches) or a follower has asked of its leader, past which the traversal stops. */
export const MAX_READS = Number(process.env.PATHS_MAX_READS ?? 2);

/** rpcIds of the alphabet's requests (the node's own replies echo them). */
export const PEER_RPC = 900;
/** A follower's hint that its log is empty. */
const CONFLICT = { conflictTerm: 0, conflictIndex: 1, logLength: 0 };
/** ReadIndex requests and Read batches are renumbered per path (withFreshReadIds) from these. */
const READ_RPC = 2000;

/**
 * Every event offered in `snapshot`. While reads are pending (a leader holds some, or a
 * follower asked its leader), only the events that bear on them: what confirms them, commits
 * the leader's term, sends the round, answers them, or ends the role. The rest of the
 * protocol is explored in the states without reads; offering all of it with reads pending
 * multiplies every leader state by the reads' configurations.
 */
export function alphabet(snapshot: RaftSnapshot): PathEvent[] {
  const c = snapshot.context;
  if (c.reads.waiting.length > 0) return whileLeaderHoldsReads(c);
  if (c.reads.asked.length > 0) return whileFollowerAsks(c);
  if (c.log.lastIndex > MAX_LOG) return whileLogIsLong(c);
  return [...protocolEvents(c, roleOf(snapshot.value)), ...readEvents(c)];
}

export const vote = (term: number, lastLogIndex: number, lastLogTerm: number, from = 'b'): NodeEvent => ({
  type: 'RequestVote',
  from,
  to: 'a',
  term,
  rpcId: PEER_RPC,
  lastLogIndex,
  lastLogTerm,
});

/**
 * An AppendEntries from b with entries of `entries`' terms after prevLogIndex `prev`. Each
 * command names its index and term (`b2.1`), so an entry kept, dropped or put in the wrong
 * place shows in the log's contents.
 */
export const append = (
  term: number,
  prev: number,
  prevTerm: number,
  entries: number[],
  leaderCommit: number,
) =>
  ({
    type: 'AppendEntries',
    from: 'b',
    to: 'a',
    term,
    rpcId: PEER_RPC,
    prevLogIndex: prev,
    prevLogTerm: prevTerm,
    entries: entries.map((entryTerm, i) => ({ term: entryTerm, command: `b${prev + 1 + i}.${entryTerm}` })),
    leaderCommit,
  }) as const;

/**
 * A term a leader of term `t` could send in place of an entry of term `term`, so the two
 * conflict: its own term, or (when the entry already has it) the one before; none in term 1.
 */
function conflicting(term: number, t: number): number | null {
  if (term < t) return t;
  return term > 1 ? term - 1 : null;
}

/** The term at `index`, or inside the snapshot (where every entry is committed, so matches) its boundary's. */
export const termOrSnapshot = (c: RaftContext, index: number) => c.log.termAt(index) ?? c.log.snapshotTerm;

/** A read batch: its ids are made fresh per path (withFreshReadIds). */
/** A whole snapshot from b in `term`, one entry past a log that ends at `li` of term `t`. */
export const installJustPast = (term: number, li: number, t: number): InstallSnapshot => ({
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
});

export const READ: NodeEvent = { type: 'Read', ids: [0] };

export const readIndex = (term: number, from = 'b'): NodeEvent => ({
  type: 'ReadIndex',
  from,
  to: 'a',
  term,
  rpcId: READ_RPC,
});

/** Everything but reads, in a state without reads pending. */
function protocolEvents(c: RaftContext, role: string): PathEvent[] {
  const t = c.currentTerm;
  const { lastIndex: li, lastTerm: lt } = c.log;
  const events: PathEvent[] = [];

  // Timeouts, where their timers are.
  if (role === 'follower') events.push({ type: ELECTION_TIMEOUT_FOLLOWER });
  if (role === 'candidate') events.push({ type: ELECTION_TIMEOUT_CANDIDATE });
  if (role === 'leader') events.push({ type: HEARTBEAT });

  // RequestVote: lower, equal and higher terms; an up-to-date and a stale log.
  if (t > 0) events.push(vote(t - 1, li, lt));
  events.push(vote(t, li, lt), vote(t, li, lt, 'c'), vote(t + 1, li, lt));
  if (li > 0) events.push(vote(t + 1, 0, 0));
  // Last term decides before length: a longer log of an older term is behind, a shorter
  // log of a newer term is ahead.
  if (lt > 0) events.push(vote(t + 1, li + 1, lt - 1), vote(t + 1, Math.max(li - 1, 0), lt + 1));

  // Replies to the node's RequestVote: granted or refused in its term; of a higher term; a
  // vote granted in an earlier term, which counts toward no election of this one.
  const voteReply = (term: number, voteGranted: boolean): NodeEvent => ({
    type: 'RequestVoteReply',
    from: 'b',
    to: 'a',
    term,
    inReplyTo: 1,
    voteGranted,
  });
  events.push(voteReply(t, true), voteReply(t, false), voteReply(t + 1, false));
  // Granted out of its election, where one is counted: a candidate's, and a leader's (it won).
  if (role !== 'follower') {
    events.push(voteReply(t + 1, true));
    if (t > 0) events.push(voteReply(t - 1, true));
  }

  // AppendEntries: lower, equal and higher terms; a heartbeat that matches, one new entry,
  // a mismatching term at prevLogIndex, a prevLogIndex past the end, an overwrite.
  if (t > 0) events.push(append(t - 1, li, lt, [], 0));
  events.push(append(t, li, lt, [], li), append(t + 1, li, lt, [], 0));
  // The leader has committed more than this request vouches for: commit stops at li.
  events.push(append(t, li, lt, [], li + 1));
  // One new entry, with the leader's commit index past it, at it (committed at once) or
  // before it (left uncommitted).
  events.push(append(t, li, lt, [t], li + 1), append(t, li, lt, [t], li));
  events.push(append(t, li + 1, t, [], 0));
  // A leader refuses any request of its own term, whatever it carries: these matter elsewhere.
  if (role !== 'leader') events.push(append(t, li, lt, [t], li + 2));
  if (li > 0 && role !== 'leader') {
    // A stale heartbeat: it matches, vouches for one entry less than the log holds, and
    // must leave that entry and its commit alone.
    const before = termOrSnapshot(c, li - 1);
    events.push(append(t, li - 1, before, [], li));
    // The last entry again: it matches, so nothing changes.
    events.push(append(t, li - 1, before, [lt], li));
  }
  if (li > c.log.snapshotIndex) {
    events.push(append(t, li, lt + 1, [], 0));
    // An overwrite of the last entry (at or after the commit index, as the state has it).
    const other = conflicting(lt, t);
    if (other !== null) events.push(append(t, li - 1, c.log.termAt(li - 1) ?? 0, [other], li));
  }

  // InstallSnapshot: lower, equal and higher terms, of a snapshot just past the log.
  const install = (term: number) => installJustPast(term, li, t);
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
  events.push(...repliesToLeader(c, t, role));

  // Local events.
  events.push({ type: 'Propose', commands: ['x'] }, { type: 'Flush' });
  events.push({ type: 'LogPersisted', index: li, term: lt });
  if (c.commitIndex > c.log.snapshotIndex)
    events.push({ type: 'Snapshot', index: c.commitIndex, data: 'app' });
  return events;
}

/**
 * A follower (or candidate) whose log is one entry past MAX_LOG: only the requests that edit
 * or commit it, relative to its last two entries. A matching tail (one or both entries again:
 * whatever follows them must stay); a stale heartbeat; a conflict at the last entry, at the
 * one before it, and in the second of two entries (at, before or after the commit index, as
 * the state has it), and a new leader's overwrite; the leader's commit index past, at and
 * before the last entry a request vouches for; a snapshot older than the commit index. The
 * rest of the protocol is explored on the shorter logs.
 */
function whileLogIsLong(c: RaftContext): PathEvent[] {
  const t = c.currentTerm;
  const { lastIndex: li, lastTerm: lt } = c.log;
  const [first, prev] = [termOrSnapshot(c, li - 1), termOrSnapshot(c, li - 2)];
  const events: PathEvent[] = [
    append(t, li, lt, [], li),
    append(t, li, lt, [], li + 1),
    append(t, li - 1, first, [], li),
    append(t, li - 2, prev, [first], li),
    append(t, li - 2, prev, [first], li - 1),
    append(t, li - 2, prev, [first], li - 2),
    append(t, li - 2, prev, [first, lt], li),
  ];
  const [otherLast, otherFirst] = [conflicting(lt, t), conflicting(first, t)];
  if (otherLast !== null) {
    events.push(append(t, li - 1, first, [otherLast], li), append(t, li - 2, prev, [first, otherLast], li));
  }
  if (otherFirst !== null) events.push(append(t, li - 2, prev, [otherFirst], li - 1));
  if (t < MAX_TERM) events.push(append(t + 1, li - 1, first, [t + 1], li));
  if (c.commitIndex > c.log.snapshotIndex)
    events.push({ type: 'Snapshot', index: c.commitIndex, data: 'app' });
  // A snapshot older than the commit index but past the log's own: it must not take the node back.
  const older = c.commitIndex - 1;
  if (older > c.log.snapshotIndex) {
    events.push({
      type: 'InstallSnapshot',
      from: 'b',
      to: 'a',
      term: t,
      rpcId: PEER_RPC,
      lastIncludedIndex: older,
      lastIncludedTerm: termOrSnapshot(c, older),
      offset: 0,
      data: 'state',
      done: true,
    });
  }
  return events;
}

/**
 * Reads in every role: a batch of the node's own; a follower's ReadIndex of a lower, equal
 * or higher term; replies to ReadIndex requests of lower, equal and higher terms.
 */
function readEvents(c: RaftContext): NodeEvent[] {
  const t = c.currentTerm;
  const { waiting } = c.reads;
  // Compaction has no bearing on reads: a leader is given reads only without a snapshot.
  const leaderTakes = c.leaderId !== c.id || c.log.snapshotIndex === 0;
  const events: NodeEvent[] = [];
  // Up to MAX_READS batches; past them, only one that joins the last (no request sent since).
  // A leader takes a second batch only once its term has an entry committed: then one batch
  // can be released before the next.
  const held = Math.max(waiting.length, c.reads.asked.length);
  const joins = waiting.at(-1)?.kind === 'local' && waiting.at(-1)?.after === c.nextRpcId;
  const termCommitted = c.log.termAt(c.commitIndex) === t;
  const room = held === 0 || (held < MAX_READS && (waiting.length === 0 || termCommitted));
  if (leaderTakes && (room || joins)) events.push(READ);
  if (t > 0) events.push(readIndex(t - 1));
  // A leader takes a follower's request first, before its own batches.
  if (leaderTakes && waiting.length === 0) events.push(readIndex(t), readIndex(t, 'c'));
  events.push(readIndex(t + 1));
  events.push(...readIndexReplies(c, t));
  return events;
}

/**
 * A leader holding reads: more reads; the round (Flush) and heartbeats; a proposal and its
 * log made durable;
 * the followers' replies, which confirm reads, bring the round back and commit; a higher
 * term, which ends its leadership and refuses them.
 */
function whileLeaderHoldsReads(c: RaftContext): PathEvent[] {
  const t = c.currentTerm;
  const { lastIndex: li, lastTerm: lt } = c.log;
  const events: PathEvent[] = [{ type: HEARTBEAT }, { type: 'Flush' }];
  // One entry past a full log, all committed and of this term, with one batch waiting: a read
  // released while an entry is not yet committed (its index is the commit index, not the last).
  const full = li === MAX_LOG && c.commitIndex === li && lt === t;
  if (full && c.reads.waiting.length === 1) events.push({ type: 'Propose', commands: ['x'] });
  if (c.persistedIndex < li) events.push({ type: 'LogPersisted', index: li, term: lt });
  if (li <= MAX_LOG && readEvents(c).includes(READ)) events.push(READ);
  events.push(readIndex(t + 1));
  return [...events, ...repliesWhileReadsWait(c)];
}

/**
 * Replies from b and c of the leader's term while reads wait: to its latest request (sent
 * before the reads arrived, or after), and to the first one sent after the oldest read:
 * exactly the boundary. Successes (which also commit), and rejections that count: any in
 * replicate mode, the outstanding probe's in probe mode.
 */
function repliesWhileReadsWait(c: RaftContext): NodeEvent[] {
  const t = c.currentTerm;
  const latest = c.nextRpcId - 1;
  const reply = { type: 'AppendEntriesReply', to: 'a', term: t } as const;
  const accepted = { ...reply, success: true, matchIndex: c.log.lastIndex } as const;
  const refused = { ...reply, from: 'b', success: false, conflict: CONFLICT } as const;
  const events: NodeEvent[] = [
    { ...accepted, from: 'b', inReplyTo: latest },
    { ...accepted, from: 'c', inReplyTo: latest },
  ];
  const oldest = c.reads.waiting[0]!;
  // Of an older term, to a request sent after the oldest read: counted, it would confirm it.
  if (t > 0 && latest >= oldest.after)
    events.push({ ...accepted, from: 'b', term: t - 1, inReplyTo: latest });
  if (latest > oldest.after) events.push({ ...accepted, from: 'b', inReplyTo: oldest.after });
  const b = c.progress.b;
  if (b?.mode === 'replicate') events.push({ ...refused, inReplyTo: latest });
  if (b?.probeRpcId != null) events.push({ ...refused, inReplyTo: b.probeRpcId });
  return events;
}

/**
 * A follower that asked its leader: more reads; the leader's answers (and others'); its
 * heartbeat, of this term and of a higher one (the same leader, re-elected); a higher term
 * without a leader, and its own election timeout, which refuse what it asked.
 */
function whileFollowerAsks(c: RaftContext): PathEvent[] {
  const t = c.currentTerm;
  const { lastIndex: li, lastTerm: lt } = c.log;
  return [
    { type: ELECTION_TIMEOUT_FOLLOWER },
    ...(c.reads.asked.length < MAX_READS ? [READ] : []),
    readIndex(t),
    append(t, li, lt, [], c.commitIndex),
    append(t + 1, li, lt, [], c.commitIndex),
    vote(t + 1, li, lt),
    ...readIndexReplies(c, t),
  ];
}

/**
 * Leaders' answers to this node's ReadIndex: one that answers nothing, in every role; where
 * a read is asked, its leader's answer (a read index or a refusal) and the same rpcId from
 * another node. Terms lower, equal and higher: the answer stands whatever the terms.
 */
function readIndexReplies(c: RaftContext, t: number): NodeEvent[] {
  const terms = t > 0 ? [t - 1, t, t + 1] : [t, t + 1];
  const reply = (from: string, term: number, inReplyTo: number, readIndex: number | null): NodeEvent => ({
    type: 'ReadIndexReply',
    from,
    to: 'a',
    term,
    inReplyTo,
    readIndex,
  });
  // Past this node's commit index: the follower must take the leader's, never its own.
  const index = c.commitIndex + 1;
  // nextRpcId is no request yet.
  const events = terms.map((term) => reply('b', term, c.nextRpcId, index));
  const [first] = c.reads.asked;
  if (first !== undefined) {
    for (const term of terms) events.push(reply(first.leader, term, first.rpcId, index));
    for (const term of terms) events.push(reply(first.leader, term, first.rpcId, null));
    events.push(reply(first.leader === 'c' ? 'b' : 'c', t, first.rpcId, index));
  }
  const last = c.reads.asked.at(-1);
  if (last !== undefined && last !== first) events.push(reply(last.leader, t, last.rpcId, index));
  return events;
}

/**
 * Read batches get ids [step], ReadIndex requests rpcId READ_RPC + step: fresh in every path,
 * so an answer names the one read it settles. The chart only carries them, never reads them.
 */
export function withFreshReadIds(events: readonly PathEvent[]): PathEvent[] {
  return events.map((event, i) => {
    if (event.type === 'Read') return { ...event, ids: [i + 1] };
    if (event.type === 'ReadIndex') return { ...event, rpcId: READ_RPC + i + 1 };
    return event;
  });
}

/**
 * Follower b's answers: success, a rejection of the outstanding probe or of an older request,
 * a higher term; to a leader, a success and a snapshot installed of an older term, which count
 * for nothing.
 */
function repliesToLeader(c: RaftContext, t: number, role: string): NodeEvent[] {
  const probe = c.progress.b?.probeRpcId ?? null;
  const reply = { type: 'AppendEntriesReply', from: 'b', to: 'a' } as const;
  const conflict = CONFLICT;
  const events: NodeEvent[] = [
    { ...reply, term: t, inReplyTo: 1, success: true, matchIndex: c.log.lastIndex },
    { ...reply, term: t, inReplyTo: probe === null ? 1 : probe - 1, success: false, conflict },
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
  // Only a leader counts replies: there an older one must not.
  if (t > 0 && role === 'leader') {
    events.push(
      { ...reply, term: t - 1, inReplyTo: 1, success: true, matchIndex: c.log.lastIndex },
      {
        type: 'InstallSnapshotReply',
        from: 'b',
        to: 'a',
        term: t - 1,
        inReplyTo: 1,
        matchIndex: c.log.lastIndex,
      },
    );
  }
  return events;
}

/**
 * A compact, bounded description of what matters about a state, for the traversal. Per-peer
 * progress matters to a leader only (a new leader starts it afresh) and the votes to a
 * candidate only (each election starts them afresh): elsewhere they are stale, and left out.
 */
export function serializeSnapshot(snapshot: RaftSnapshot): string {
  const c = snapshot.context;
  const role = roleOf(snapshot.value);
  const log = c.log as unknown as { shape?: () => string[] };
  // The production setup explores leaders' ticks and membership instead: there each peer's
  // match alone (what commits), or the leader states multiply past the time budget.
  const progress =
    role === 'leader'
      ? Object.entries(c.progress).map(([peer, p]) =>
          c.features.checkQuorum
            ? `${peer}:${p.matchIndex}`
            : `${peer}:${p.mode}:${p.matchIndex}:${p.nextIndex}:${p.probeRpcId === null ? '-' : 'p'}`,
        )
      : [];
  return JSON.stringify([
    snapshot.value,
    c.currentTerm,
    c.votedFor,
    c.leaderId,
    role === 'candidate' || role === 'preCandidate' ? c.votes : [],
    role === 'preCandidate' && c.preVoteRound > 1 ? 1 : 0,
    log.shape?.() ?? [],
    c.config,
    c.log.snapshotIndex,
    c.log.snapshotTerm,
    c.commitIndex,
    c.persistedIndex,
    progress,
    // The production setup gives no reads to a leader: their state there is its first round's.
    c.features.checkQuorum ? [] : readsOf(c),
    role === 'leader' ? leadershipOf(c) : [],
  ]);
}

/**
 * A leader's heartbeat ticks and transfer, where the production alphabet offers ticks (an
 * empty log, or a transfer under way): ticks up to the window (past it only how long ago
 * each member answered matters), each member's age in ticks while within the window, the
 * transfer's.
 */
function leadershipOf(c: RaftContext): unknown[] {
  if (c.transfer === null && (!c.features.checkQuorum || c.log.lastIndex > 0)) return [];
  const window = leaderWindowTicks(c.timing);
  const ages = Object.entries(c.heardAt)
    .filter(([, at]) => c.leaderTicks - at <= window)
    .map(([member, at]) => `${member}:${c.leaderTicks - at}`)
    .sort();
  const { transfer } = c;
  return [
    Math.min(c.leaderTicks, window),
    ages,
    transfer === null
      ? null
      : [transfer.to, Math.min(c.leaderTicks - transfer.sinceTick, window), transfer.timeoutNowSent],
  ];
}

/**
 * The reads, as far as the alphabet tells them apart: for each waiting batch, who asked, and
 * whether a quorum has confirmed it (it waits for its term's entry to commit) or else whether
 * a request went out since it arrived; a leader's round due, and whether its latest round
 * came back; a follower's asked reads by leader. Absolute rpcIds and read ids never matter.
 */
function readsOf(c: RaftContext): unknown[] {
  const { waiting, acked, roundDue, round, asked } = c.reads;
  const quorum = Math.floor((c.peers.length + 1) / 2) + 1;
  const answered = (rpcId: number) => 1 + c.peers.filter((p) => (acked[p] ?? 0) >= rpcId).length >= quorum;
  const batches = waiting.map((w) => {
    const status = answered(w.after) ? 'ok' : c.nextRpcId > w.after ? 'sent' : 'new';
    return `${w.kind === 'local' ? 'own' : w.from}:${status}`;
  });
  const leads = c.leaderId === c.id;
  return [batches, roundDue ? 1 : 0, leads && answered(round) ? 1 : 0, asked.map((a) => a.leader)];
}

/** Whether a state is past the traversal's bounds. */
export function beyondBounds(snapshot: RaftSnapshot): boolean {
  const c = snapshot.context;
  // A leader holding reads may hold one entry more (whileLeaderHoldsReads), and so may any
  // other role (whileLogIsLong).
  const longer = c.reads.waiting.length > 0 || roleOf(snapshot.value) !== 'leader';
  const maxLog = longer ? MAX_LOG + 1 : MAX_LOG;
  return (
    c.currentTerm > MAX_TERM ||
    c.log.lastIndex > maxLog ||
    // A committed entry was overwritten (an alphabet's conflict before the commit index): the
    // step is checked, but no cluster reaches that state to go on from it.
    c.commitIndex > c.log.lastIndex ||
    c.reads.waiting.length > MAX_READS ||
    c.reads.asked.length > MAX_READS
  );
}
