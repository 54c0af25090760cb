/**
 * The kvraft tester's constants, as the course writes them, and the two this port adds
 * because virtual time only moves when something waits for a timer.
 */
import type { Latency } from '../../src/sim/sim-network.js';

/** The kvraft test file's `electionTimeout`, used for its sleeps (1 s). */
export const ELECTION_TIMEOUT_MS = 1000;

/** How long GenericTest lets its clients run in each of its 3 rounds. */
export const ROUND_MS = 5000;

/** The course's per-test limit, checked after the fact on virtual time. */
export const TEST_LIMIT_MS = 120_000;

/** porcupine's budget in the course (`linearizabilityCheckTimeout`): past it, 'unknown' and the test passes. */
export const LINEARIZABILITY_CHECK_TIMEOUT_MS = 1000;

/**
 * GenericTestSpeed: 1000 appends, each within a third of the 100 ms heartbeat interval.
 * (The course computes 100 ms / 3 in integer nanoseconds: 33.333333 ms.)
 */
export const SPEED_OPS = 1000;
export const SPEED_MS_PER_OP = 100 / 3;

/**
 * Added by this port: every message that gets through, on the Raft network and on a
 * clerk's RPC, takes 2-6 ms of virtual time each way. In Go an RPC always takes some real
 * time; in the simulator a reliable message takes none, so a clerk's operations would
 * complete at the same virtual instant forever and a 5 s round would never end (measured:
 * 1000 sequential appends in 0 ms of virtual time). 2-6 ms makes a sequential operation
 * take about 15 ms, as the course's reference solution does in its speed test (15.7 ms/op).
 */
export const RPC_LATENCY: Latency = { minMs: 2, maxMs: 6 };

/**
 * Added by this port: how long a key/value server waits for its proposal (or read barrier)
 * before it answers ErrWrongLeader and its clerk tries another server, as the course's
 * servers do when a leader cut off in a minority cannot commit.
 */
export const SERVER_WAIT_MS = 1000;
