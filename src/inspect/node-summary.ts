/** A node's context cut down to what the cluster view shows (and can send as JSON). Browser-safe. */
import type { RaftContext } from '../../machines/index.js';
import { roleOf } from '../../machines/index.js';
import type { NodeSummary, PeerProgressSummary } from './inspect-event.js';
import { LOG_WINDOW } from './inspect-event.js';

/** The active leaf of a chart state value: `{ follower: 'waiting' }` is `follower.waiting`. */
export function leafState(value: unknown): string {
  const parts: string[] = [];
  let current: unknown = value;
  while (typeof current === 'object' && current !== null) {
    const [key, inner] = Object.entries(current)[0] ?? [];
    if (key === undefined) break;
    parts.push(key);
    current = inner;
  }
  if (typeof current === 'string') parts.push(current);
  return parts.join('.');
}

export function summarize(context: RaftContext, stateValue: unknown, appliedIndex: number): NodeSummary {
  const { log } = context;
  const logStart = Math.max(log.snapshotIndex + 1, log.lastIndex - LOG_WINDOW + 1);
  const logTerms: number[] = [];
  for (let index = logStart; index <= log.lastIndex; index++) logTerms.push(log.termAt(index) ?? 0);
  const progress: Record<string, PeerProgressSummary> = {};
  for (const [peer, p] of Object.entries(context.progress)) {
    progress[peer] = { nextIndex: p.nextIndex, matchIndex: p.matchIndex, mode: p.mode };
  }
  return {
    role: roleOf(stateValue),
    state: leafState(stateValue),
    term: context.currentTerm,
    votedFor: context.votedFor,
    leaderId: context.leaderId,
    commitIndex: context.commitIndex,
    appliedIndex,
    snapshotIndex: log.snapshotIndex,
    snapshotTerm: log.snapshotTerm,
    lastLogIndex: log.lastIndex,
    logStart,
    logTerms,
    votes: [...context.votes],
    progress,
    voters: [...context.config.voters],
    learners: [...context.config.learners],
    transferTo: context.transfer?.to ?? null,
  };
}
