/** The node's starting state, fresh or recovered from storage. */
import { describe, expect, it } from 'vitest';
import {
  ArrayRaftLog,
  DEFAULT_LIMITS,
  NO_READS,
  PAPER_FEATURES,
  initialContext,
} from '../../machines/index.js';
import { TEST_TIMING, entriesWithTerms } from './machine-harness.js';

describe('initialContext', () => {
  it('a fresh node: term 0, no vote, no leader, an empty log, nothing committed', () => {
    const peers = ['b', 'c'];
    const context = initialContext({ id: 'a', peers, timing: TEST_TIMING });
    // Bootstrapped with itself and its peers, all voters; the paper's algorithm by default.
    const bootstrap = { voters: ['a', 'b', 'c'], learners: [], addresses: {} };
    expect(context).toEqual({
      id: 'a',
      config: bootstrap,
      configIndex: 0,
      baseConfig: bootstrap,
      peers: ['b', 'c'],
      timing: TEST_TIMING,
      features: PAPER_FEATURES,
      limits: DEFAULT_LIMITS,
      noopOnElection: true,
      currentTerm: 0,
      votedFor: null,
      leaderId: null,
      log: new ArrayRaftLog(),
      snapshot: null,
      commitIndex: 0,
      persistedIndex: 0,
      votes: [],
      preVoteRound: 0,
      campaignTransfer: false,
      leaderTicks: 0,
      heardAt: {},
      transfer: null,
      nextRpcId: 1,
      progress: {},
      reads: NO_READS,
    });
    expect(context.peers).not.toBe(peers);
  });

  it('a restarted node: its term, vote and log, all durable; its snapshot committed', () => {
    const log = new ArrayRaftLog(entriesWithTerms(2, 3), { index: 4, term: 2 });
    const snapshot = { index: 4, term: 2, data: 'state' };
    const limits = { maxEntriesPerMessage: 1, maxInflightEntries: 2, maxBytesPerMessage: 3 };
    const context = initialContext({
      id: 'a',
      peers: ['b'],
      timing: TEST_TIMING,
      limits,
      noopOnElection: false,
      hardState: { currentTerm: 3, votedFor: 'b' },
      log,
      snapshot,
    });
    expect(context).toMatchObject({
      limits,
      noopOnElection: false,
      currentTerm: 3,
      votedFor: 'b',
      leaderId: null,
      snapshot,
      commitIndex: 4,
      persistedIndex: 6,
      votes: [],
    });
    expect(context.log).toBe(log);
  });
});
