/**
 * The HTTP API's edges, in-process: a real single-node RaftNode (real time, memory storage)
 * running the key/value store behind the server on 127.0.0.1. Bodies are bounded (413,
 * declared or streamed) and JSON only (415); every refusal is a JSON body {error, message}
 * with the right status; a failed node says so; connections are bounded. The key/value
 * routes themselves: test/kv/kv-http.test.ts.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import { request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RaftNode } from '../../src/api/raft-node.js';
import { createRaftNode } from '../../src/api/create-raft-node.js';
import { CLIENT_HTTP_LIMITS, createClientApi } from '../../src/cli/client-api.js';
import type { KvCommand, KvResult } from '../../src/kv/kv-command.js';
import type { KvOperations } from '../../src/kv/kv-http.js';
import { KvMetrics } from '../../src/kv/kv-metrics.js';
import { KvService } from '../../src/kv/kv-service.js';
import { KvStore } from '../../src/kv/kv-store.js';
import type { HttpLimits } from '../../src/net/http-limits.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { FailingStorage, enospc } from '../support/failing-storage.js';

const NO_PEERS = { listen: () => {}, send: () => {}, close: () => {} };
const MAX_BODY = 64 * 1024;
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

let server: Server | undefined;
let node: RaftNode<KvCommand, KvResult> | undefined;

afterEach(async () => {
  await node?.stop();
  node = undefined;
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

async function serve(
  target: Pick<RaftNode, 'status'>,
  service: KvOperations,
  limits?: HttpLimits,
): Promise<string> {
  const metrics = new KvMetrics(
    {
      status: () => target.status(),
      transport: () => NO_TRAFFIC,
      kvSize: () => ({ keys: 0, bytes: 0, sessions: 0 }),
    },
    [],
  );
  server = createClientApi(target, service, {
    maxBodyBytes: MAX_BODY,
    peerClients: {},
    metrics,
    ...(limits === undefined ? {} : { limits }),
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A single-node cluster that has elected itself, served over HTTP. */
async function leaderApi(storage = new MemoryStorage()): Promise<string> {
  const store = new KvStore();
  node = createRaftNode<KvCommand, KvResult>({
    id: 'a',
    peers: [],
    transport: NO_PEERS,
    storage,
    stateMachine: store,
  });
  await node.start();
  const deadline = Date.now() + 10_000;
  while (node.status().role !== 'leader') {
    if (Date.now() > deadline) throw new Error('a single node did not elect itself within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return serve(node, new KvService(node, store));
}

async function put(url: string, body: string, contentType = 'application/json') {
  const response = await fetch(`${url}/kv/k`, {
    method: 'PUT',
    headers: { 'content-type': contentType },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Sends a body in chunks without a content-length, as a streaming client does. */
function putChunked(url: string, chunks: number, chunkBytes: number) {
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const req = request(`${url}/kv/k`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
    });
    req.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.write('{"value":"');
    for (let i = 0; i < chunks; i++) req.write('x'.repeat(chunkBytes));
    req.end('"}');
  });
}

describe('the HTTP API', () => {
  it("sets a key: the log index of the write (1 is the leader's no-op)", async () => {
    const url = await leaderApi();
    expect(await put(url, '{"value":"hello"}')).toEqual({ status: 200, body: { index: 2 } });
  });

  it('refuses a body nested 20,000 deep with 400, and goes on leading', async () => {
    const url = await leaderApi();
    const deep = `{"value":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const { status, body } = await put(url, deep);
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'BadRequest', message: expect.stringMatching(/value is an array/) });
    expect(node!.status()).toMatchObject({ role: 'leader', failure: null, lastLogIndex: 1 });
    expect((await put(url, '{"value":"1"}')).status).toBe(200);
  });

  it('answers a body over the limit with 413 and a JSON error, declared or streamed', async () => {
    const url = await leaderApi();
    const declared = await put(url, `{"value":"${'x'.repeat(MAX_BODY)}"}`);
    expect(declared.status).toBe(413);
    expect(declared.body).toMatchObject({ error: 'PayloadTooLarge' });
    const streamed = await putChunked(url, 64, 16 * 1024);
    expect(streamed.status).toBe(413);
    expect(streamed.body.message).toMatch(`over ${MAX_BODY} bytes`);
    expect((await put(url, '{"value":"1"}')).status).toBe(200);
  });

  it('accepts JSON content types only (415 otherwise)', async () => {
    const url = await leaderApi();
    const form = await put(url, '{"value":"1"}', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    expect(form.body.message).toMatch(/content-type: application\/json/);
    expect((await put(url, '{"value":"1"}', 'text/plain')).status).toBe(415);
    expect((await put(url, '{"value":"2"}', 'application/json; charset=utf-8')).status).toBe(200);
    expect((await put(url, '{"value":"3"}', 'application/merge-patch+json')).status).toBe(200);
  });

  it('answers bad JSON, unknown paths and wrong methods with JSON errors', async () => {
    const url = await leaderApi();
    expect(await put(url, '{"value":')).toMatchObject({ status: 400, body: { error: 'BadRequest' } });
    expect(await put(url, '[1]')).toMatchObject({ status: 400, body: { error: 'BadRequest' } });
    const missing = await fetch(`${url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      error: 'NotFound',
      message: expect.stringMatching(/\/kv\/<key>/),
    });
    for (const gone of ['/propose', '/applied']) expect((await fetch(`${url}${gone}`)).status).toBe(404);
    const wrong = await fetch(`${url}/status`, { method: 'POST' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect(await wrong.json()).toMatchObject({ error: 'MethodNotAllowed' });
  });

  it('a node whose storage failed (ENOSPC): /status 503 with the failure, writes 503 with the reason, no hint', async () => {
    const storage = new FailingStorage();
    const url = await leaderApi(storage);
    storage.failWith = enospc();
    node!.on('error', () => {}); // the failure is what this test is about
    const first = await put(url, '{"value":"x"}');
    expect(first.status).toBe(503);
    expect(first.body).toMatchObject({
      error: 'Failed',
      message: expect.stringMatching(/node a failed .*ENOSPC/),
    });
    const again = await put(url, '{"value":"y"}');
    expect(again).toMatchObject({ status: 503, body: { error: 'Failed' } });
    expect(again.body).not.toHaveProperty('leaderHint');
    const status = await fetch(`${url}/status`);
    expect(status.status).toBe(503);
    expect(await status.json()).toMatchObject({ failure: expect.stringMatching(/ENOSPC/), leaderId: null });
  });
});

describe('client connections are bounded', () => {
  const stub = { status: () => ({ failure: null }) } as unknown as RaftNode;
  /** Never called: these tests only open connections and read /status. */
  const noService = {} as KvOperations;

  function open(url: string): Promise<Socket> {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    socket.on('error', () => {}); // a refused socket is reset; its close is what is awaited
    socket.resume(); // read what the server sends (a 408), so its close is seen
    return once(socket, 'connect').then(() => socket);
  }

  it('closes sockets that send nothing, or half a header, once the header timeout passes', async () => {
    const url = await serve(stub, noService, {
      headersTimeoutMs: 300,
      requestTimeoutMs: 300,
      idleTimeoutMs: 300,
    });
    // Arriving well after listen(), as real clients do.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const silent = await Promise.all(Array.from({ length: 20 }, () => open(url)));
    const partial = await Promise.all(Array.from({ length: 20 }, () => open(url)));
    for (const socket of partial) socket.write('GET /status HTTP/1.1\r\nHost: x\r\n');
    const closed = [...silent, ...partial].map((socket) => once(socket, 'close'));
    // Generous for a busy machine: the limit is 300 ms, checked every 75 ms.
    await expect(
      Promise.race([
        Promise.all(closed).then(() => 'closed'),
        new Promise((resolve) => setTimeout(() => resolve('still open'), 15_000)),
      ]),
    ).resolves.toBe('closed');
  });

  it('refuses connections beyond maxConnections, and serves again once they go', async () => {
    const url = await serve(stub, noService, { ...CLIENT_HTTP_LIMITS, maxConnections: 5 });
    const held = await Promise.all(Array.from({ length: 5 }, () => open(url)));
    const extra = await open(url);
    await once(extra, 'close'); // destroyed by the server at once
    for (const socket of held) socket.destroy();
    await Promise.all(held.map((socket) => (socket.closed ? null : once(socket, 'close'))));
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      status = await fetch(`${url}/status`).then(
        (r) => r.status,
        () => 0,
      );
    }
    expect(status).toBe(200);
  });
});
