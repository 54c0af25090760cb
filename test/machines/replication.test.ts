/** What a leader plans to send one follower: entries, an empty probe, or its snapshot. */
import { describe, expect, it } from 'vitest';
import type { PeerProgress, RaftContext, ReplicationLimits } from '../../machines/index.js';
import { ArrayRaftLog, DEFAULT_LIMITS, initialContext, planAppend } from '../../machines/index.js';
import { TEST_TIMING, entriesWithTerms } from './machine-harness.js';

/** Leader a of term 2, its log compacted through 4 (term 1), entries 5-8 after it. */
function leader(
  progress: Record<string, PeerProgress>,
  limits: Partial<ReplicationLimits> = {},
): RaftContext {
  const snapshot = { index: 4, term: 1, data: 'state' };
  const context = initialContext({
    id: 'a',
    peers: ['b'],
    timing: TEST_TIMING,
    hardState: { currentTerm: 2, votedFor: 'a' },
    log: new ArrayRaftLog(entriesWithTerms(2, 2, 2, 2), snapshot),
    limits: { ...DEFAULT_LIMITS, ...limits },
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

const streaming = (nextIndex: number, matchIndex: number): PeerProgress => ({
  nextIndex,
  matchIndex,
  mode: 'replicate',
  probeRpcId: null,
});

/** How many entries a planned AppendEntries carries (null for none planned, or a snapshot). */
const entriesOf = (planned: ReturnType<typeof planAppend>) =>
  planned?.message.type === 'AppendEntries' ? planned.message.entries.length : null;

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
      entries: entriesWithTerms(2, 2, 2, 2),
    });
  });

  it('to a probed follower that needs the snapshot: streams nothing, heartbeats an empty probe at its boundary', () => {
    expect(planAppend(leader({ b: probing(3) }), 'b', 7, 'stream')).toBeNull();
    expect(planAppend(leader({ b: probing(3) }), 'b', 7, 'heartbeat')!.progress).toEqual({
      ...probing(3),
      probeRpcId: 7,
    });
    expect(planAppend(leader({ b: probing(3) }), 'b', 7, 'heartbeat')!.message).toMatchObject({
      type: 'AppendEntries',
      prevLogIndex: 4,
      prevLogTerm: 1,
      entries: [],
    });
  });

  it('heartbeats a probed follower with an empty probe, a streaming one with what fits', () => {
    expect(entriesOf(planAppend(leader({ b: probing(5) }), 'b', 7, 'heartbeat'))).toBe(0);
    expect(entriesOf(planAppend(leader({ b: streaming(6, 5) }), 'b', 7, 'heartbeat'))).toBe(3);
    expect(entriesOf(planAppend(leader({ b: streaming(9, 8) }), 'b', 7, 'heartbeat'))).toBe(0);
  });

  it('sends at most maxEntriesPerMessage entries in one message', () => {
    expect(
      entriesOf(planAppend(leader({ b: probing(5) }, { maxEntriesPerMessage: 2 }), 'b', 7, 'probe')),
    ).toBe(2);
    expect(
      entriesOf(planAppend(leader({ b: probing(5) }, { maxEntriesPerMessage: 1 }), 'b', 7, 'probe')),
    ).toBe(1);
  });

  it('keeps at most maxInflightEntries unacknowledged while streaming; a probe is not bounded by it', () => {
    const limits = { maxInflightEntries: 2 };
    expect(entriesOf(planAppend(leader({ b: streaming(5, 4) }, limits), 'b', 7, 'stream'))).toBe(2);
    expect(entriesOf(planAppend(leader({ b: streaming(6, 4) }, limits), 'b', 7, 'stream'))).toBe(1);
    expect(planAppend(leader({ b: streaming(7, 4) }, limits), 'b', 7, 'stream')).toBeNull();
    expect(entriesOf(planAppend(leader({ b: probing(5) }, limits), 'b', 7, 'probe'))).toBe(4);
  });

  it('fills a message up to maxBytesPerMessage exactly', () => {
    const context = leader({ b: streaming(5, 4) }, { maxBytesPerMessage: 12 });
    // Each command is a 6-character string: 8 bytes as JSON.
    const log = new ArrayRaftLog(
      ['aaaaaa', 'bbbbbb', 'cccccc'].map((command) => ({ term: 2, command })),
      { index: 4, term: 1 },
    );
    expect(entriesOf(planAppend({ ...context, log }, 'b', 7, 'stream'))).toBe(1);
    const exact = { ...context, limits: { ...context.limits, maxBytesPerMessage: 16 } };
    expect(entriesOf(planAppend({ ...exact, log }, 'b', 7, 'stream'))).toBe(2);
  });
});
