/**
 * The client API's admin routes (src/cli/admin-api.ts) in-process, against a scripted node:
 * each route calls the node's transfer or membership change with what the request says,
 * refuses a malformed request (400), a wrong method (405) or an unknown path (404), and
 * answers each error as the key/value routes do (307 to the leader, 503 without one), a
 * refused change or transfer with 409 and a change of unknown outcome with 504.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterConfig, ConfigChange } from '../../machines/index.js';
import type { AdminNode } from '../../src/cli/admin-api.js';
import { createClientApi } from '../../src/cli/client-api.js';
import {
  ConfigError,
  LeadershipTransferError,
  MembershipChangeError,
  NodeStoppedError,
  NotLeaderError,
} from '../../src/errors.js';
import type { KvOperations } from '../../src/kv/kv-http.js';
import { KvMetrics } from '../../src/kv/kv-metrics.js';

const CONFIG: ClusterConfig = { voters: ['n1', 'n2', 'n3'], learners: ['n4'], addresses: {} };
const STATUS = {
  id: 'n1',
  role: 'leader' as const,
  term: 3,
  votedFor: 'n1',
  leaderId: 'n1',
  commitIndex: 9,
  appliedIndex: 9,
  lastLogIndex: 9,
  lastLogTerm: 3,
  failure: null,
};
const NO_TRAFFIC = {
  sent: 0,
  received: 0,
  dropped: 0,
  rejected: 0,
  refusedConnections: 0,
  blocked: 0,
  queued: 0,
  peers: {},
};

/** A node whose answers the test scripts: `failure` set, every call rejects with it. */
class ScriptedNode implements AdminNode {
  readonly changes: ConfigChange[] = [];
  readonly transfers: (string | undefined)[] = [];
  failure: Error | null = null;

  transferLeadership(to?: string) {
    this.transfers.push(to);
    if (this.failure !== null) return Promise.reject(this.failure);
    return Promise.resolve({ leaderId: to ?? 'n2', term: 4 });
  }

  changeMembership(change: ConfigChange) {
    this.changes.push(change);
    if (this.failure !== null) return Promise.reject(this.failure);
    return Promise.resolve({ index: 10, term: 3, config: CONFIG });
  }

  membership(): ClusterConfig {
    if (this.failure !== null) throw this.failure;
    return CONFIG;
  }
}

let server: Server | undefined;

afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

/** Serves `admin` (none: the admin routes are off) on 127.0.0.1; n2's client API is at 127.0.0.1:7002. */
async function serve(admin?: AdminNode): Promise<string> {
  const node = { status: () => STATUS };
  const metrics = new KvMetrics(
    { status: () => STATUS, transport: () => NO_TRAFFIC, kvSize: () => ({ keys: 0, bytes: 0, sessions: 0 }) },
    [],
  );
  const transport = { setBlocked: () => {}, blocked: () => ({ outbound: [], inbound: [] }) };
  server = createClientApi(node, {} as KvOperations, {
    maxBodyBytes: 4096,
    peerClients: { n2: '127.0.0.1:7002' },
    metrics,
    control: { transport, secret: 'test-secret', ...(admin === undefined ? {} : { admin }) },
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function call(
  url: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' },
) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    redirect: 'manual',
    ...(body === undefined ? {} : { body }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('the admin routes', () => {
  it('GET /admin/members answers the configuration in force', async () => {
    const url = await serve(new ScriptedNode());
    expect(await call(url, 'GET', '/admin/members')).toMatchObject({ status: 200, body: CONFIG });
  });

  it('POST /admin/members adds a voter or a learner, its host:port as the transport URL', async () => {
    const node = new ScriptedNode();
    const url = await serve(node);
    const learner = await call(
      url,
      'POST',
      '/admin/members',
      '{"id":"n5","role":"learner","address":"127.0.0.1:9005"}',
    );
    expect(learner).toMatchObject({ status: 200, body: { index: 10, term: 3, config: CONFIG } });
    expect((await call(url, 'POST', '/admin/members', '{"id":"n6","role":"voter"}')).status).toBe(200);
    expect(
      (await call(url, 'POST', '/admin/members', '{"id":"n7","role":"voter","address":"ws://h:1"}')).status,
    ).toBe(200);
    expect(node.changes).toEqual([
      { type: 'addLearner', id: 'n5', address: 'ws://127.0.0.1:9005' },
      { type: 'addVoter', id: 'n6' },
      { type: 'addVoter', id: 'n7', address: 'ws://h:1' },
    ]);
  });

  it('promote and remove name the member in the path (percent-decoded)', async () => {
    const node = new ScriptedNode();
    const url = await serve(node);
    expect((await call(url, 'POST', '/admin/members/n4/promote')).status).toBe(200);
    expect((await call(url, 'DELETE', '/admin/members/node%20a')).status).toBe(200);
    expect(node.changes).toEqual([
      { type: 'promote', id: 'n4' },
      { type: 'remove', id: 'node a' },
    ]);
  });

  it('POST /admin/transfer-leadership: to the voter named, or with no body to the best one', async () => {
    const node = new ScriptedNode();
    const url = await serve(node);
    expect(await call(url, 'POST', '/admin/transfer-leadership', '{"to":"n3"}')).toMatchObject({
      status: 200,
      body: { leaderId: 'n3', term: 4 },
    });
    expect(await call(url, 'POST', '/admin/transfer-leadership')).toMatchObject({
      status: 200,
      body: { leaderId: 'n2' },
    });
    expect((await call(url, 'POST', '/admin/transfer-leadership', '{}')).status).toBe(200);
    expect(node.transfers).toEqual(['n3', undefined, undefined]);
  });

  it('refuses malformed requests with 400 and a message naming the shape, calling nothing', async () => {
    const node = new ScriptedNode();
    const url = await serve(node);
    for (const body of [
      '',
      '{"id":',
      '{"role":"voter"}',
      '{"id":"","role":"voter"}',
      '{"id":"n5","role":"observer"}',
      '{"id":"n5","role":"voter","address":"nowhere"}',
      '{"id":"n5","role":"voter","address":9005}',
    ]) {
      const answer = await call(url, 'POST', '/admin/members', body, { 'content-type': 'application/json' });
      expect({ body, status: answer.status, error: answer.body.error }).toEqual({
        body,
        status: 400,
        error: 'BadRequest',
      });
    }
    const to = await call(url, 'POST', '/admin/transfer-leadership', '{"to":3}');
    expect(to).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/"to" must be a node id/) },
    });
    const form = await call(url, 'POST', '/admin/members', 'id=n5', { 'content-type': 'text/plain' });
    expect(form.status).toBe(415);
    expect(node.changes).toEqual([]);
    expect(node.transfers).toEqual([]);
  });

  it('answers a wrong method with 405 and Allow, an unknown admin path with 404', async () => {
    const url = await serve(new ScriptedNode());
    for (const [method, path, allow] of [
      ['GET', '/admin/transfer-leadership', 'POST'],
      ['PUT', '/admin/members', 'GET, POST'],
      ['POST', '/admin/members/n4', 'DELETE'],
      ['DELETE', '/admin/members/n4/promote', 'POST'],
    ] as const) {
      const answer = await call(url, method, path);
      expect({ path, method, status: answer.status, allow: answer.headers.get('allow') }).toEqual({
        path,
        method,
        status: 405,
        allow,
      });
      expect(answer.body.error).toBe('MethodNotAllowed');
    }
    expect(await call(url, 'GET', '/admin/nowhere')).toMatchObject({
      status: 404,
      body: { error: 'NotFound' },
    });
  });

  it('a node that does not lead: 307 to the leader it names (same path), 503 while it knows none', async () => {
    const node = new ScriptedNode();
    const url = await serve(node);
    node.failure = new NotLeaderError('n1', 'n2');
    const redirected = await call(url, 'POST', '/admin/members/n4/promote');
    expect(redirected.status).toBe(307);
    expect(redirected.headers.get('location')).toBe('http://127.0.0.1:7002/admin/members/n4/promote');
    expect(redirected.body).toMatchObject({ error: 'NotLeader', leaderHint: 'n2' });
    node.failure = new NotLeaderError('n1', null);
    const none = await call(url, 'POST', '/admin/transfer-leadership');
    expect(none).toMatchObject({ status: 503, body: { error: 'NoLeader', leaderHint: null } });
    expect(none.headers.get('retry-after')).toBe('1');
    node.failure = new NotLeaderError('n1', 'n9'); // no client URL known for n9
    expect(await call(url, 'DELETE', '/admin/members/n4')).toMatchObject({
      status: 503,
      body: { error: 'NotLeader', leaderHint: 'n9', leaderUrl: null },
    });
  });

  it('a refused change or transfer is 409, a change of unknown outcome 504 with its index', async () => {
    const node = new ScriptedNode();
    const url = await serve(node);
    node.failure = new MembershipChangeError('n1', 'n4 is a member already');
    expect(await call(url, 'POST', '/admin/members', '{"id":"n4","role":"learner"}')).toMatchObject({
      status: 409,
      body: { error: 'MembershipChangeRefused', message: expect.stringMatching(/n4 is a member already/) },
    });
    node.failure = new MembershipChangeError('n1', 'not committed within 5000 ms', 12);
    expect(await call(url, 'DELETE', '/admin/members/n3')).toMatchObject({
      status: 504,
      body: { error: 'OutcomeUnknown', index: 12, message: expect.stringMatching(/GET \/admin\/members/) },
    });
    node.failure = new LeadershipTransferError('n1', 'n4', 'n4 is no voter');
    expect(await call(url, 'POST', '/admin/transfer-leadership', '{"to":"n4"}')).toMatchObject({
      status: 409,
      body: { error: 'TransferFailed', target: 'n4', message: expect.stringMatching(/n4 is no voter/) },
    });
    node.failure = new ConfigError('a membership change needs the member id');
    expect((await call(url, 'DELETE', '/admin/members/n3')).status).toBe(400);
    node.failure = new NodeStoppedError('n1');
    expect(await call(url, 'GET', '/admin/members')).toMatchObject({
      status: 503,
      body: { error: 'Stopped' },
    });
  });

  it('refuses a page of another origin (403), and answers 404 where admin is not served', async () => {
    const node = new ScriptedNode();
    const url = await serve(node);
    const foreign = await call(url, 'DELETE', '/admin/members/n3', undefined, {
      origin: 'https://evil.example',
    });
    expect(foreign.status).toBe(403);
    expect(node.changes).toEqual([]);
    server!.close();
    const off = await serve();
    expect((await call(off, 'GET', '/admin/members')).status).toBe(404);
  });
});
