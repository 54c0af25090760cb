/**
 * Safety properties checked incrementally after every step of a simulated cluster: the
 * checker keeps one small record per property and never rescans every node's state.
 */
import type { HardState, NodeId, Role } from '../../machines/index.js';

export class InvariantViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantViolation';
  }
}

export class InvariantChecker {
  readonly #leaderOfTerm = new Map<number, NodeId>();
  readonly #durableTerm = new Map<NodeId, number>();
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
}
