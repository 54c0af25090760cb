/** What a leader plans to send one follower: entries, an empty probe, or its snapshot. */
import { describe, expect, it } from 'vitest';
import type { PeerProgress, RaftContext } from '../../machines/index.js';
import { ArrayRaftLog, initialContext, planAppend } from '../../machines/index.js';
import { TEST_TIMING, entriesWithTerms } from './machine-harness.js';

/** Leader a of term 2, its log compacted through 4 (term 1), entries 5-6 after it. */
function leader(progress: Record<string, PeerProgress>): RaftContext {
  const snapshot = { index: 4, term: 1, data: 'state' };
  const context = initialContext({
    id: 'a',
    peers: ['b'],
    timing: TEST_TIMING,
    hardState: { currentTerm: 2, votedFor: 'a' },
    log: new ArrayRaftLog(entriesWithTerms(2, 2), snapshot),
    snapshot,
  });
  return { ...context, progress };
}

const probing = (nextIndex: number): PeerProgress => ({
  nextIndex,
  matchIndex: 0,
  mode: 'probe',
  probeRpcId: null,
});

describe('planAppend', () => {
  it('plans nothing for a peer it keeps no progress for', () => {
    expect(planAppend(leader({}), 'b', 1, 'heartbeat')).toBeNull();
    expect(planAppend(leader({ b: probing(5) }), 'z', 1, 'probe')).toBeNull();
  });

  it('sends the snapshot to a follower that needs the last entry it covers', () => {
    const planned = planAppend(leader({ b: probing(4) }), 'b', 7, 'probe')!;
    expect(planned.message).toMatchObject({ type: 'InstallSnapshot', rpcId: 7, lastIncludedIndex: 4 });
  });

  it('sends entries from just after the snapshot, checked at its boundary', () => {
    const planned = planAppend(leader({ b: probing(5) }), 'b', 7, 'probe')!;
    expect(planned.message).toMatchObject({
      type: 'AppendEntries',
      prevLogIndex: 4,
      prevLogTerm: 1,
      entries: entriesWithTerms(2, 2),
    });
  });
});
