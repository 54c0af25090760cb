/** Term and vote rules of the Raft paper (Figure 2, section 5.4.1), as pure functions. */
import type { RaftLog } from './log.js';

/** Votes (or replicas) needed out of `clusterSize` voters. */
export function quorumSize(clusterSize: number): number {
  return Math.floor(clusterSize / 2) + 1;
}

/**
 * Section 5.4.1: a candidate's log is at least as up to date as ours if its last term is
 * higher, or the last terms are equal and its log is at least as long.
 */
export function isLogUpToDate(candidateLastTerm: number, candidateLastIndex: number, log: RaftLog): boolean {
  if (candidateLastTerm !== log.lastTerm) return candidateLastTerm > log.lastTerm;
  return candidateLastIndex >= log.lastIndex;
}
