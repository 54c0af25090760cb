/**
 * The answers to the typed errors a key/value request can end with, for the cases a real
 * cluster does not produce on demand (a timeout, a node stopping or failed, a leader whose
 * URL the node was not given, a bug): a stand-in service rejects with each error, behind the
 * real server on 127.0.0.1.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RaftNode } from '../../src/api/raft-node.js';
import { createClientApi } from '../../src/cli/client-api.js';
import {
  NodeFailedError,
  NodeStoppedError,
  NotLeaderError,
  ProposalTimeoutError,
  ReadTimeoutError,
} from '../../src/errors.js';
import type { KvOperations } from '../../src/kv/kv-http.js';
import { KvMetrics } from '../../src/kv/kv-metrics.js';
import { call } from './kv-http-cluster.js';

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

/** Every operation of the service rejects with `error`. */
async function serveFailing(error: unknown, peerClients: Record<string, string> = {}): Promise<string> {
  const reject = () => Promise.reject(error);
  const service: KvOperations = { get: reject, put: reject, append: reject, delete: reject, cas: reject };
  const node = { status: () => ({ failure: null }) } as unknown as RaftNode;
  const none = () => {
    throw new Error('not scraped here');
  };
  server = createClientApi(node, service, {
    maxBodyBytes: 64 * 1024,
    peerClients,
    metrics: new KvMetrics({ status: none, transport: none, kvSize: none }, []),
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('refusals for typed errors', () => {
  it('504 Timeout for a write not applied in time: retry with the same client and seq', async () => {
    const url = await serveFailing(new ProposalTimeoutError(7, 5000));
    const answer = await call(`${url}/kv/k`, 'PUT', { value: 'v', client: 'c', seq: 1 });
    expect(answer).toMatchObject({ status: 504, body: { error: 'Timeout' } });
    expect(answer.body.message).toMatch(
      /index 7 .* may still commit: retry it with the same "client" and "seq"/,
    );
  });

  it('504 Timeout for a read not confirmed in time: nothing changed', async () => {
    const url = await serveFailing(new ReadTimeoutError('a', 5000));
    const answer = await call(`${url}/kv/k`, 'GET');
    expect(answer).toMatchObject({ status: 504, body: { error: 'Timeout' } });
    expect(answer.body.message).toMatch(/nothing changed/);
  });

  it('503 Stopped and 503 Failed', async () => {
    const stopped = await serveFailing(new NodeStoppedError('a'));
    expect(await call(`${stopped}/kv/k/append`, 'POST', { value: 'v' })).toMatchObject({
      status: 503,
      body: { error: 'Stopped' },
    });
    server?.close();
    const failed = await serveFailing(new NodeFailedError('a', 'Flush', new Error('ENOSPC: no space left')));
    expect(await call(`${failed}/kv/k`, 'DELETE')).toMatchObject({
      status: 503,
      body: { error: 'Failed', message: expect.stringMatching(/ENOSPC/) },
    });
  });

  it('a leader named without a client URL: 503 NotLeader with the hint and Retry-After, no Location', async () => {
    const url = await serveFailing(new NotLeaderError('b', 'a'));
    const answer = await call(`${url}/kv/k`, 'PUT', { value: 'v' });
    expect(answer).toMatchObject({
      status: 503,
      body: { error: 'NotLeader', leaderHint: 'a', leaderUrl: null },
    });
    expect(answer.body.message).toMatch(/--peer-client a=host:port/);
    expect(answer.headers.get('retry-after')).toBe('1');
    expect(answer.headers.get('location')).toBeNull();
  });

  it('a leader named with its client URL: 307 to it, path and query kept as sent', async () => {
    const url = await serveFailing(new NotLeaderError('b', 'a'), { a: '127.0.0.1:8001' });
    const answer = await call(`${url}/kv/a%2Fb?consistency=log`, 'GET');
    expect(answer.status).toBe(307);
    expect(answer.headers.get('location')).toBe('http://127.0.0.1:8001/kv/a%2Fb?consistency=log');
  });

  it('500 Internal for an error of no known kind, saying it is a bug', async () => {
    const url = await serveFailing(new TypeError('something broke'));
    expect(await call(`${url}/kv/k`, 'GET')).toMatchObject({
      status: 500,
      body: { error: 'Internal', message: 'something broke (a bug: please report it)' },
    });
  });
});
