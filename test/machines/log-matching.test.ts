/** The follower side of AppendEntries: consistency check, conflict hint, and the one log edit. */
import { describe, expect, it } from 'vitest';
import type { AppendEntries, LogEntry, RaftLog } from '../../machines/index.js';
import { ArrayRaftLog, applyLogEdit, decideAppend } from '../../machines/index.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';

function entries(...terms: number[]): LogEntry[] {
  return terms.map((term, i) => ({ term, command: `cmd${i + 1}` }));
}

function logOf(...terms: number[]): ArrayRaftLog {
  return new ArrayRaftLog(entries(...terms));
}

function terms(log: RaftLog): number[] {
  return log.slice(1, log.lastIndex).map((e) => e.term);
}

function request(
  prevLogIndex: number,
  prevLogTerm: number,
  newEntries: readonly LogEntry[] = [],
): AppendEntries {
  return {
    type: 'AppendEntries',
    from: 'leader',
    to: 'follower',
    term: 9,
    rpcId: 1,
    prevLogIndex,
    prevLogTerm,
    entries: newEntries,
    leaderCommit: 0,
  };
}

/** decideAppend's refusal, with the conflict hint the follower sends back. */
function refusal(conflictTerm: number, conflictIndex: number, logLength: number) {
  return { ok: false, conflict: { conflictTerm, conflictIndex, logLength } };
}

describe('decideAppend: the consistency check', () => {
  it('accepts a heartbeat at index 0 on an empty log, with nothing to write', () => {
    expect(decideAppend(new ArrayRaftLog(), request(0, 0))).toEqual({ ok: true, matchIndex: 0, edit: null });
  });

  it('accepts a heartbeat whose previous entry matches, reporting it as matched', () => {
    expect(decideAppend(logOf(1, 1, 2), request(2, 1))).toEqual({ ok: true, matchIndex: 2, edit: null });
  });

  it('rejects a previous index past the end: conflictTerm 0, conflictIndex = logLength + 1', () => {
    expect(decideAppend(logOf(1, 1), request(5, 3, entries(3)))).toEqual(refusal(0, 3, 2));
    expect(decideAppend(new ArrayRaftLog(), request(1, 1))).toEqual(refusal(0, 1, 0));
  });

  it('rejects a term mismatch, naming its term and the first index it holds with that term', () => {
    const log = logOf(1, 1, 2, 2, 2, 3);
    expect(decideAppend(log, request(5, 4))).toEqual(refusal(2, 3, 6));
    expect(decideAppend(log, request(3, 5))).toEqual(refusal(2, 3, 6));
    expect(decideAppend(log, request(2, 3))).toEqual(refusal(1, 1, 6));
    expect(decideAppend(log, request(6, 4))).toEqual(refusal(3, 6, 6));
  });

  it("checks a previous entry at the snapshot's boundary against the snapshot's term", () => {
    const log = new ArrayRaftLog(entries(2, 3), { index: 5, term: 2 });
    expect(decideAppend(log, request(5, 2))).toMatchObject({ ok: true, matchIndex: 5 });
    expect(decideAppend(log, request(5, 3))).toEqual({
      ok: false,
      conflict: { conflictTerm: 2, conflictIndex: 5, logLength: 7 },
    });
    // Inside the snapshot everything is committed: it matches, whatever term the request names.
    expect(decideAppend(log, request(3, 1))).toMatchObject({ ok: true });
  });

  it('does not change the log it decides on', () => {
    const log = logOf(1, 2, 2);
    decideAppend(log, request(1, 1, entries(5, 5, 5, 5)));
    decideAppend(log, request(3, 1));
    expect(terms(log)).toEqual([1, 2, 2]);
  });
});

describe('decideAppend: the log edit', () => {
  it('appends new entries after a matching previous entry', () => {
    const added = entries(2, 2);
    const decision = decideAppend(logOf(1, 1), request(2, 1, added));
    expect(decision).toEqual({ ok: true, matchIndex: 4, edit: { from: 3, entries: added } });
  });

  it('writes nothing when every entry is already there, keeping a longer log', () => {
    const log = logOf(1, 1, 2, 2, 3);
    const decision = decideAppend(log, request(1, 1, entries(1, 2)));
    expect(decision).toEqual({ ok: true, matchIndex: 3, edit: null });
  });

  it('skips the entries that match and writes from the first conflict', () => {
    const log = logOf(1, 1, 2, 2);
    const sent = [
      { term: 1, command: 'a' },
      { term: 3, command: 'b' },
      { term: 3, command: 'c' },
    ];
    const decision = decideAppend(log, request(1, 1, sent));
    expect(decision).toEqual({ ok: true, matchIndex: 4, edit: { from: 3, entries: sent.slice(1) } });
    if (!decision.ok || decision.edit === null) throw new Error('expected an edit');
    expect(decision.edit.entries[0]).toBe(sent[1]);
    expect(terms(applyLogEdit(log, decision.edit))).toEqual([1, 1, 3, 3]);
  });

  it('extends the log when the request reaches past its end', () => {
    const log = logOf(1, 2);
    const sent = entries(2, 2, 4);
    const decision = decideAppend(log, request(1, 1, sent));
    expect(decision).toEqual({ ok: true, matchIndex: 4, edit: { from: 3, entries: sent.slice(1) } });
  });

  it('reports matchIndex = prevLogIndex + entries, not the length of a longer log', () => {
    const log = logOf(1, 1, 1, 1, 1, 1);
    expect(decideAppend(log, request(2, 1, entries(1)))).toMatchObject({ ok: true, matchIndex: 3 });
    expect(decideAppend(log, request(4, 1))).toMatchObject({ ok: true, matchIndex: 4 });
  });

  it('rewrites from index 1 on a conflict at the first entry', () => {
    const sent = entries(2);
    expect(decideAppend(logOf(1, 1), request(0, 0, sent))).toEqual({
      ok: true,
      matchIndex: 1,
      edit: { from: 1, entries: sent },
    });
  });

  it('satisfies the consistency rules on random logs and requests', () => {
    const random = new SeededRandom(99, 'decide-append');
    const randomTerms = (length: number) => {
      const out: number[] = [];
      let term = 1;
      for (let i = 0; i < length; i++) {
        term += random.int(3) === 0 ? 1 : 0;
        out.push(term);
      }
      return out;
    };
    for (let trial = 0; trial < 3000; trial++) {
      const follower = logOf(...randomTerms(random.int(10)));
      const before = terms(follower);
      const prevLogIndex = random.int(12);
      const prevLogTerm = prevLogIndex === 0 ? 0 : 1 + random.int(4);
      const sent = entries(...randomTerms(random.int(5)).map((t) => t + prevLogTerm));
      const decision = decideAppend(follower, request(prevLogIndex, prevLogTerm, sent));
      expect(terms(follower)).toEqual(before);

      if (prevLogIndex > follower.lastIndex) {
        expect(decision).toEqual(refusal(0, follower.lastIndex + 1, follower.lastIndex));
        continue;
      }
      if (follower.termAt(prevLogIndex) !== prevLogTerm) {
        if (decision.ok) throw new Error('expected a rejection');
        const { conflictTerm, conflictIndex, logLength } = decision.conflict;
        expect(logLength).toBe(follower.lastIndex);
        expect(conflictTerm).toBe(follower.termAt(prevLogIndex));
        expect(conflictIndex).toBeLessThanOrEqual(prevLogIndex);
        expect(conflictIndex).toBeGreaterThanOrEqual(1);
        for (let i = conflictIndex; i <= prevLogIndex; i++) expect(follower.termAt(i)).toBe(conflictTerm);
        expect(follower.termAt(conflictIndex - 1)).not.toBe(conflictTerm);
        continue;
      }
      if (!decision.ok) throw new Error('expected an acceptance');
      expect(decision.matchIndex).toBe(prevLogIndex + sent.length);
      const after = new ArrayRaftLog(follower.slice(1, follower.lastIndex));
      if (decision.edit !== null) {
        expect(decision.edit.from).toBeGreaterThan(prevLogIndex);
        expect(decision.edit.from).toBeLessThanOrEqual(prevLogIndex + sent.length);
        expect(follower.termAt(decision.edit.from)).not.toBe(
          sent[decision.edit.from - prevLogIndex - 1]!.term,
        );
        applyLogEdit(after, decision.edit);
      }
      // Up to prevLogIndex nothing changed; then the log holds exactly what was sent.
      expect(after.slice(1, prevLogIndex)).toEqual(follower.slice(1, prevLogIndex));
      expect(after.slice(prevLogIndex + 1, prevLogIndex + sent.length).map((e) => e.term)).toEqual(
        sent.map((e) => e.term),
      );
      // Without a conflict, nothing past the request is taken back.
      if (decision.edit === null) expect(terms(after)).toEqual(before);
    }
  });
});
