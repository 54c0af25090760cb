/** The safety checker: election safety, durable terms, log matching, leader completeness, applies. */
import { describe, expect, it } from 'vitest';
import type { HardState, NodeId, RaftContext } from '../../machines/index.js';
import { ArrayRaftLog } from '../../machines/index.js';
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

/** What a step shows the checker: a node's term, commit index and log (entries of `terms`). */
function context(term: number, commitIndex: number, terms: number[]): RaftContext {
  return {
    currentTerm: term,
    commitIndex,
    log: new ArrayRaftLog(terms.map((t) => ({ term: t, command: t }))),
  } as unknown as RaftContext;
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

describe('log matching, leader completeness, state machine safety', () => {
  const entries = (...pairs: [number, string][]) => pairs.map(([term, command]) => ({ term, command }));

  it('accepts the same entries in many logs, and a later edit that truncates and rewrites', () => {
    const checker = new InvariantChecker();
    checker.observeLogEdit('a', { from: 1, entries: entries([1, 'x'], [1, 'y']) }, 0);
    checker.observeLogEdit('b', { from: 1, entries: entries([1, 'x']) }, 0);
    checker.observeLogEdit('b', { from: 2, entries: entries([1, 'y'], [2, 'z']) }, 1);
    checker.observeLogEdit('c', { from: 2, entries: entries([3, 'w']) }, 1);
    expect(checker.checks).toBe(4);
  });

  it('refuses two different commands at the same index and term', () => {
    const checker = new InvariantChecker();
    checker.observeLogEdit('a', { from: 1, entries: entries([1, 'x']) }, 0);
    expect(() => checker.observeLogEdit('b', { from: 1, entries: entries([1, 'other']) }, 0)).toThrow(
      /log matching: node b holds entry 1 of term 1 as "other"/,
    );
  });

  it('refuses the same entry after a different prefix', () => {
    const checker = new InvariantChecker();
    checker.observeLogEdit('a', { from: 1, entries: entries([1, 'x'], [3, 'y']) }, 0);
    expect(() => checker.observeLogEdit('b', { from: 2, entries: entries([3, 'y']) }, 2)).toThrow(
      /after term 2, another log as "y" after term 1/,
    );
  });

  it('refuses a new leader that lacks the highest committed entry', () => {
    const checker = new InvariantChecker();
    checker.observeStep('a', 'leader', context(2, 3, [1, 2, 2]));
    checker.observeStep('b', 'follower', context(2, 0, [1, 2, 2]));
    checker.observeStep('b', 'leader', context(3, 0, [1, 2, 2, 3]));
    expect(() => checker.observeStep('c', 'leader', context(4, 0, [1, 2]))).toThrow(
      /leader completeness: node c leads term 4 without committed entry 3 \(term 2\)/,
    );
  });

  it('lets a leader of an older term than the commit win late without the entry (found by fuzz seed 332)', () => {
    const checker = new InvariantChecker();
    checker.observeStep('a', 'leader', context(21, 2, [1, 21]));
    // Votes of term 19 granted long before, delivered after term 21 committed entry 2.
    expect(() => checker.observeStep('c', 'leader', context(19, 0, [1, 2]))).not.toThrow();
    expect(() => checker.observeStep('d', 'leader', context(22, 0, [1, 2]))).toThrow(/leader completeness/);
  });

  it('refuses two nodes applying different entries at one index', () => {
    const checker = new InvariantChecker();
    checker.observeApplied('a', { index: 1, term: 1, command: 'x' });
    checker.observeApplied('b', { index: 1, term: 1, command: 'x' });
    expect(() => checker.observeApplied('c', { index: 1, term: 2, command: 'y' })).toThrow(
      /state machine safety: node c applied "y" \(term 2\) at index 1, node a applied "x" \(term 1\)/,
    );
  });
});

describe('snapshots cover committed entries', () => {
  it('accepts a snapshot at an applied index and term, refuses any other', () => {
    const checker = new InvariantChecker();
    checker.observeApplied('a', { index: 1, term: 1, command: 'x' });
    checker.observeApplied('a', { index: 2, term: 2, command: 'y' });
    checker.observeSnapshot('b', { index: 2, term: 2, data: '' });
    expect(() => checker.observeSnapshot('b', { index: 2, term: 1, data: '' })).toThrow(
      /node b holds a snapshot through 2 \(term 1\), but the entry committed there is of term 2/,
    );
    expect(() => checker.observeSnapshot('c', { index: 3, term: 2, data: '' })).toThrow(
      /no node applied that index/,
    );
  });
});
