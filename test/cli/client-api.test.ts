/**
 * The HTTP client API's edges, in-process: a real single-node RaftNode (real time, memory
 * storage) behind the server on 127.0.0.1, and a stand-in node where the case needs a
 * follower. Every refusal is a JSON body {error, message} with the right status.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import { request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RaftNode } from '../../src/api/raft-node.js';
import { createRaftNode } from '../../src/api/create-raft-node.js';
import { CommandLog } from '../../src/app/command-log.js';
import { CLIENT_HTTP_LIMITS, createClientApi } from '../../src/cli/client-api.js';
import { NotLeaderError } from '../../src/errors.js';
import type { HttpLimits } from '../../src/net/http-limits.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { FailingStorage, enospc } from '../support/failing-storage.js';

const NO_PEERS = { listen: () => {}, send: () => {}, close: () => {} };
const MAX_BODY = 64 * 1024;

let server: Server | undefined;
let node: RaftNode<unknown, number> | undefined;

afterEach(async () => {
  await node?.stop();
  node = undefined;
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

async function serve(
  target: RaftNode<unknown, number>,
  peerClients: Record<string, string> = {},
  limits?: HttpLimits,
): Promise<string> {
  server = createClientApi(target, new CommandLog(), {
    maxBodyBytes: MAX_BODY,
    peerClients,
    ...(limits === undefined ? {} : { limits }),
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A single-node cluster that has elected itself, served over HTTP. */
async function leaderApi(storage = new MemoryStorage()): Promise<string> {
  node = createRaftNode<unknown, number>({
    id: 'a',
    peers: [],
    transport: NO_PEERS,
    storage,
    stateMachine: new CommandLog(),
  });
  await node.start();
  const deadline = Date.now() + 10_000;
  while (node.status().role !== 'leader') {
    if (Date.now() > deadline) throw new Error('a single node did not elect itself within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return serve(node);
}

async function post(url: string, body: string, contentType = 'application/json') {
  const response = await fetch(`${url}/propose`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Sends a body in chunks without a content-length, as a streaming client does. */
function postChunked(url: string, chunks: number, chunkBytes: number) {
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const req = request(`${url}/propose`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    req.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.write('{"command":"');
    for (let i = 0; i < chunks; i++) req.write('x'.repeat(chunkBytes));
    req.end('"}');
  });
}

describe('the client API', () => {
  it('commits a JSON command', async () => {
    const url = await leaderApi();
    expect(await post(url, '{"command":"hello"}')).toEqual({
      status: 200,
      body: { index: 2, term: 1, result: 1 },
    });
  });

  it('refuses {"command":null} with 400, not 500', async () => {
    const url = await leaderApi();
    const { status, body } = await post(url, '{"command":null}');
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'InvalidCommand', message: expect.stringMatching(/null/) });
  });

  it('refuses a command nested 20,000 deep with 400, and goes on leading', async () => {
    const url = await leaderApi();
    const deep = `{"command":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const { status, body } = await post(url, deep);
    expect(status).toBe(400);
    expect(body.message).toMatch(/nested more than 100 levels deep/);
    expect(node!.status()).toMatchObject({ role: 'leader', failure: null, lastLogIndex: 1 });
    expect((await post(url, '{"command":1}')).status).toBe(200);
  });

  it('answers a body over the limit with 413 and a JSON error, declared or streamed', async () => {
    const url = await leaderApi();
    const declared = await post(url, `{"command":"${'x'.repeat(MAX_BODY)}"}`);
    expect(declared.status).toBe(413);
    expect(declared.body).toMatchObject({ error: 'PayloadTooLarge' });
    const streamed = await postChunked(url, 64, 16 * 1024);
    expect(streamed.status).toBe(413);
    expect(streamed.body.message).toMatch(`over ${MAX_BODY} bytes`);
    expect((await post(url, '{"command":1}')).status).toBe(200);
  });

  it('accepts JSON content types only (415 otherwise)', async () => {
    const url = await leaderApi();
    const form = await post(url, '{"command":1}', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    expect(form.body.message).toMatch(/content-type: application\/json/);
    expect((await post(url, '{"command":1}', 'text/plain')).status).toBe(415);
    expect((await post(url, '{"command":2}', 'application/json; charset=utf-8')).status).toBe(200);
    expect((await post(url, '{"command":3}', 'application/merge-patch+json')).status).toBe(200);
  });

  it('answers bad JSON, a body without command, unknown paths and wrong methods with JSON errors', async () => {
    const url = await leaderApi();
    expect(await post(url, '{"command":')).toMatchObject({ status: 400, body: { error: 'BadRequest' } });
    expect(await post(url, '[1]')).toMatchObject({ status: 400, body: { error: 'BadRequest' } });
    const missing = await fetch(`${url}/nowhere`);
    expect(missing.status).toBe(404);
    const wrong = await fetch(`${url}/propose`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(await wrong.json()).toMatchObject({ error: 'MethodNotAllowed' });
  });

  it("gives the leader's URL with a 421 when it knows the leader's client address", async () => {
    const follower = {
      propose: () => Promise.reject(new NotLeaderError('b', 'a')),
      status: () => ({ failure: null }),
    } as unknown as RaftNode<unknown, number>;
    const url = await serve(follower, { a: '127.0.0.1:8001' });
    expect(await post(url, '{"command":1}')).toEqual({
      status: 421,
      body: {
        error: 'NotLeader',
        leaderHint: 'a',
        leaderUrl: 'http://127.0.0.1:8001/propose',
        message: 'node b is not the leader: send the proposal to node a',
      },
    });
  });

  it('a node whose storage failed (ENOSPC): /status 503 with the failure, proposals 503 with the reason, no hint', async () => {
    const storage = new FailingStorage();
    const url = await leaderApi(storage);
    storage.failWith = enospc();
    node!.on('error', () => {}); // the failure is what this test is about
    const first = await post(url, '{"command":"x"}');
    expect(first.status).toBe(503);
    expect(first.body).toMatchObject({
      error: 'Failed',
      message: expect.stringMatching(/node a failed .*ENOSPC/),
    });
    const again = await post(url, '{"command":"y"}');
    expect(again).toMatchObject({ status: 503, body: { error: 'Failed' } });
    expect(again.body).not.toHaveProperty('leaderHint');
    const status = await fetch(`${url}/status`);
    expect(status.status).toBe(503);
    expect(await status.json()).toMatchObject({ failure: expect.stringMatching(/ENOSPC/), leaderId: null });
  });
});

describe('client connections are bounded', () => {
  const stub = { status: () => ({ failure: null }) } as unknown as RaftNode<unknown, number>;

  function open(url: string): Promise<Socket> {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    socket.on('error', () => {}); // a refused socket is reset; its close is what is awaited
    socket.resume(); // read what the server sends (a 408), so its close is seen
    return once(socket, 'connect').then(() => socket);
  }

  it('closes sockets that send nothing, or half a header, once the header timeout passes', async () => {
    const url = await serve(stub, {}, { headersTimeoutMs: 300, requestTimeoutMs: 300, idleTimeoutMs: 300 });
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
    const url = await serve(stub, {}, { ...CLIENT_HTTP_LIMITS, maxConnections: 5 });
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
