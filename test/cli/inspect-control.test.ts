/**
 * The client API's control endpoint (`POST /control/block`) and CORS, in-process on
 * 127.0.0.1, over a stand-in transport that records what it was told to block: who may call
 * it (this machine, or the secret or its inspection token as a bearer), what it accepts, and
 * which pages' browsers may read its answers. And `inspect` in the node's configuration.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RaftNode } from '../../src/api/raft-node.js';
import { createClientApi } from '../../src/cli/client-api.js';
import type { KvOperations } from '../../src/kv/kv-http.js';
import { KvMetrics } from '../../src/kv/kv-metrics.js';
import { resolveNodeConfig } from '../../src/cli/node-config.js';
import { ConfigError } from '../../src/errors.js';
import { inspectToken } from '../../src/inspect/inspect-token.js';
import type { BlockRequest, BlockedPeers } from '../../src/transport/blocked-peers.js';
import { resolveBlock } from '../../src/transport/blocked-peers.js';

const SECRET = 'the-cluster-secret-of-16+-chars';

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

/** A transport that only blocks: peers b and c. */
function blockingTransport() {
  let blocked: BlockedPeers = { outbound: [], inbound: [] };
  return {
    setBlocked: (request: BlockRequest) => void (blocked = resolveBlock(request, new Set(['b', 'c']))),
    blocked: () => blocked,
  };
}

async function serve(control = true): Promise<string> {
  // The node and its store are never reached by these routes.
  const node = {} as RaftNode;
  const unreached = () => {
    throw new Error('not reached');
  };
  server = createClientApi(node, {} as KvOperations, {
    maxBodyBytes: 64 * 1024,
    peerClients: {},
    metrics: new KvMetrics({ status: unreached, transport: unreached, kvSize: unreached }, []),
    ...(control ? { control: { transport: blockingTransport(), secret: SECRET } } : {}),
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function block(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/control/block`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('POST /control/block', () => {
  it('sets the blocked peers, both ways or one way, and answers with them', async () => {
    const url = await serve();
    expect(await block(url, { peers: ['c', 'b'] })).toEqual({
      status: 200,
      body: { outbound: ['b', 'c'], inbound: ['b', 'c'] },
    });
    expect(await block(url, { outbound: ['b'], inbound: [] })).toEqual({
      status: 200,
      body: { outbound: ['b'], inbound: [] },
    });
    expect((await block(url, { peers: [] })).body).toEqual({ outbound: [], inbound: [] });
  });

  it('refuses bodies it cannot take with 400 and says why', async () => {
    const url = await serve();
    for (const bad of [['b'], { peers: 'b' }, { peers: [1] }, { blocked: ['b'] }, null]) {
      const { status, body } = await block(url, bad);
      expect(status).toBe(400);
      expect(body).toMatchObject({ error: 'BadRequest', message: expect.stringMatching(/"peers": \[ids\]/) });
    }
    expect(await block(url, { peers: ['z'] })).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/"z": it is not a peer of this node/) },
    });
  });

  it('answers a page of another origin only with the secret or its token as a bearer', async () => {
    const url = await serve();
    const foreign = { origin: 'https://example.com' };
    const refused = await block(url, { peers: ['b'] }, foreign);
    expect(refused).toMatchObject({ status: 401, body: { error: 'Unauthorized' } });
    expect(refused.body.message).toMatch(/Authorization: Bearer/);
    for (const bearer of [SECRET, inspectToken(SECRET)]) {
      expect(
        (await block(url, { peers: ['b'] }, { ...foreign, authorization: `Bearer ${bearer}` })).status,
      ).toBe(200);
    }
    expect((await block(url, { peers: ['b'] }, { ...foreign, authorization: 'Bearer wrong' })).status).toBe(
      401,
    );
    // A page served from this machine is this machine.
    expect((await block(url, { peers: ['b'] }, { origin: 'http://127.0.0.1:5173' })).status).toBe(200);
  });

  it('is not there without a transport to act on', async () => {
    const url = await serve(false);
    expect((await block(url, { peers: ['b'] })).status).toBe(404);
  });
});

describe('CORS', () => {
  it("lets pages served from loopback read answers and send JSON; other pages' preflights fail", async () => {
    const url = await serve();
    const local = await fetch(`${url}/control/block`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' },
    });
    expect(local.status).toBe(204);
    expect(local.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(local.headers.get('access-control-allow-headers')).toMatch(/content-type, authorization/);
    // The visualizer's propose control writes with PUT.
    expect(local.headers.get('access-control-allow-methods')).toMatch(/\bPUT\b/);

    const foreign = await fetch(`${url}/kv/x`, {
      method: 'OPTIONS',
      headers: { origin: 'https://example.com', 'access-control-request-method': 'PUT' },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();

    const answered = await fetch(`${url}/nowhere`, { headers: { origin: 'http://127.0.0.1:8080' } });
    expect(answered.status).toBe(404);
    expect(answered.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8080');
  });
});

describe('inspect in the node configuration', () => {
  const base = {
    id: 'a',
    listen: '127.0.0.1:7001',
    client: '127.0.0.1:8001',
    data: '/tmp/a',
    secret: SECRET,
  };

  it('takes a host:port, from a flag or the config file', () => {
    expect(resolveNodeConfig({ ...base, inspect: '127.0.0.1:7201' }, {}).inspect).toBe('127.0.0.1:7201');
    expect(resolveNodeConfig(base, {}).inspect).toBeUndefined();
  });

  it('refuses anything else, naming the field', () => {
    expect(() => resolveNodeConfig({ ...base, inspect: '7201' }, {})).toThrow(ConfigError);
    expect(() => resolveNodeConfig({ ...base, inspect: '7201' }, {})).toThrow(/\/inspect must match pattern/);
  });
});
