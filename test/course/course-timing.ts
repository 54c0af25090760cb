/**
 * The course timing profile: heartbeats no faster than the course's ten per second, and
 * election timeouts short enough that several rounds fit in its five-second rule.
 */
import type { RaftTiming } from '../../machines/index.js';

export const COURSE_TIMING: RaftTiming = {
  heartbeatIntervalMs: 100,
  electionTimeoutMinMs: 300,
  electionTimeoutMaxMs: 600,
};

/** The course's RaftElectionTimeout ("ET"), used for its sleeps. */
export const ELECTION_TIMEOUT_MS = 1000;

/** The course's per-test limit, checked after the fact on virtual time. */
export const TEST_LIMIT_MS = 120_000;
