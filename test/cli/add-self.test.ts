/**
 * `--add-self`'s steps (src/cli/add-self.ts) in-process, against a scripted peer on
 * 127.0.0.1 and a node whose configuration the test sets: a non-member asks to be added as
 * a learner (with the secret, at its listen address), a learner is promoted only once it
 * has applied the leader's commit index, a voter asks nothing, and "already" refusals count
 * as done (the node's own view lags the leader's).
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterConfig } from '../../machines/index.js';
import { addSelf } from '../../src/cli/add-self.js';
import type { NodeStatus } from '../../src/node/node-host.js';

const SECRET = 'add-self-test-secret';

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly authorization: string | undefined;
}

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

/** The leader's client API (commit index 40); `change` answers each change request. */
async function leader(change: (seen: Seen) => { status: number; message?: string }) {
  const seen: Seen[] = [];
  server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      const one = {
        method: request.method ?? '',
        path: request.url ?? '',
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
        authorization: request.headers.authorization,
      };
      response.setHeader('content-type', 'application/json');
      if (one.path === '/status')
        return response.end(JSON.stringify({ role: 'leader', term: 2, commitIndex: 40 }));
      seen.push(one);
      const answer = change(one);
      response.statusCode = answer.status;
      response.end(JSON.stringify({ message: answer.message ?? 'ok' }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** A node whose configuration and applied index the test moves along. */
function scripted(config: ClusterConfig, appliedIndex = 0) {
  return {
    config,
    appliedIndex,
    membership() {
      return this.config;
    },
    status() {
      return { appliedIndex: this.appliedIndex } as NodeStatus;
    },
  };
}

const NONE: ClusterConfig = { voters: [], learners: [], addresses: {} };
const LEARNER: ClusterConfig = { voters: ['n1'], learners: ['n4'], addresses: {} };
const VOTER: ClusterConfig = { voters: ['n1', 'n4'], learners: [], addresses: {} };

function run(node: ReturnType<typeof scripted>, address: string, log: string[] = []) {
  const stop = new AbortController();
  const done = addSelf({
    id: 'n4',
    address: '127.0.0.1:7004',
    peerClients: { n1: address },
    secret: SECRET,
    node,
    signal: AbortSignal.any([stop.signal, AbortSignal.timeout(20_000)]),
    log: (message) => log.push(message),
    pollMs: 20,
  });
  return { done, stop, log };
}

describe('--add-self', () => {
  it('a non-member asks to be a learner, then, caught up, to be promoted; then it stops', async () => {
    const node = scripted(NONE);
    const peer = await leader(({ path }) => {
      // The leader's configuration reaches the node once each change is accepted.
      if (path === '/admin/members') node.config = LEARNER;
      else node.config = VOTER;
      return { status: 200 };
    });
    const { done, log } = run(node, peer.address);
    // Behind the leader's commit index (40): no promotion until it has applied that far.
    while (!log.some((line) => /catching up/.test(line))) await new Promise((r) => setTimeout(r, 10));
    expect(peer.seen).toHaveLength(1);
    node.appliedIndex = 40;
    expect(await done).toBe(true);
    expect(peer.seen).toEqual([
      {
        method: 'POST',
        path: '/admin/members',
        body: { id: 'n4', role: 'learner', address: '127.0.0.1:7004' },
        authorization: `Bearer ${SECRET}`,
      },
      {
        method: 'POST',
        path: '/admin/members/n4/promote',
        body: undefined,
        authorization: `Bearer ${SECRET}`,
      },
    ]);
    expect(log.at(-1)).toBe('this node is a voter of the cluster');
  });

  it('a voter asks nothing; a caught-up learner (a restart) is only promoted', async () => {
    const peer = await leader(() => ({ status: 200 }));
    expect(await run(scripted(VOTER), peer.address).done).toBe(true);
    expect(peer.seen).toEqual([]);
    const node = scripted(LEARNER, 50);
    const { done, stop } = run(node, peer.address);
    while (peer.seen.length === 0) await new Promise((r) => setTimeout(r, 10));
    node.config = VOTER;
    expect(await done).toBe(true);
    stop.abort();
    expect(peer.seen.map((s) => s.path)).toEqual(['/admin/members/n4/promote']);
  });

  it('"a member already" counts as added; other refusals are retried; abort stops it', async () => {
    let refusals = 2;
    const node = scripted(NONE);
    const peer = await leader(() =>
      refusals-- > 0
        ? { status: 409, message: 'node n1 did not change the membership: a change is pending' }
        : { status: 409, message: 'node n1 did not change the membership: n4 is a member already' },
    );
    const { done, stop, log } = run(node, peer.address);
    while (peer.seen.length < 4) await new Promise((r) => setTimeout(r, 10));
    expect(log.some((line) => /not yet \(409: .*a change is pending\)/.test(line))).toBe(true);
    expect(log.some((line) => /a member already/.test(line))).toBe(false);
    stop.abort();
    expect(await done).toBe(false);
  });
});
