/**
 * Waiting for a local cluster to come up: every node answers `GET /status` and follows one
 * leader, in the leader's term. Polled, with a bound and an error that says where to look.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterStartError } from './cluster-errors.js';
import type { NodePlan } from './cluster-plan.js';
import { clientUrl } from './cluster-plan.js';

/** What the wait reads of a node's `GET /status`. */
export interface StatusSummary {
  readonly role: string;
  readonly term: number;
  readonly leaderId: string | null;
}

export interface ClusterUp {
  readonly leader: string;
  readonly term: number;
  readonly statuses: ReadonlyMap<string, StatusSummary>;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  /** Aborted: the wait rejects with the signal's reason. */
  readonly signal: AbortSignal;
  /** Why the cluster cannot come up any more (a node exited), checked before each poll. */
  readonly failure: () => Error | null;
}

const POLL_MS = 200;

export async function waitForLeader(nodes: readonly NodePlan[], options: WaitOptions): Promise<ClusterUp> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    options.signal.throwIfAborted();
    const failure = options.failure();
    if (failure !== null) throw failure;
    const last = new Map(
      await Promise.all(nodes.map(async (node) => [node.id, await statusOf(node)] as const)),
    );
    const up = agreedLeader(last);
    if (up !== null) return up;
    if (Date.now() > deadline) {
      const seen = [...last].map(
        ([id, s]) => `${id}: ${s === null ? 'no answer' : `${s.role} in term ${s.term}`}`,
      );
      throw new ClusterStartError(
        `no leader that every node follows within ${options.timeoutMs / 1000} s (${seen.join(', ')}): ` +
          "read the nodes' logs (n<i>.log in the directory printed above)",
      );
    }
    await sleep(POLL_MS, undefined, { signal: options.signal });
  }
}

/** The leader every node answers for, in one term; null while some node disagrees or is silent. */
function agreedLeader(statuses: ReadonlyMap<string, StatusSummary | null>): ClusterUp | null {
  const leaders = [...statuses].filter(([, s]) => s?.role === 'leader');
  if (leaders.length !== 1) return null;
  const [leader, { term }] = leaders[0]! as [string, StatusSummary];
  for (const [id, status] of statuses) {
    if (status === null || status.term !== term) return null;
    if (id !== leader && status.leaderId !== leader) return null;
  }
  return { leader, term, statuses: statuses as ReadonlyMap<string, StatusSummary> };
}

async function statusOf(node: NodePlan): Promise<StatusSummary | null> {
  try {
    const response = await fetch(`${clientUrl(node)}/status`, { signal: AbortSignal.timeout(2000) });
    if (!response.ok) return null;
    return (await response.json()) as StatusSummary;
  } catch {
    return null;
  }
}
