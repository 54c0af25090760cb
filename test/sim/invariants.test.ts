/** The safety checker: at most one leader per term, durable terms never go back. */
import { describe, expect, it } from 'vitest';
import type { HardState, NodeId } from '../../machines/index.js';
import { InvariantChecker, InvariantViolation } from '../../src/sim/invariants.js';

type RoleReport = Parameters<InvariantChecker['observeRole']>;

/** A fresh checker that has accepted each of `reports` ([id, role, term]), in order. */
function checkerAfterRoles(...reports: RoleReport[]): InvariantChecker {
  const checker = new InvariantChecker();
  for (const report of reports) checker.observeRole(...report);
  return checker;
}

/** A fresh checker that has seen each `[id, term]` become leader, in order. */
function checkerWithLeaders(...leaders: Array<[NodeId, number]>): InvariantChecker {
  return checkerAfterRoles(...leaders.map(([id, term]): RoleReport => [id, 'leader', term]));
}

/** A node's durable state: its currentTerm and whom it voted for in it. */
function durable(currentTerm: number, votedFor: NodeId | null = null): HardState {
  return { currentTerm, votedFor };
}

describe('election safety', () => {
  it('throws InvariantViolation on two different leaders in one term', () => {
    const checker = checkerWithLeaders(['a', 3]);
    expect(() => checker.observeRole('b', 'leader', 3)).toThrow(InvariantViolation);
    expect(() => checker.observeRole('c', 'leader', 3)).toThrow(/two leaders in term 3: a and c/);
  });

  it('names the error InvariantViolation', () => {
    const checker = checkerWithLeaders(['a', 1]);
    let caught: unknown;
    try {
      checker.observeRole('b', 'leader', 1);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvariantViolation);
    expect(caught).toBeInstanceOf(Error);
    expect((caught as Error).name).toBe('InvariantViolation');
  });

  it('accepts the same leader reported repeatedly in its term', () => {
    const checker = new InvariantChecker();
    for (let i = 0; i < 10; i++) expect(() => checker.observeRole('a', 'leader', 2)).not.toThrow();
    expect(checker.checks).toBe(10);
  });

  it('accepts different leaders in different terms, in any order of terms', () => {
    const checker = checkerWithLeaders(['a', 1], ['b', 2], ['c', 5], ['a', 4]);
    expect(() => checker.observeRole('b', 'leader', 3)).not.toThrow();
    expect(() => checker.observeRole('a', 'leader', 1)).not.toThrow();
    expect(() => checker.observeRole('c', 'leader', 2)).toThrow(InvariantViolation);
  });

  it('ignores followers and candidates, however many share a term', () => {
    const checker = checkerAfterRoles(
      ['a', 'candidate', 7],
      ['b', 'candidate', 7],
      ['c', 'follower', 7],
      ['b', 'leader', 7],
      ['a', 'follower', 7],
      ['c', 'candidate', 7],
    );
    expect(() => checker.observeRole('a', 'leader', 7)).toThrow(/two leaders in term 7: b and a/);
  });

  it('remembers a leader of a term after it stepped down', () => {
    const checker = checkerAfterRoles(['a', 'leader', 4], ['a', 'follower', 4]);
    expect(() => checker.observeRole('b', 'leader', 4)).toThrow(InvariantViolation);
  });
});

describe('durable terms', () => {
  it('accepts a term that stays or grows', () => {
    const checker = new InvariantChecker();
    for (const state of [durable(0), durable(1, 'a'), durable(1, 'a'), durable(5)]) {
      checker.observeDurable('a', state);
    }
    expect(() => checker.observeDurable('a', durable(5, 'b'))).not.toThrow();
    expect(checker.checks).toBe(5);
  });

  it('throws when a node durable term decreases', () => {
    const checker = new InvariantChecker();
    checker.observeDurable('a', durable(3));
    expect(() => checker.observeDurable('a', durable(2))).toThrow(InvariantViolation);
    expect(() => checker.observeDurable('a', durable(0))).toThrow(
      /node a's durable term went back from 3 to 0/,
    );
  });

  it('throws across what would be a restart: the record is per node id', () => {
    const checker = new InvariantChecker();
    checker.observeDurable('a', durable(6, 'a'));
    // The node crashes and restarts: its new incarnation reports under the same id.
    checker.observeDurable('a', durable(6, 'a'));
    expect(() => checker.observeDurable('a', durable(5))).toThrow(InvariantViolation);
  });

  it('keeps each node separate', () => {
    const checker = new InvariantChecker();
    checker.observeDurable('a', durable(9));
    expect(() => checker.observeDurable('b', durable(1))).not.toThrow();
    expect(() => checker.observeDurable('b', durable(0))).toThrow(InvariantViolation);
    expect(() => checker.observeDurable('a', durable(8))).toThrow(InvariantViolation);
  });

  it('counts every observation as a check', () => {
    const checker = new InvariantChecker();
    expect(checker.checks).toBe(0);
    checker.observeRole('a', 'follower', 1);
    checker.observeRole('a', 'leader', 1);
    checker.observeDurable('a', durable(1, 'a'));
    expect(checker.checks).toBe(3);
  });
});
