/**
 * Check-quorum (the Raft thesis, section 6.2) on the pure step: a leader that has not heard
 * from a quorum of voters within its window (the minimum election timeout, in heartbeat
 * ticks: 500 / 100 = 5 here) steps down at the next heartbeat tick.
 */
import { describe, expect, it } from 'vitest';
import { leaderWindowTicks } from '../../machines/index.js';
import { StepNode, TEST_TIMING, membersOf } from './machine-harness.js';

const CHECK_QUORUM = { checkQuorum: true };
const WINDOW = leaderWindowTicks(TEST_TIMING);

describe('check-quorum', () => {
  it('the window is the minimum election timeout in heartbeat ticks', () => {
    expect(WINDOW).toBe(Math.ceil(TEST_TIMING.electionTimeoutMinMs / TEST_TIMING.heartbeatIntervalMs));
    expect(WINDOW).toBe(5);
  });

  it('a leader no voter answers steps down at the tick after a whole window, forgetting itself', () => {
    const node = new StepNode({ features: CHECK_QUORUM });
    node.lead();
    node.tick(WINDOW);
    expect(node.role).toBe('leader');
    const lost = node.tick();
    expect(node.role).toBe('follower');
    expect(node.context).toMatchObject({ currentTerm: 1, votedFor: 'a', leaderId: null });
    // Nothing changes hands: no term, no vote, no message.
    expect(lost.hardState).toBeNull();
    expect(lost.messages).toEqual([]);
    expect(node.pendingTimers()).toEqual(['electionTimeout', 'leaderLease']);
  });

  it('stays leader while one voter (with itself, a quorum of three) keeps answering', () => {
    const node = new StepNode({ features: CHECK_QUORUM });
    node.lead();
    for (let tick = 0; tick < 5 * WINDOW; tick++) {
      node.acceptFrom('b', 0);
      node.tick();
      expect(node.role, `tick ${tick + 1}`).toBe('leader');
    }
  });

  it('steps down once the answers stop for longer than the window', () => {
    const node = new StepNode({ features: CHECK_QUORUM });
    node.lead();
    node.tick(3);
    node.acceptFrom('c', 0); // heard at tick 3
    expect(node.context.heardAt).toEqual({ c: 3 });
    // Judged before each tick counts: at tick 3 + WINDOW c is still within the window.
    node.tick(WINDOW + 1);
    expect(node.role).toBe('leader');
    node.tick();
    expect(node.role).toBe('follower');
  });

  it('a rejection is an answer too', () => {
    const node = new StepNode({
      features: CHECK_QUORUM,
      entries: [{ term: 1, command: 'x' }],
      hardState: { currentTerm: 1, votedFor: null },
    });
    node.lead();
    for (let tick = 0; tick < 3 * WINDOW; tick++) {
      const probe = node.lastAppendTo('b');
      node.send({
        type: 'AppendEntriesReply',
        from: 'b',
        to: 'a',
        term: node.context.currentTerm,
        inReplyTo: probe.rpcId,
        success: false,
        conflict: { conflictTerm: 0, conflictIndex: 1, logLength: 0 },
      });
      node.tick();
    }
    expect(node.role).toBe('leader');
  });

  it('a single-voter leader never steps down', () => {
    const node = new StepNode({ peers: [], features: CHECK_QUORUM });
    node.lead();
    node.tick(10 * WINDOW);
    expect(node.role).toBe('leader');
  });

  it("learners' answers do not count", () => {
    const node = new StepNode({ features: CHECK_QUORUM, config: membersOf(['a', 'b', 'c'], ['d']) });
    node.lead();
    for (let tick = 0; tick < WINDOW; tick++) {
      node.acceptFrom('d', 0);
      node.tick();
    }
    node.acceptFrom('d', 0);
    expect(node.context.heardAt.d).toBe(WINDOW);
    node.tick();
    expect(node.role).toBe('follower');
  });

  it('without check-quorum, a leader no one answers leads on', () => {
    const node = new StepNode();
    node.lead();
    node.tick(10 * WINDOW);
    expect(node.role).toBe('leader');
  });
});
