/**
 * Raft's safety properties, checked incrementally as a simulated cluster runs: each check
 * keeps one small record (a map or a watermark) and never rescans every node's log.
 */
import type {
  ClusterConfig,
  HardState,
  LogEdit,
  NodeId,
  RaftContext,
  RaftMessage,
  Role,
  SnapshotRecord,
} from '../../machines/index.js';
import type { AppliedEntry } from '../node/providers.js';
import { isRaftMessageType, stringifyJson } from '../../machines/index.js';
import { InvariantViolation } from './invariant-violation.js';
import type { DurableView } from './vouched-replies.js';
import { VouchedReplies } from './vouched-replies.js';

export { InvariantViolation } from './invariant-violation.js';

interface EntryRecord {
  readonly command: string;
  readonly prevTerm: number;
}

/**
 * Messages whose higher term is not adopted on purpose: a PreVote's term is a question about
 * the next term (thesis 9.6); a RequestVote reaching a node that hears from a leader, with
 * check-quorum on, is refused without it (leader stickiness, thesis 6.2), unless the leader
 * asked for that election (a transfer).
 */
function isTermExempt(
  context: RaftContext,
  event: { readonly type: string; readonly [key: string]: unknown },
) {
  if (event.type === 'PreVote') return true;
  return (
    event.type === 'RequestVote' &&
    event['transfer'] !== true &&
    context.features?.checkQuorum === true &&
    context.leaderId !== null
  );
}

export class InvariantChecker {
  readonly #leaderOfTerm = new Map<number, NodeId>();
  readonly #durableTerm = new Map<NodeId, number>();
  /** Every entry any log ever held, by `index:term`: its command and the term before it. */
  readonly #entries = new Map<string, EntryRecord>();
  /** The highest index known committed anywhere, and its term. */
  /** And the term in which it was committed: leaders of later terms must hold it. */
  #committed = { index: 0, term: 0, inTerm: 0 };
  readonly #roles = new Map<NodeId, Role>();
  /** The term of each node's last step: a candidate whose term grew campaigned again. */
  readonly #campaignTerm = new Map<NodeId, number>();
  /** What was applied at each index, by the first node that applied it. */
  readonly #applied = new Map<
    number,
    { readonly node: NodeId; readonly term: number; readonly command: string }
  >();
  /** Durable votes: term -> voter -> candidate (a node votes at most once per term). */
  readonly #votes = new Map<number, Map<NodeId, NodeId>>();
  /** A leader's term and commit index at its last step, while it leads. */
  readonly #leading = new Map<NodeId, { readonly term: number; readonly commitIndex: number }>();
  readonly #vouched = new VouchedReplies();
  /** What each node's disk holds (a crash leaves it as it was): given by `observeRestart`. */
  readonly #disks = new Map<NodeId, DurableView>();
  /** Each node's log as of its last step: what it holds when no disk was given. */
  readonly #logs = new Map<NodeId, RaftContext['log']>();
  readonly #members: readonly NodeId[] | undefined;
  #checks = 0;

  /**
   * `members`: the cluster's nodes, for the checks that count a quorum (a leader's votes,
   * the replicas of what it commits); without them those checks are skipped. A context
   * that carries its configuration is counted against that configuration's voters instead,
   * so nodes added to the cluster later count.
   */
  constructor(members?: readonly NodeId[]) {
    this.#members = members;
  }

  /** The voters whose quorum `context` needs, or undefined when the members are unknown. */
  #votersOf(context: RaftContext): readonly NodeId[] | undefined {
    if (this.#members === undefined) return undefined;
    return (context.config as ClusterConfig | undefined)?.voters ?? this.#members;
  }

  /** How many observations were checked: evidence the checker actually ran. */
  get checks(): number {
    return this.#checks;
  }

  /** Election safety: at most one leader per term. */
  observeRole(id: NodeId, role: Role, term: number): void {
    this.#checks++;
    if (role !== 'leader') return;
    const leader = this.#leaderOfTerm.get(term);
    if (leader === undefined) this.#leaderOfTerm.set(term, id);
    else if (leader !== id) {
      throw new InvariantViolation(`two leaders in term ${term}: ${leader} and ${id}`);
    }
  }

  /**
   * After every step: election safety, the commit watermark, leader completeness (a new
   * leader holds the highest committed entry, hence by log matching every committed one),
   * and three of Figure 2's rules that safety rests on: a node that receives a higher term
   * adopts it, a leader was elected by a quorum of durable votes of its term, and a leader
   * commits by counting replicas only an entry of its own term (section 5.4.2).
   */
  observeStep(
    id: NodeId,
    role: Role,
    context: RaftContext,
    event?: { readonly type: string; readonly [key: string]: unknown },
  ): void {
    this.observeRole(id, role, context.currentTerm);
    if (event !== undefined && isRaftMessageType(event.type)) {
      const { term, from } = event as unknown as RaftMessage;
      if (term > context.currentTerm && !isTermExempt(context, event)) {
        throw new InvariantViolation(
          `node ${id} received ${event.type} of term ${term} from ${from} but stayed in term ` +
            `${context.currentTerm} (a higher term must be adopted at once)`,
        );
      }
    }
    this.#checkVoterCampaigns(id, role, context);
    this.#checkLeaderCommit(id, role, context);
    this.#logs.set(id, context.log);
    const { commitIndex, log } = context;
    if (commitIndex > this.#committed.index) {
      // The node learned the commit in its current term (a follower, from that term's leader).
      const term = log.termAt(commitIndex) ?? 0;
      this.#committed = { index: commitIndex, term, inTerm: context.currentTerm };
    }
    const wasLeader = this.#roles.get(id) === 'leader';
    this.#roles.set(id, role);
    this.#campaignTerm.set(id, context.currentTerm);
    if (role === 'leader' && !wasLeader) this.#checkElected(id, context);
    // Leader completeness binds leaders of later terms only: a candidate of an older term can
    // still win late (votes granted before, delivered after the commit) without the entry.
    const { index, term, inTerm } = this.#committed;
    if (role === 'leader' && !wasLeader && index > 0 && context.currentTerm > inTerm) {
      if (index > log.snapshotIndex && log.termAt(index) !== term) {
        throw new InvariantViolation(
          `leader completeness: node ${id} leads term ${context.currentTerm} without committed entry ` +
            `${index} (term ${term}); its log has term ${String(log.termAt(index))} there`,
        );
      }
    }
  }

  /**
   * Only a voter of the configuration in force campaigns or takes office: a learner, a
   * joining node and a removed one wait for the leader. A leader removed by its own change
   * may lead on until that change commits, and no longer: it steps down in that very step.
   */
  #checkVoterCampaigns(id: NodeId, role: Role, context: RaftContext): void {
    const config = context.config as ClusterConfig | undefined;
    if (config === undefined || config.voters.includes(id)) return;
    const previous = this.#roles.get(id);
    const entered = role !== previous || this.#campaignTerm.get(id) !== context.currentTerm;
    if ((role === 'candidate' || role === 'preCandidate') && entered) {
      throw new InvariantViolation(
        `node ${id} became ${role} in term ${context.currentTerm} but is no voter of its configuration ` +
          `(voters [${config.voters.join(', ')}])`,
      );
    }
    if (role === 'leader' && previous !== 'leader') {
      throw new InvariantViolation(
        `node ${id} became leader of term ${context.currentTerm} but is no voter of its configuration ` +
          `(voters [${config.voters.join(', ')}])`,
      );
    }
    if (role === 'leader' && context.commitIndex >= context.configIndex) {
      throw new InvariantViolation(
        `node ${id} still leads term ${context.currentTerm} after its removal (index ${context.configIndex}) ` +
          `committed: a removed leader steps down once the change commits`,
      );
    }
  }

  /** A new leader holds a quorum of votes of its term: its own and durable ones of others. */
  #checkElected(id: NodeId, context: RaftContext): void {
    const members = this.#votersOf(context);
    if (members === undefined) return;
    const quorum = Math.floor(members.length / 2) + 1;
    const term = context.currentTerm;
    const voters = [...(this.#votes.get(term) ?? new Map<NodeId, NodeId>())]
      .filter(([voter, candidate]) => candidate === id && voter !== id)
      .map(([voter]) => voter);
    if (context.votedFor === id) voters.push(id);
    const counted = voters.filter((voter) => members.includes(voter));
    if (counted.length < quorum) {
      throw new InvariantViolation(
        `node ${id} became leader of term ${term} with the votes of [${counted.join(', ')}] only` +
          ` of voters [${members.join(', ')}]; a quorum is ${quorum} (a vote from another term, one ` +
          `never made durable, or a non-voter's was counted?)`,
      );
    }
  }

  /** A leader's commit index advances, by counting, only to an entry of its own term. */
  #checkLeaderCommit(id: NodeId, role: Role, context: RaftContext): void {
    const { currentTerm: term, commitIndex, log } = context;
    const before = this.#leading.get(id);
    if (role !== 'leader') {
      this.#leading.delete(id);
      return;
    }
    this.#leading.set(id, { term, commitIndex });
    if (before === undefined || before.term !== term || commitIndex <= before.commitIndex) return;
    const committedTerm = log.termAt(commitIndex);
    if (committedTerm !== term) {
      throw new InvariantViolation(
        `leader ${id} of term ${term} advanced its commit index to ${commitIndex}, an entry of term ` +
          `${String(committedTerm)}: a leader commits by counting only entries of its own term (Figure 8)`,
      );
    }
    this.#checkCommitQuorum(id, context);
  }

  /**
   * No decision without a quorum: when a leader commits entry N of its term, a quorum of the
   * voters of its configuration in force hold N with that term, on disk where the disk is
   * known (what a crash would leave), else in the log of their last step (for the leader
   * itself, only as far as its own writes were reported durable).
   */
  #checkCommitQuorum(id: NodeId, context: RaftContext): void {
    const voters = this.#votersOf(context);
    if (voters === undefined) return;
    const { commitIndex: index, currentTerm: term } = context;
    const holders = voters.filter((voter) =>
      this.#holds(voter, index, term, voter === id ? context : undefined),
    );
    const quorum = Math.floor(voters.length / 2) + 1;
    if (holders.length < quorum) {
      throw new InvariantViolation(
        `leader ${id} of term ${term} committed entry ${index} held by [${holders.join(', ')}] only of ` +
          `voters [${voters.join(', ')}]; a quorum is ${quorum} (a decision without a quorum of the ` +
          `configuration in force)`,
      );
    }
  }

  /** Whether node `id` holds entry `index` of `term` (or a snapshot past it: committed entries). */
  #holds(id: NodeId, index: number, term: number, own: RaftContext | undefined): boolean {
    const disk = this.#disks.get(id);
    if (disk !== undefined) {
      if (disk.lastIndex < index) return false;
      const held = disk.termAt(index);
      return held === undefined || held === term;
    }
    if (own !== undefined && own.persistedIndex < index) return false;
    const log = own?.log ?? this.#logs.get(id);
    if (log === undefined || log.lastIndex < index) return false;
    return index <= log.snapshotIndex || log.termAt(index) === term;
  }

  /**
   * Restarted: the node's next steps begin a new life (it does not lead). `disk`, when
   * given, is what its storage holds durably from now on, read by the commit-quorum check.
   */
  observeRestart(id: NodeId, disk?: DurableView): void {
    this.#leading.delete(id);
    this.#roles.delete(id);
    this.#campaignTerm.delete(id);
    this.#logs.delete(id);
    if (disk !== undefined) this.#disks.set(id, disk);
  }

  /** A message reached its receiver (what a reply to it will vouch for). */
  observeDelivered(message: RaftMessage): void {
    if (message.type === 'AppendEntries') this.#vouched.observeDelivered(message);
  }

  /** Node `id` sends `message`; `durable` is what a crash now would leave it (VouchedReplies). */
  observeSent(id: NodeId, message: RaftMessage, durable: DurableView): void {
    this.#checks++;
    this.#vouched.observeSent(id, message, durable);
  }

  /** A node's durable term never decreases, across crashes and restarts. */
  observeDurable(id: NodeId, hardState: HardState): void {
    this.#checks++;
    if (hardState.votedFor !== null) {
      let votes = this.#votes.get(hardState.currentTerm);
      if (votes === undefined) this.#votes.set(hardState.currentTerm, (votes = new Map()));
      const earlier = votes.get(id);
      if (earlier === undefined) votes.set(id, hardState.votedFor);
      else if (earlier !== hardState.votedFor) {
        throw new InvariantViolation(
          `node ${id} voted twice in term ${hardState.currentTerm}: for ${earlier}, then for ${hardState.votedFor}`,
        );
      }
    }
    const previous = this.#durableTerm.get(id) ?? 0;
    if (hardState.currentTerm < previous) {
      throw new InvariantViolation(
        `node ${id}'s durable term went back from ${previous} to ${hardState.currentTerm}`,
      );
    }
    this.#durableTerm.set(id, hardState.currentTerm);
  }

  /**
   * Log matching: two logs holding an entry with the same index and term hold the same
   * command there and the same term just before it, so (by induction) identical prefixes.
   */
  observeLogEdit(id: NodeId, edit: LogEdit, prevTerm: number): void {
    this.#checks++;
    let before = prevTerm;
    edit.entries.forEach((entry, i) => {
      const index = edit.from + i;
      const key = `${index}:${entry.term}`;
      const record = { command: stringifyJson(entry.command) ?? 'undefined', prevTerm: before };
      const seen = this.#entries.get(key);
      if (seen === undefined) this.#entries.set(key, record);
      else if (seen.command !== record.command || seen.prevTerm !== record.prevTerm) {
        throw new InvariantViolation(
          `log matching: node ${id} holds entry ${index} of term ${entry.term} as ${record.command} after term ` +
            `${record.prevTerm}, another log as ${seen.command} after term ${seen.prevTerm}`,
        );
      }
      before = entry.term;
    });
  }

  /**
   * A snapshot covers committed entries only: its last index and term match an entry that
   * was applied (so committed) somewhere.
   */
  observeSnapshot(id: NodeId, snapshot: SnapshotRecord): void {
    this.#checks++;
    const applied = this.#applied.get(snapshot.index);
    if (applied === undefined || applied.term !== snapshot.term) {
      throw new InvariantViolation(
        `node ${id} holds a snapshot through ${snapshot.index} (term ${snapshot.term}), but ` +
          (applied === undefined
            ? 'no node applied that index'
            : `the entry committed there is of term ${applied.term}`),
      );
    }
  }

  /** State machine safety: no two nodes apply different entries at one index. */
  observeApplied(id: NodeId, entry: AppliedEntry): void {
    this.#checks++;
    const command = stringifyJson(entry.command) ?? 'undefined';
    const first = this.#applied.get(entry.index);
    if (first === undefined) this.#applied.set(entry.index, { node: id, term: entry.term, command });
    else if (first.term !== entry.term || first.command !== command) {
      throw new InvariantViolation(
        `state machine safety: node ${id} applied ${command} (term ${entry.term}) at index ${entry.index}, ` +
          `node ${first.node} applied ${first.command} (term ${first.term})`,
      );
    }
  }
}
