/** The safety checker: at most one leader per term, durable terms never go back. */
import { describe, expect, it } from 'vitest';
import { InvariantChecker, InvariantViolation } from '../../src/sim/invariants.js';

describe('election safety', () => {
  it('throws InvariantViolation on two different leaders in one term', () => {
    const checker = new InvariantChecker();
    checker.observeRole('a', 'leader', 3);
    expect(() => checker.observeRole('b', 'leader', 3)).toThrow(InvariantViolation);
    expect(() => checker.observeRole('c', 'leader', 3)).toThrow(/two leaders in term 3: a and c/);
  });

  it('names the error InvariantViolation', () => {
    const checker = new InvariantChecker();
    checker.observeRole('a', 'leader', 1);
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
    const checker = new InvariantChecker();
    checker.observeRole('a', 'leader', 1);
    checker.observeRole('b', 'leader', 2);
    checker.observeRole('c', 'leader', 5);
    checker.observeRole('a', 'leader', 4);
    expect(() => checker.observeRole('b', 'leader', 3)).not.toThrow();
    expect(() => checker.observeRole('a', 'leader', 1)).not.toThrow();
    expect(() => checker.observeRole('c', 'leader', 2)).toThrow(InvariantViolation);
  });

  it('ignores followers and candidates, however many share a term', () => {
    const checker = new InvariantChecker();
    checker.observeRole('a', 'candidate', 7);
    checker.observeRole('b', 'candidate', 7);
    checker.observeRole('c', 'follower', 7);
    checker.observeRole('b', 'leader', 7);
    checker.observeRole('a', 'follower', 7);
    checker.observeRole('c', 'candidate', 7);
    expect(() => checker.observeRole('a', 'leader', 7)).toThrow(/two leaders in term 7: b and a/);
  });

  it('remembers a leader of a term after it stepped down', () => {
    const checker = new InvariantChecker();
    checker.observeRole('a', 'leader', 4);
    checker.observeRole('a', 'follower', 4);
    expect(() => checker.observeRole('b', 'leader', 4)).toThrow(InvariantViolation);
  });
});

describe('durable terms', () => {
  it('accepts a term that stays or grows', () => {
    const checker = new InvariantChecker();
    checker.observeDurable('a', { currentTerm: 0, votedFor: null });
    checker.observeDurable('a', { currentTerm: 1, votedFor: 'a' });
    checker.observeDurable('a', { currentTerm: 1, votedFor: 'a' });
    checker.observeDurable('a', { currentTerm: 5, votedFor: null });
    expect(() => checker.observeDurable('a', { currentTerm: 5, votedFor: 'b' })).not.toThrow();
    expect(checker.checks).toBe(5);
  });

  it('throws when a node durable term decreases', () => {
    const checker = new InvariantChecker();
    checker.observeDurable('a', { currentTerm: 3, votedFor: null });
    expect(() => checker.observeDurable('a', { currentTerm: 2, votedFor: null })).toThrow(InvariantViolation);
    expect(() => checker.observeDurable('a', { currentTerm: 0, votedFor: null })).toThrow(
      /node a's durable term went back from 3 to 0/,
    );
  });

  it('throws across what would be a restart: the record is per node id', () => {
    const checker = new InvariantChecker();
    checker.observeDurable('a', { currentTerm: 6, votedFor: 'a' });
    // The node crashes and restarts: its new incarnation reports under the same id.
    checker.observeDurable('a', { currentTerm: 6, votedFor: 'a' });
    expect(() => checker.observeDurable('a', { currentTerm: 5, votedFor: null })).toThrow(InvariantViolation);
  });

  it('keeps each node separate', () => {
    const checker = new InvariantChecker();
    checker.observeDurable('a', { currentTerm: 9, votedFor: null });
    expect(() => checker.observeDurable('b', { currentTerm: 1, votedFor: null })).not.toThrow();
    expect(() => checker.observeDurable('b', { currentTerm: 0, votedFor: null })).toThrow(InvariantViolation);
    expect(() => checker.observeDurable('a', { currentTerm: 8, votedFor: null })).toThrow(InvariantViolation);
  });

  it('counts every observation as a check', () => {
    const checker = new InvariantChecker();
    expect(checker.checks).toBe(0);
    checker.observeRole('a', 'follower', 1);
    checker.observeRole('a', 'leader', 1);
    checker.observeDurable('a', { currentTerm: 1, votedFor: 'a' });
    expect(checker.checks).toBe(3);
  });
});
