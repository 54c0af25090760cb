/** A node summary for the view-state tests: a fresh follower, with what a test changes. */
import type { NodeSummary } from '../../src/inspect/inspect-event.js';

export function summary(over: Partial<NodeSummary> = {}): NodeSummary {
  return {
    role: 'follower',
    state: 'follower.waiting.leased',
    term: 0,
    votedFor: null,
    leaderId: null,
    commitIndex: 0,
    appliedIndex: 0,
    snapshotIndex: 0,
    snapshotTerm: 0,
    lastLogIndex: 0,
    logStart: 1,
    logTerms: [],
    votes: [],
    progress: {},
    voters: ['0', '1', '2'],
    learners: [],
    transferTo: null,
    ...over,
  };
}
