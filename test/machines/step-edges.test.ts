/**
 * The pure step's edges: a timer that is not pending, the election timeout source of one
 * step only, its bounds, when hardState is reported, and that nothing empty is an effect.
 */
import { describe, expect, it } from 'vitest';
import type { RaftTiming, StepResult } from '../../machines/index.js';
import { initialStep, step } from '../../machines/index.js';
import { appendEntries, requestVote } from './machine-harness.js';

const TIMING: RaftTiming = { heartbeatIntervalMs: 100, electionTimeoutMinMs: 500, electionTimeoutMaxMs: 900 };
const FOLLOWER_TIMEOUT = { type: 'xstate.after.electionTimeout.raft.follower.waiting' } as const;

/** The timers a step started, as `name delay`. */
const delays = (result: StepResult) =>
  result.timers.flatMap((t) => (t.type === 'startTimer' ? [`${t.timer} ${t.delayMs}`] : []));

describe('step', () => {
  it('ignores a timer that is not pending, with no effect at all', () => {
    const first = initialStep({ id: 'a', peers: ['b', 'c'], timing: TIMING });
    const stale = step(first.state, { type: 'xstate.after.heartbeatInterval.raft.leader.heartbeating' });
    expect(stale).toEqual({
      state: first.state,
      effects: [],
      messages: [],
      logEdits: [],
      timers: [],
      reads: [],
      hardState: null,
    });
  });

  it("uses a step's election timeout for that step only", () => {
    const first = initialStep({ id: 'a', peers: ['b', 'c'], timing: TIMING }, { electionTimeout: 800 });
    // The lease is always the minimum election timeout: the drawn delay is the election timer's.
    expect(delays(first)).toEqual(['electionTimeout 800', 'leaderLease 500']);
    const granted = step(first.state, requestVote('b', 1));
    expect(delays(granted)).toEqual(['electionTimeout 500', 'leaderLease 500']);
  });

  it('refuses an election timeout outside the timing, saying the bounds', () => {
    expect(() => initialStep({ id: 'a', peers: ['b'], timing: TIMING }, { electionTimeout: 100 })).toThrow(
      new RangeError("election timeout 100 ms is outside the timing's [500, 900] ms"),
    );
  });

  it('reports hardState when the term or the vote changed, and only then', () => {
    const { state } = initialStep({ id: 'a', peers: ['b', 'c'], timing: TIMING });
    const newTerm = step(state, appendEntries('b', 1));
    expect(newTerm.hardState).toEqual({ currentTerm: 1, votedFor: null });
    const sameTerm = step(newTerm.state, appendEntries('b', 1));
    expect(sameTerm.hardState).toBeNull();
    const voted = step(newTerm.state, requestVote('c', 1));
    expect(voted.hardState).toEqual({ currentTerm: 1, votedFor: 'c' });
  });

  it('makes no send effect of nothing to send: a one-node leader heartbeats no one', () => {
    const first = initialStep({ id: 'a', peers: [], timing: TIMING });
    const elected = step(first.state, FOLLOWER_TIMEOUT);
    expect(elected.state.role).toBe('leader');
    const beat = step(elected.state, { type: 'xstate.after.heartbeatInterval.raft.leader.heartbeating' });
    expect(beat.effects.filter((e) => e.type === 'send')).toEqual([]);
    expect(elected.effects.filter((e) => e.type === 'send')).toEqual([]);
  });
});
