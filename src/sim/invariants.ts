/**
 * Raft's safety properties, checked incrementally as a simulated cluster runs: each check
 * keeps one small record (a map or a watermark) and never rescans every node's log.
 */
import type { HardState, LogEdit, NodeId, RaftContext, Role, SnapshotRecord } from '../../machines/index.js';
import type { AppliedEntry } from '../node/providers.js';
import { stringifyJson } from '../../machines/index.js';

export class InvariantViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantViolation';
  }
}

interface EntryRecord {
  readonly command: string;
  readonly prevTerm: number;
}

export class InvariantChecker {
  readonly #leaderOfTerm = new Map<number, NodeId>();
  readonly #durableTerm = new Map<NodeId, number>();
  /** Every entry any log ever held, by `index:term`: its command and the term before it. */
  readonly #entries = new Map<string, EntryRecord>();
  /** The highest index known committed anywhere, and its term. */
  #committed = { index: 0, term: 0 };
  readonly #roles = new Map<NodeId, Role>();
  /** What was applied at each index, by the first node that applied it. */
  readonly #applied = new Map<
    number,
    { readonly node: NodeId; readonly term: number; readonly command: string }
  >();
  #checks = 0;

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
   * After every step: election safety, the commit watermark, and leader completeness (a
   * new leader holds the highest committed entry, hence by log matching every committed one).
   */
  observeStep(id: NodeId, role: Role, context: RaftContext): void {
    this.observeRole(id, role, context.currentTerm);
    const { commitIndex, log } = context;
    if (commitIndex > this.#committed.index) {
      this.#committed = { index: commitIndex, term: log.termAt(commitIndex) ?? 0 };
    }
    const wasLeader = this.#roles.get(id) === 'leader';
    this.#roles.set(id, role);
    if (role === 'leader' && !wasLeader && this.#committed.index > 0) {
      const { index, term } = this.#committed;
      if (log.termAt(index) !== term) {
        throw new InvariantViolation(
          `leader completeness: node ${id} leads term ${context.currentTerm} without committed entry ` +
            `${index} (term ${term}); its log has term ${String(log.termAt(index))} there`,
        );
      }
    }
  }

  /** A node's durable term never decreases, across crashes and restarts. */
  observeDurable(id: NodeId, hardState: HardState): void {
    this.#checks++;
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
