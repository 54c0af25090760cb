/**
 * The oracle of the generated path tests: a small reference model of the Raft rules
 * (Figure 2 of the paper, and section 7's snapshots) for node `a` of the cluster {a, b, c}.
 * It is written from the paper, not from machines/: it shares no code with the statechart
 * and never reads the machine's answer. For each event it predicts the node's role, term,
 * vote, known leader, log (every entry's term and command, and the snapshot's boundary) and
 * commit index, the messages the node must send in that step, and the reads it answers
 * (reference-reads.ts).
 */
import type { PathEvent } from './alphabet.js';
import { ELECTION_TIMEOUT_CANDIDATE, ELECTION_TIMEOUT_FOLLOWER, HEARTBEAT } from './alphabet.js';
import type { Answer, ModelReads, Settled } from './reference-reads.js';
import {
  NOTHING,
  NO_MODEL_READS,
  answeredBy,
  hold,
  joinSettled,
  readIndexReply,
  readRoundDue,
  refuseAsked,
  refuseWaiting,
  refused,
  releaseConfirmed,
  roundSent,
  takeAnswer,
} from './reference-reads.js';

export type ModelRole = 'follower' | 'candidate' | 'leader';

/** A log entry: the term it was made in and its command (the alphabet's commands are strings). */
export interface ModelEntry {
  readonly term: number;
  readonly command: string;
}

export interface Model {
  readonly role: ModelRole;
  readonly term: number;
  readonly votedFor: string | null;
  /** Who the node believes leads its term: the sender of its AppendEntries or snapshot, or itself. */
  readonly leader: string | null;
  readonly votes: readonly string[];
  /** The entries after the snapshot. */
  readonly entries: readonly ModelEntry[];
  readonly snapshotIndex: number;
  readonly snapshotTerm: number;
  readonly commitIndex: number;
  /** How far the node's own log is known durable. */
  readonly persisted: number;
  /** Leader only: how far each follower is known to match. */
  readonly match: Readonly<Record<string, number>>;
  /**
   * When the current role's timer was (re)started: on entering a role, on a granted vote or
   * an AppendEntries or InstallSnapshot of the current leader, on each new election and
   * each heartbeat; never on a refusal.
   */
  readonly armedAt: number;
  readonly reads: ModelReads;
  /** rpcIds of every request the node sent, in order, as seen on the wire. */
  readonly sent: readonly number[];
}

/** A message the node must send, as far as the rules fix it. */
export interface Expected {
  readonly type: string;
  readonly to: string;
  readonly term: number;
  /** Replies: the request answered. */
  readonly inReplyTo?: number;
  readonly voteGranted?: boolean;
  readonly success?: boolean;
  readonly matchIndex?: number;
  readonly lastLogIndex?: number;
  readonly lastLogTerm?: number;
  readonly readIndex?: number | null;
}

/** A request the node sent, as the model learns its rpcId. */
export interface SentRequest {
  readonly type: string;
  readonly to: string;
  readonly rpcId: number;
}

/** What the node must do in one step: the model after it, messages sent, reads answered. */
export interface Prediction {
  readonly model: Model;
  readonly sent: readonly Expected[];
  readonly answers: readonly Answer[];
  /**
   * A leader's Flush that is no read round: it sends new entries only, never an empty
   * AppendEntries (one round out at a time).
   */
  readonly entriesOnly: boolean;
}

const ME = 'a';
const PEERS = ['b', 'c'];
const QUORUM = 2;

export const INITIAL_MODEL: Model = {
  role: 'follower',
  term: 0,
  votedFor: null,
  leader: null,
  votes: [],
  entries: [],
  snapshotIndex: 0,
  snapshotTerm: 0,
  commitIndex: 0,
  persisted: 0,
  match: {},
  armedAt: 0,
  reads: NO_MODEL_READS,
  sent: [],
};

/** When the timer of the model's role fires, given the test timing. */
export function timerDueAt(
  m: Model,
  timing: { heartbeatIntervalMs: number; electionTimeoutMinMs: number },
): number {
  return m.armedAt + (m.role === 'leader' ? timing.heartbeatIntervalMs : timing.electionTimeoutMinMs);
}

export const lastIndex = (m: Model) => m.snapshotIndex + m.entries.length;
const lastTerm = (m: Model) => m.entries.at(-1)?.term ?? m.snapshotTerm;
function termAt(m: Model, index: number): number | undefined {
  if (index === m.snapshotIndex) return m.snapshotTerm;
  if (index < m.snapshotIndex) return index === 0 ? 0 : undefined;
  return m.entries[index - m.snapshotIndex - 1]?.term;
}

/** Rules for all servers: a higher term makes the node a follower of that term, with no vote. */
function observe(m: Model, term: number): Model {
  return term > m.term
    ? { ...m, term, votedFor: null, leader: null, votes: [], role: 'follower', match: {} }
    : m;
}

/** The leader's commit: the highest index a quorum holds, if it is of the current term. */
function commit(m: Model): Model {
  if (m.role !== 'leader') return m;
  const held = [m.persisted, ...PEERS.map((p) => m.match[p] ?? 0)].sort((x, y) => y - x);
  const n = held[QUORUM - 1]!;
  return n > m.commitIndex && termAt(m, n) === m.term ? { ...m, commitIndex: n } : m;
}

function becomeCandidate(m: Model, now: number): [Model, Expected[]] {
  const next: Model = {
    ...m,
    role: 'candidate',
    term: m.term + 1,
    votedFor: ME,
    leader: null,
    votes: [ME],
    armedAt: now,
  };
  const requests = PEERS.map((to) => ({
    type: 'RequestVote',
    to,
    term: next.term,
    lastLogIndex: lastIndex(next),
    lastLogTerm: lastTerm(next),
  }));
  return [next, requests];
}

const heartbeats = (m: Model): Expected[] => PEERS.map((to) => ({ type: 'AppendEntries', to, term: m.term }));

/**
 * One step at virtual time `now`: the model after `event`, what the node must send while
 * handling it, and the reads it settles. `requests` are the requests the node sent in this
 * step: the model takes their rpcIds (the node's choice) from there.
 */
export function step(m: Model, event: PathEvent, now: number, requests: readonly SentRequest[]): Prediction {
  const [ruled, sent, settled = NOTHING] = rule(m, event, now, requests);
  // Stepping down into follower starts the follower's timer.
  const armedAt = ruled.role === 'follower' && m.role !== 'follower' ? now : ruled.armedAt;
  let next: Model = { ...ruled, armedAt, sent: [...m.sent, ...requests.map((r) => r.rpcId)] };
  const parts: Settled[] = [settled];
  // Reads after the step: leaving a role ends its reads; a leader releases what is confirmed.
  if (m.role === 'leader' && next.role !== 'leader') {
    parts.push(refuseWaiting(m.reads, m.term));
    next = { ...next, reads: { ...next.reads, waiting: [], roundDue: false } };
  }
  if (next.role === 'follower' || m.role === 'follower') {
    const following = next.role === 'follower' ? next.leader : null;
    const [reads, gone] = refuseAsked(next.reads, (a) => a.leader === following);
    parts.push(gone);
    next = { ...next, reads };
  }
  if (next.role === 'leader') {
    const [reads, released] = releaseConfirmed(next.reads, {
      term: next.term,
      commitIndex: next.commitIndex,
      termCommitted: termAt(next, next.commitIndex) === next.term,
      quorum: QUORUM,
    });
    parts.push(released);
    next = { ...next, reads };
  }
  const { answers, replies } = joinSettled(...parts);
  const entriesOnly = event.type === 'Flush' && m.role === 'leader' && !readRoundDue(m.reads, QUORUM);
  return { model: next, sent: [...sent, ...replies], answers, entriesOnly };
}

/** The rule for `event`: the model after it, what it sends, and the reads it settles itself. */
function rule(
  m: Model,
  event: PathEvent,
  now: number,
  requests: readonly SentRequest[],
): [Model, Expected[], Settled?] {
  switch (event.type) {
    case ELECTION_TIMEOUT_FOLLOWER:
    case ELECTION_TIMEOUT_CANDIDATE:
      return becomeCandidate(m, now);
    case HEARTBEAT:
      return [{ ...m, armedAt: now, reads: roundSent(m.reads, m.sent.length) }, heartbeats(m)];

    case 'RequestVote': {
      const n = observe(m, event.term);
      const upToDate =
        event.lastLogTerm > lastTerm(n) ||
        (event.lastLogTerm === lastTerm(n) && event.lastLogIndex >= lastIndex(n));
      const grant = event.term === n.term && (n.votedFor === null || n.votedFor === event.from) && upToDate;
      const after = grant ? { ...n, votedFor: event.from, armedAt: now } : n;
      return [
        after,
        [
          {
            type: 'RequestVoteReply',
            to: event.from,
            term: after.term,
            inReplyTo: event.rpcId,
            voteGranted: grant,
          },
        ],
      ];
    }

    case 'RequestVoteReply': {
      let n = observe(m, event.term);
      if (
        n.role === 'candidate' &&
        event.term === n.term &&
        event.voteGranted &&
        !n.votes.includes(event.from)
      ) {
        n = { ...n, votes: [...n.votes, event.from] };
      }
      if (n.role === 'candidate' && n.votes.length >= QUORUM) {
        // Its first heartbeats are a round.
        const reads = roundSent(NO_MODEL_READS, m.sent.length);
        n = { ...n, role: 'leader', leader: ME, match: {}, armedAt: now, reads };
        return [n, heartbeats(n)];
      }
      return [n, []];
    }

    case 'AppendEntries': {
      const refuse = (n: Model): [Model, Expected[]] => [
        n,
        [
          {
            type: 'AppendEntriesReply',
            to: event.from,
            term: n.term,
            inReplyTo: event.rpcId,
            success: false,
          },
        ],
      ];
      if (event.term < m.term) return refuse(m);
      let n = observe(m, event.term);
      if (n.role === 'leader') return refuse(n); // its own term: never two leaders
      // The current leader spoke: the follower's timer restarts, whether or not the logs match.
      n = { ...n, role: 'follower', leader: event.from, armedAt: now };
      // Entries inside the snapshot are committed, so they match: check from its boundary.
      let prev = event.prevLogIndex;
      let prevTerm = event.prevLogTerm;
      let entries = event.entries.map((e): ModelEntry => ({ term: e.term, command: String(e.command) }));
      if (prev < n.snapshotIndex) {
        entries = entries.slice(n.snapshotIndex - prev);
        prev = n.snapshotIndex;
        prevTerm = n.snapshotTerm;
      }
      if (termAt(n, prev) !== prevTerm) return refuse(n);
      // An entry already there with the same term stays, and so does all that follows it;
      // a conflict drops the entry and all that follows, then the request's entries go on.
      let log = [...n.entries];
      let persisted = n.persisted;
      entries.forEach((entry, i) => {
        const index = prev + 1 + i;
        const position = index - n.snapshotIndex - 1;
        if (log[position]?.term === entry.term) return;
        if (position < log.length) {
          log = log.slice(0, position);
          persisted = Math.min(persisted, index - 1);
        }
        log.push(entry);
      });
      const vouched = event.prevLogIndex + event.entries.length;
      const commitIndex = Math.max(n.commitIndex, Math.min(event.leaderCommit, vouched));
      n = { ...n, entries: log, persisted, commitIndex };
      return [
        n,
        [
          {
            type: 'AppendEntriesReply',
            to: event.from,
            term: n.term,
            inReplyTo: event.rpcId,
            success: true,
            matchIndex: vouched,
          },
        ],
      ];
    }

    case 'AppendEntriesReply': {
      let n = answered(observe(m, event.term), event);
      if (n.role === 'leader' && event.term === n.term && event.success) {
        n = commit({
          ...n,
          match: { ...n.match, [event.from]: Math.max(n.match[event.from] ?? 0, event.matchIndex) },
        });
      }
      return [n, []];
    }

    case 'InstallSnapshot': {
      const reply = (n: Model, matchIndex: number): Expected[] => [
        { type: 'InstallSnapshotReply', to: event.from, term: n.term, inReplyTo: event.rpcId, matchIndex },
      ];
      if (event.term < m.term) return [m, reply(m, 0)];
      let n = observe(m, event.term);
      if (n.role === 'leader') return [n, reply(n, 0)];
      n = { ...n, role: 'follower', leader: event.from, armedAt: now };
      const index = event.lastIncludedIndex;
      if (index > n.commitIndex && index > n.snapshotIndex) {
        const keeps = termAt(n, index) === event.lastIncludedTerm;
        n = {
          ...n,
          entries: keeps ? n.entries.slice(index - n.snapshotIndex) : [],
          snapshotIndex: index,
          snapshotTerm: event.lastIncludedTerm,
          commitIndex: index,
          persisted: keeps ? n.persisted : Math.min(n.persisted, index),
        };
      }
      return [n, reply(n, index)];
    }

    case 'InstallSnapshotReply': {
      let n = answered(observe(m, event.term), event);
      if (n.role === 'leader' && event.term === n.term && event.matchIndex > 0) {
        n = commit({
          ...n,
          match: { ...n.match, [event.from]: Math.max(n.match[event.from] ?? 0, event.matchIndex) },
        });
      }
      return [n, []];
    }

    case 'Propose':
      return m.role === 'leader'
        ? [
            {
              ...m,
              entries: [...m.entries, ...event.commands.map((c) => ({ term: m.term, command: String(c) }))],
            },
            [],
          ]
        : [m, []];

    case 'Flush':
      // The reads that arrived need a round, AppendEntries to every follower numbered after
      // them, once the round out has come back.
      return m.role === 'leader' && readRoundDue(m.reads, QUORUM)
        ? [{ ...m, reads: roundSent(m.reads, m.sent.length) }, heartbeats(m)]
        : [m, []];

    case 'LogPersisted':
      if (termAt(m, event.index) !== event.term) return [m, []];
      return [commit({ ...m, persisted: Math.max(m.persisted, event.index) }), []];

    case 'Snapshot': {
      const { index } = event;
      if (index <= m.snapshotIndex || index > m.commitIndex || index > lastIndex(m)) return [m, []];
      const term = termAt(m, index)!;
      return [
        { ...m, entries: m.entries.slice(index - m.snapshotIndex), snapshotIndex: index, snapshotTerm: term },
        [],
      ];
    }

    case 'Read': {
      if (m.role === 'leader') {
        const reads = hold(m.reads, { kind: 'local', ids: event.ids }, m.sent.length);
        return [{ ...m, reads }, []];
      }
      if (m.role === 'candidate' || m.leader === null) return [m, [], refused(event.ids)];
      const ask = requests.find((r) => r.type === 'ReadIndex');
      const asked = { rpcId: ask?.rpcId ?? Number.NaN, leader: m.leader, ids: event.ids };
      return [
        { ...m, reads: { ...m.reads, asked: [...m.reads.asked, asked] } },
        [{ type: 'ReadIndex', to: m.leader, term: m.term }],
      ];
    }

    case 'ReadIndex': {
      if (m.role === 'leader' && event.term === m.term) {
        const read = { kind: 'remote', from: event.from, rpcId: event.rpcId } as const;
        return [{ ...m, reads: hold(m.reads, read, m.sent.length) }, []];
      }
      // A stale term, or no leader of it here: refused, in the term the node then has.
      const n = observe(m, event.term);
      return [n, [readIndexReply(event.from, n.term, event.rpcId, null)]];
    }

    case 'ReadIndexReply': {
      if (m.role !== 'follower') return [observe(m, event.term), []];
      const [reads, settled] = takeAnswer(m.reads, event.from, event.inReplyTo, event.readIndex);
      return [observe({ ...m, reads }, event.term), [], settled];
    }

    default:
      throw new Error(`the reference model has no rule for ${event.type}`);
  }
}

/**
 * Leader: a follower answered a request of this term (the reply carries it); that confirms
 * the reads that arrived before the request went out. A request the node never sent
 * confirms nothing.
 */
function answered(m: Model, reply: { term: number; from: string; inReplyTo: number }): Model {
  if (m.role !== 'leader' || reply.term !== m.term || !PEERS.includes(reply.from)) return m;
  return { ...m, reads: answeredBy(m.reads, reply.from, reply.inReplyTo, m.sent) };
}
