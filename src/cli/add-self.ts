/**
 * `raftchart node --join --add-self`: a joining node has itself added to the running cluster
 * through the admin routes of its peers' client APIs (src/cli/admin-api.ts): as a learner
 * first, which receives the log but counts for no quorum, then, once it has applied what the
 * leader had committed when it looked, promoted to a voter (docs/membership.md: adding a
 * voter that is far behind stalls commits until it catches up). Each step is decided from
 * the configuration in force on this node, so a restart picks up where it stands: a learner
 * is only promoted, a voter left alone.
 */
import type { NodeId } from '../../machines/index.js';
import type { RaftNode } from '../api/raft-node.js';

export interface AddSelfOptions {
  readonly id: NodeId;
  /** host:port where the peers reach this node's transport (its --listen). */
  readonly address: string;
  /** The running cluster's client APIs, id -> host:port: where to ask. */
  readonly peerClients: Readonly<Record<NodeId, string>>;
  /** Sent as the bearer token: a node on another machine refuses admin requests without it. */
  readonly secret: string;
  readonly node: Pick<RaftNode, 'status' | 'membership'>;
  readonly signal: AbortSignal;
  /** Each new step, once. */
  readonly log: (message: string) => void;
  /** The pause between two looks; default 500 ms. */
  readonly pollMs?: number;
}

/** Resolves true once this node is a voter, false if `signal` aborts first. Never rejects. */
export async function addSelf(options: AddSelfOptions): Promise<boolean> {
  const { id, node, signal } = options;
  let said = '';
  const say = (message: string) => {
    if (message !== said) options.log((said = message));
  };
  // Where the leader's commit index stood when this learner started catching up.
  let target: number | null = null;
  while (!signal.aborted) {
    try {
      const config = node.membership();
      if (config.voters.includes(id)) {
        say('this node is a voter of the cluster');
        return true;
      }
      if (!config.learners.includes(id)) {
        say('asking the cluster to add this node as a learner');
        await ask(options, 'POST', '/admin/members', { id, role: 'learner', address: options.address });
      } else {
        target ??= await leaderCommitIndex(options);
        if (target !== null && node.status().appliedIndex >= target) {
          say('caught up with the leader: asking the cluster to promote this node');
          await ask(options, 'POST', `/admin/members/${encodeURIComponent(id)}/promote`);
        } else {
          say("a learner: catching up with the leader's log");
        }
      }
    } catch (error) {
      say(`not yet (${error instanceof Error ? error.message : String(error)}): trying again`);
    }
    await pause(options.pollMs ?? 500, signal);
  }
  return false;
}

/**
 * Sends an admin request to the peers in turn, following a redirect to the leader by hand
 * (so that the secret goes along). Resolves on 200, or on a refusal that says it is done
 * already (this node's own view of the membership can lag the leader's); throws otherwise.
 */
async function ask(options: AddSelfOptions, method: string, path: string, body?: unknown): Promise<void> {
  const headers = {
    authorization: `Bearer ${options.secret}`,
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
  };
  let last = 'no peer client API is given';
  for (const address of Object.values(options.peerClients)) {
    let url = `http://${address}${path}`;
    for (let hops = 0; hops < 3; hops++) {
      try {
        const response = await fetch(url, {
          method,
          headers,
          redirect: 'manual',
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.any([options.signal, AbortSignal.timeout(10_000)]),
        });
        const answer = (await response.json()) as { message?: unknown };
        const location = response.headers.get('location');
        if (response.status === 200) return;
        last = `${response.status}: ${String(answer.message)}`;
        if (response.status === 409 && / (a member|a voter) already/.test(String(answer.message))) return;
        if (response.status !== 307 || location === null) break;
        url = new URL(location, url).href;
      } catch (error) {
        last = `${url}: ${error instanceof Error ? error.message : String(error)}`;
        break;
      }
    }
  }
  throw new Error(last);
}

/** The commit index of the peer that leads in the highest term, or null while none says it does. */
async function leaderCommitIndex(options: AddSelfOptions): Promise<number | null> {
  const statuses = await Promise.all(
    Object.values(options.peerClients).map(async (address) => {
      try {
        const response = await fetch(`http://${address}/status`, {
          signal: AbortSignal.any([options.signal, AbortSignal.timeout(5_000)]),
        });
        return (await response.json()) as { role?: unknown; term?: unknown; commitIndex?: unknown };
      } catch {
        return null;
      }
    }),
  );
  const leaders = statuses
    .filter((status) => status?.role === 'leader' && typeof status.commitIndex === 'number')
    .sort((a, b) => Number(b!.term) - Number(a!.term));
  return leaders.length === 0 ? null : (leaders[0]!.commitIndex as number);
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
