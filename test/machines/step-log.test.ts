/**
 * The pure step's persistent log against the production one: every read, every refusal
 * (with its message) and every edit of one is the other's, at every index around the ends
 * and the snapshot's boundary.
 */
import { describe, expect, it } from 'vitest';
import type { RaftLog } from '../../machines/index.js';
import { ArrayRaftLog, initialStep, step } from '../../machines/index.js';
import { PersistentRaftLog } from '../../machines/step-log.js';
import { TEST_TIMING, entriesWithTerms } from './machine-harness.js';

/** What a call gives: its value, or the error it throws. */
function outcome(call: () => unknown): unknown {
  try {
    return { value: call() };
  } catch (error) {
    return { error: error instanceof Error ? `${error.name}: ${error.message}` : error };
  }
}

function view(log: RaftLog) {
  const terms: (number | undefined)[] = [];
  for (let i = -1; i <= log.lastIndex + 2; i++) terms.push(log.termAt(i));
  const { lastIndex, lastTerm, snapshotIndex, snapshotTerm } = log;
  return { lastIndex, lastTerm, snapshotIndex, snapshotTerm, terms };
}

/** Logs with and without a snapshot, empty and not. */
const shapes = () => [
  new ArrayRaftLog(),
  new ArrayRaftLog(entriesWithTerms(1, 1, 2)),
  new ArrayRaftLog([], { index: 3, term: 2 }),
  new ArrayRaftLog(entriesWithTerms(2, 3, 3), { index: 3, term: 2 }),
];

describe('PersistentRaftLog', () => {
  it('reads and slices as ArrayRaftLog, and refuses the same slices with the same errors', () => {
    for (const array of shapes()) {
      const persistent = PersistentRaftLog.from(array);
      expect(view(persistent)).toEqual(view(array));
      for (let from = -1; from <= array.lastIndex + 2; from++) {
        for (let to = from - 2; to <= array.lastIndex + 2; to++) {
          expect(
            outcome(() => persistent.slice(from, to)),
            `slice(${from}, ${to})`,
          ).toEqual(outcome(() => array.slice(from, to)));
        }
      }
    }
  });

  it('truncates as ArrayRaftLog, refusing the same indexes with the same errors', () => {
    for (const [k, shape] of shapes().entries()) {
      for (let index = -1; index <= shape.lastIndex + 2; index++) {
        // Fresh logs each time: ArrayRaftLog truncates in place.
        const array = shapes()[k]!;
        const persistent = PersistentRaftLog.from(shapes()[k]);
        expect(
          outcome(() => view(persistent.truncateFrom(index))),
          `truncateFrom(${index})`,
        ).toEqual(outcome(() => view(array.truncateFrom(index))));
      }
    }
  });

  it('appends after a truncation without changing the version it came from', () => {
    const base = PersistentRaftLog.from(new ArrayRaftLog(entriesWithTerms(1, 1, 1)));
    const grown = base.append(entriesWithTerms(2));
    const branch = base.truncateFrom(3).append(entriesWithTerms(3, 3));
    expect(view(base).terms).toEqual([undefined, 0, 1, 1, 1, undefined, undefined]);
    expect(view(grown).terms.slice(1, 6)).toEqual([0, 1, 1, 1, 2]);
    expect(view(branch).terms.slice(1, 6)).toEqual([0, 1, 1, 3, 3]);
  });
});

describe('initialStep', () => {
  it('copies the log it is given and never edits it', () => {
    const log = new ArrayRaftLog(entriesWithTerms(1));
    let state = initialStep({ id: 'a', peers: [], timing: TEST_TIMING, log }).state;
    state = step(state, { type: 'xstate.after.electionTimeout.raft.follower.waiting' }).state;
    expect(state.role).toBe('leader');
    step(state, { type: 'Propose', commands: ['x', 'y'] });
    expect(view(log)).toEqual(view(new ArrayRaftLog(entriesWithTerms(1))));
  });
});
