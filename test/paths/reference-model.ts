/**
 * The oracle of the generated path tests: a small reference model of the Raft rules
 * (Figure 2 of the paper, and section 7's snapshots) for node `a` of the cluster {a, b, c},
 * with the thesis's extensions when the setup turns them on: pre-vote (section 9.6),
 * check-quorum and leader stickiness (section 6.2), leadership transfer (section 3.10), and
 * membership changes (section 4.1, reference-membership.ts). It is written from the paper
 * and the thesis, not from machines/: it shares no code with the statechart and never reads
 * the machine's answer. For each event it predicts the node's role, term, vote, known
 * leader, lease, configuration, log (every entry's term, command and configuration, and the
 * snapshot's boundary) and commit index, the messages the node must send in that step, and
 * the reads it answers (reference-reads.ts).
 */
import type { PathEvent } from './alphabet.js';
import {
  ELECTION_TIMEOUT_CANDIDATE,
  ELECTION_TIMEOUT_FOLLOWER,
  ELECTION_TIMEOUT_PRECANDIDATE,
  HEARTBEAT,
  LEADER_LEASE,
  PATH_TIMING,
} from './alphabet.js';
import type { ModelChange, ModelConfig } from './reference-membership.js';
import {
  changed,
  fits,
  hasMajority,
  isVoter,
  majority,
  membersBut,
  votersBut,
} from './reference-membership.js';
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

export type ModelRole = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/**
 * A log entry: the term it was made in and its command (the alphabet's commands are
 * strings); a configuration entry has no command and the configuration from its index on.
 */
export interface ModelEntry {
  readonly term: number;
  readonly command: string | null;
  readonly config?: ModelConfig;
}

/** The thesis's protections the setup turns on (the paper has neither). */
export interface ModelFeatures {
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
}

/** Leader: a transfer under way, to whom, since which heartbeat tick, and whether TimeoutNow went. */
export interface ModelTransfer {
  readonly to: string;
  readonly since: number;
  readonly told: boolean;
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
  readonly features: ModelFeatures;
  /**
   * Follower: within the minimum election timeout of its timer's start (the leader lease):
   * with check-quorum, the leader it heard from (if any) still holds.
   */
  readonly leased: boolean;
  /** The configuration in force at the snapshot's index (or at bootstrap). */
  readonly baseConfig: ModelConfig;
  /** Pre-candidate: rpcIds of this round's PreVotes; replies to older rounds count for nothing. */
  readonly round: readonly number[];
  /** Leader: heartbeat intervals since it took office, and the interval each member last answered in. */
  readonly ticks: number;
  readonly heard: Readonly<Record<string, number>>;
  readonly transfer: ModelTransfer | null;
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
  /** RequestVote of an election a leader asked for (TimeoutNow). */
  readonly transfer?: true;
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

/**
 * The leader's window, in heartbeat intervals: a minimum election timeout. Check-quorum
 * (section 6.2) steps a leader down once it has led a whole window and a majority has not
 * answered within the last one; a transfer (section 3.10) gives up after one.
 */
const WINDOW = Math.ceil(PATH_TIMING.electionTimeoutMinMs / PATH_TIMING.heartbeatIntervalMs);

/** The model of a node at bootstrap, with `features` and the voters {a, b, c}. */
export function initialModel(features: ModelFeatures): Model {
  return {
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
    features,
    leased: true,
    baseConfig: { voters: [ME, 'b', 'c'], learners: [] },
    round: [],
    ticks: 0,
    heard: {},
    transfer: null,
  };
}

/**
 * The model's timers: the follower's lease and election timeout (both started with its
 * timer), the pre-candidate's and candidate's election timeout, the leader's heartbeat.
 * The election timeout is the maximum, the lease the minimum (PATH_TIMING).
 */
export function timerDueAt(m: Model, timer: string): number | undefined {
  const { heartbeatIntervalMs, electionTimeoutMinMs, electionTimeoutMaxMs } = PATH_TIMING;
  switch (timer) {
    case LEADER_LEASE:
      return m.role === 'follower' && m.leased ? m.armedAt + electionTimeoutMinMs : undefined;
    case ELECTION_TIMEOUT_FOLLOWER:
      return m.role === 'follower' ? m.armedAt + electionTimeoutMaxMs : undefined;
    case ELECTION_TIMEOUT_PRECANDIDATE:
      return m.role === 'preCandidate' ? m.armedAt + electionTimeoutMaxMs : undefined;
    case ELECTION_TIMEOUT_CANDIDATE:
      return m.role === 'candidate' ? m.armedAt + electionTimeoutMaxMs : undefined;
    case HEARTBEAT:
      return m.role === 'leader' ? m.armedAt + heartbeatIntervalMs : undefined;
    default:
      return undefined;
  }
}

/** The timer that fires next in the model's role. */
export function nextTimer(m: Model): string {
  switch (m.role) {
    case 'follower':
      return m.leased ? LEADER_LEASE : ELECTION_TIMEOUT_FOLLOWER;
    case 'preCandidate':
      return ELECTION_TIMEOUT_PRECANDIDATE;
    case 'candidate':
      return ELECTION_TIMEOUT_CANDIDATE;
    case 'leader':
      return HEARTBEAT;
  }
}

export const lastIndex = (m: Model) => m.snapshotIndex + m.entries.length;
const lastTerm = (m: Model) => m.entries.at(-1)?.term ?? m.snapshotTerm;
function termAt(m: Model, index: number): number | undefined {
  if (index === m.snapshotIndex) return m.snapshotTerm;
  if (index < m.snapshotIndex) return index === 0 ? 0 : undefined;
  return m.entries[index - m.snapshotIndex - 1]?.term;
}

/** The latest configuration entry at or before `index` (and its index), else the snapshot's. */
function configAt(m: Model, index: number): { config: ModelConfig; index: number } {
  for (let i = Math.min(index, lastIndex(m)); i > m.snapshotIndex; i--) {
    const config = m.entries[i - m.snapshotIndex - 1]!.config;
    if (config !== undefined) return { config, index: i };
  }
  return { config: m.baseConfig, index: m.snapshotIndex };
}

/** The configuration in force: the latest in the log, committed or not. */
export const configOf = (m: Model) => configAt(m, lastIndex(m)).config;

/** Rules for all servers: a higher term makes the node a follower of that term, with no vote. */
function observe(m: Model, term: number): Model {
  return term > m.term
    ? { ...m, term, votedFor: null, leader: null, votes: [], role: 'follower', match: {} }
    : m;
}

/** The candidate's log is at least as up to date as the model's (section 5.4.1). */
const upToDate = (m: Model, request: { lastLogTerm: number; lastLogIndex: number }) =>
  request.lastLogTerm > lastTerm(m) ||
  (request.lastLogTerm === lastTerm(m) && request.lastLogIndex >= lastIndex(m));

/**
 * The leader's commit: the highest index a majority of the voters in force holds (the
 * leader among them only if it votes), if it is of the current term.
 */
function commit(m: Model): Model {
  if (m.role !== 'leader') return m;
  const config = configOf(m);
  const held = config.voters.map((v) => (v === ME ? m.persisted : (m.match[v] ?? 0))).sort((x, y) => y - x);
  const n = held[majority(config) - 1] ?? 0;
  return n > m.commitIndex && termAt(m, n) === m.term ? { ...m, commitIndex: n } : m;
}

function becomeCandidate(m: Model, now: number, transfer = false): [Model, Expected[]] {
  const next: Model = {
    ...m,
    role: 'candidate',
    term: m.term + 1,
    votedFor: ME,
    leader: null,
    votes: [ME],
    armedAt: now,
  };
  const requests = votersBut(configOf(next), ME).map((to) => ({
    type: 'RequestVote',
    to,
    term: next.term,
    lastLogIndex: lastIndex(next),
    lastLogTerm: lastTerm(next),
    ...(transfer ? { transfer: true as const } : {}),
  }));
  // A lone voter needs no one's vote.
  return hasMajority(configOf(next), next.votes) ? becomeLeader(next, now, 0) : [next, requests];
}

/** Section 9.6: a pre-vote round asks the voters about the next term, without moving to it. */
function poll(m: Model, now: number, requests: readonly SentRequest[]): [Model, Expected[]] {
  const next: Model = {
    ...m,
    role: 'preCandidate',
    leader: null,
    votes: [ME],
    armedAt: now,
    round: requests.filter((r) => r.type === 'PreVote').map((r) => r.rpcId),
  };
  if (hasMajority(configOf(next), next.votes)) return becomeCandidate(next, now);
  const polls = votersBut(configOf(next), ME).map((to) => ({
    type: 'PreVote',
    to,
    term: m.term + 1,
    lastLogIndex: lastIndex(m),
    lastLogTerm: lastTerm(m),
  }));
  return [next, polls];
}

/** A candidate with a majority leads: its first heartbeats are a round; its window starts. */
function becomeLeader(m: Model, now: number, sentBefore: number): [Model, Expected[]] {
  const reads = roundSent(NO_MODEL_READS, sentBefore);
  const n: Model = {
    ...m,
    role: 'leader',
    leader: ME,
    match: {},
    armedAt: now,
    reads,
    ticks: 0,
    heard: {},
    transfer: null,
  };
  return [n, heartbeats(n)];
}

const heartbeats = (m: Model): Expected[] =>
  membersBut(configOf(m), ME).map((to) => ({ type: 'AppendEntries', to, term: m.term }));

/** Check-quorum: the leader has led a whole window, and no majority answered within the last one. */
function lostQuorum(m: Model): boolean {
  if (!m.features.checkQuorum || m.ticks < WINDOW) return false;
  const recent = Object.keys(m.heard).filter((p) => m.ticks - m.heard[p]! <= WINDOW);
  return !hasMajority(configOf(m), [ME, ...recent]);
}

/** The entry index of the configuration in force. */
const configIndexOf = (m: Model) => configAt(m, lastIndex(m)).index;

/**
 * What a leader checks after every event: a transfer's target that holds the whole log is
 * told to campaign (once); a leader the configuration in force removed steps down once that
 * configuration is committed (section 4.2.2).
 */
function afterLeaderEvent(m: Model): [Model, Expected[]] {
  if (m.role !== 'leader') return [m, []];
  const sent: Expected[] = [];
  let n = m;
  const t = n.transfer;
  if (t !== null && !t.told && (n.match[t.to] ?? 0) === lastIndex(n)) {
    n = { ...n, transfer: { ...t, told: true } };
    sent.push({ type: 'TimeoutNow', to: t.to, term: n.term });
  }
  if (!isVoter(configOf(n), ME) && n.commitIndex >= configIndexOf(n)) {
    n = { ...n, role: 'follower', leader: null, match: {} };
  }
  return [n, sent];
}

/**
 * One step at virtual time `now`: the model after `event`, what the node must send while
 * handling it, and the reads it settles. `requests` are the requests the node sent in this
 * step: the model takes their rpcIds (the node's choice) from there.
 */
export function step(m: Model, event: PathEvent, now: number, requests: readonly SentRequest[]): Prediction {
  const [stepped, stepSent, settled = NOTHING] = rule(m, event, now, requests);
  const [ruled, checked] = afterLeaderEvent(stepped);
  const sent = [...stepSent, ...checked];
  // Entering the follower role starts its timer and its lease.
  const enters = ruled.role === 'follower' && m.role !== 'follower';
  let next: Model = {
    ...ruled,
    armedAt: enters ? now : ruled.armedAt,
    leased: enters || (ruled.role === 'follower' && ruled.leased),
    sent: [...m.sent, ...requests.map((r) => r.rpcId)],
  };
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
      quorum: majority(configOf(next)),
    });
    parts.push(released);
    next = { ...next, reads };
  }
  const { answers, replies } = joinSettled(...parts);
  const entriesOnly =
    event.type === 'Flush' && m.role === 'leader' && !readRoundDue(m.reads, majority(configOf(m)));
  return { model: next, sent: [...sent, ...replies], answers, entriesOnly };
}

/**
 * Leader stickiness (section 6.2), with check-quorum: a follower within its lease of a
 * leader it heard from, and a leader (it hears from itself), refuse a RequestVote without
 * adopting its term, unless the leader asked for that election (a transfer).
 */
const isSticky = (m: Model, request: { transfer?: true }) =>
  m.features.checkQuorum &&
  request.transfer !== true &&
  m.leader !== null &&
  (m.role === 'leader' || (m.role === 'follower' && m.leased));

/** The rule for `event`: the model after it, what it sends, and the reads it settles itself. */
function rule(
  m: Model,
  event: PathEvent,
  now: number,
  requests: readonly SentRequest[],
): [Model, Expected[], Settled?] {
  switch (event.type) {
    case LEADER_LEASE:
      return [{ ...m, leased: false }, []];
    case ELECTION_TIMEOUT_FOLLOWER:
      // A learner, or a node outside the configuration, never campaigns: it waits again.
      if (!isVoter(configOf(m), ME)) return [{ ...m, armedAt: now, leased: true }, []];
      return m.features.preVote ? poll(m, now, requests) : becomeCandidate(m, now);
    case ELECTION_TIMEOUT_CANDIDATE:
      return m.features.preVote ? poll(m, now, requests) : becomeCandidate(m, now);
    case ELECTION_TIMEOUT_PRECANDIDATE:
      return poll(m, now, requests);
    case HEARTBEAT: {
      if (lostQuorum(m)) return [{ ...m, role: 'follower', leader: null, match: {} }, []];
      const overdue = m.transfer !== null && m.ticks - m.transfer.since >= WINDOW;
      const n: Model = {
        ...m,
        armedAt: now,
        reads: roundSent(m.reads, m.sent.length),
        ticks: m.ticks + 1,
        transfer: overdue ? null : m.transfer,
      };
      return [n, heartbeats(n)];
    }

    case 'RequestVote': {
      const reply = (n: Model, voteGranted: boolean): Expected[] => [
        { type: 'RequestVoteReply', to: event.from, term: n.term, inReplyTo: event.rpcId, voteGranted },
      ];
      if (isSticky(m, event)) return [m, reply(m, false)];
      const n = observe(m, event.term);
      // A pre-candidate has not moved to a new term, but it is campaigning: it refuses
      // (the thesis leaves this open; a refusal is always safe).
      const grant =
        n.role !== 'preCandidate' &&
        event.term === n.term &&
        (n.votedFor === null || n.votedFor === event.from) &&
        upToDate(n, event);
      const after = grant ? { ...n, votedFor: event.from, armedAt: now, leased: true } : n;
      return [after, reply(after, grant)];
    }

    case 'RequestVoteReply': {
      let n = observe(m, event.term);
      if (
        n.role === 'candidate' &&
        event.term === n.term &&
        event.voteGranted &&
        isVoter(configOf(n), event.from) &&
        !n.votes.includes(event.from)
      ) {
        n = { ...n, votes: [...n.votes, event.from] };
      }
      if (n.role === 'candidate' && hasMajority(configOf(n), n.votes))
        return becomeLeader(n, now, m.sent.length);
      return [n, []];
    }

    case 'PreVote': {
      // Section 9.6: granted for a later term to an up-to-date log, unless a leader is heard
      // from (a leader, or a follower within its lease of one); nothing changes either way.
      const heardFromLeader = m.role === 'leader' || (m.role === 'follower' && m.leased && m.leader !== null);
      const grant = !heardFromLeader && event.term > m.term && upToDate(m, event);
      return [
        m,
        [{ type: 'PreVoteReply', to: event.from, term: m.term, inReplyTo: event.rpcId, voteGranted: grant }],
      ];
    }

    case 'PreVoteReply': {
      let n = observe(m, event.term);
      if (
        n.role === 'preCandidate' &&
        event.voteGranted &&
        n.round.includes(event.inReplyTo) &&
        isVoter(configOf(n), event.from) &&
        !n.votes.includes(event.from)
      ) {
        n = { ...n, votes: [...n.votes, event.from] };
        if (hasMajority(configOf(n), n.votes)) return becomeCandidate(n, now);
      }
      return [n, []];
    }

    case 'TimeoutNow': {
      // Section 3.10: the leader hands over; a voter campaigns at once, past pre-vote and
      // stickiness. A candidate (already campaigning) or leader of that term ignores it.
      const n =
        m.role === 'candidate' || m.role === 'leader'
          ? event.term > m.term
            ? observe(m, event.term)
            : m
          : m;
      const campaigns =
        (n.role === 'follower' || n.role === 'preCandidate') &&
        event.term >= n.term &&
        isVoter(configOf(n), ME);
      return campaigns ? becomeCandidate(observe(n, event.term), now, true) : [n, []];
    }

    case 'TransferLeadership': {
      const can =
        m.role === 'leader' && event.to !== ME && isVoter(configOf(m), event.to) && m.transfer === null;
      return [can ? { ...m, transfer: { to: event.to, since: m.ticks, told: false } } : m, []];
    }

    case 'ChangeConfig': {
      const change = event.change as ModelChange;
      const can =
        m.role === 'leader' &&
        configIndexOf(m) <= m.commitIndex &&
        termAt(m, m.commitIndex) === m.term &&
        fits(configOf(m), change);
      if (!can) return [m, []];
      const entry: ModelEntry = { term: m.term, command: null, config: changed(configOf(m), change) };
      return [{ ...m, entries: [...m.entries, entry] }, []];
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
      n = { ...n, role: 'follower', leader: event.from, armedAt: now, leased: true };
      // Entries inside the snapshot are committed, so they match: check from its boundary.
      let prev = event.prevLogIndex;
      let prevTerm = event.prevLogTerm;
      let entries = event.entries.map((e): ModelEntry => ({
        term: e.term,
        command: e.command === null ? null : String(e.command),
        ...(e.config === undefined
          ? {}
          : { config: { voters: e.config.voters, learners: e.config.learners } }),
      }));
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
      const n = answered(observe(m, event.term), event);
      return [event.success ? matched(n, event, event.matchIndex) : n, []];
    }

    case 'InstallSnapshot': {
      const reply = (n: Model, matchIndex: number): Expected[] => [
        { type: 'InstallSnapshotReply', to: event.from, term: n.term, inReplyTo: event.rpcId, matchIndex },
      ];
      if (event.term < m.term) return [m, reply(m, 0)];
      let n = observe(m, event.term);
      if (n.role === 'leader') return [n, reply(n, 0)];
      n = { ...n, role: 'follower', leader: event.from, armedAt: now, leased: true };
      const index = event.lastIncludedIndex;
      if (index > n.commitIndex && index > n.snapshotIndex) {
        const keeps = termAt(n, index) === event.lastIncludedTerm;
        n = {
          ...n,
          // The snapshot carries no configuration here: the one in force at its index stays.
          baseConfig: configAt(n, index).config,
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
      const n = answered(observe(m, event.term), event);
      return [event.matchIndex > 0 ? matched(n, event, event.matchIndex) : n, []];
    }

    case 'Propose':
      // During a transfer the leader takes no proposal (section 3.10).
      return m.role === 'leader' && m.transfer === null
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
      return m.role === 'leader' && readRoundDue(m.reads, majority(configOf(m)))
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
        {
          ...m,
          baseConfig: configAt(m, index).config,
          entries: m.entries.slice(index - m.snapshotIndex),
          snapshotIndex: index,
          snapshotTerm: term,
        },
        [],
      ];
    }

    case 'Read': {
      if (m.role === 'leader') {
        const reads = hold(m.reads, { kind: 'local', ids: event.ids }, m.sent.length);
        return [{ ...m, reads }, []];
      }
      if (m.role !== 'follower' || m.leader === null) return [m, [], refused(event.ids)];
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
  if (!isMemberReply(m, reply)) return m;
  return { ...m, reads: answeredBy(m.reads, reply.from, reply.inReplyTo, m.sent) };
}

/** A leader's reply of its term from a member it replicates to. */
const isMemberReply = (m: Model, reply: { term: number; from: string }) =>
  m.role === 'leader' && reply.term === m.term && membersBut(configOf(m), ME).includes(reply.from);

/**
 * Leader: a member holds the log up to `matchIndex`: it counts toward the commit, and it
 * answered within this heartbeat interval (check-quorum). Only successes are offered where
 * check-quorum is on, so a rejection's bearing on it is left out.
 */
function matched(m: Model, reply: { term: number; from: string }, matchIndex: number): Model {
  if (!isMemberReply(m, reply)) return m;
  return commit({
    ...m,
    match: { ...m.match, [reply.from]: Math.max(m.match[reply.from] ?? 0, matchIndex) },
    heard: { ...m.heard, [reply.from]: m.ticks },
  });
}
