/**
 * KvClient against stand-in nodes (real HTTP servers on 127.0.0.1, scripted): it follows
 * redirects and remembers the leader, waits out "no leader", moves on from a node that
 * times out or drops the connection with the same client id and seq, and gives up at its
 * deadline with a typed error that says whether the write may have been applied.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KvHttpError, KvTimeoutError } from '../../src/kv/client-errors.js';
import { KvClient } from '../../src/kv/client.js';
import { InvalidKeyError } from '../../src/kv/kv-errors.js';
import { FakeNode, NO_LEADER, TIMEOUT, redirectTo } from './client-fake-node.js';

const fakes: FakeNode[] = [];

async function nodes(count: number): Promise<FakeNode[]> {
  const started = await Promise.all(Array.from({ length: count }, () => FakeNode.start()));
  fakes.push(...started);
  return started;
}

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

const OK = (body: unknown) => ({ status: 200, body });

describe('KvClient', () => {
  it('follows a follower’s 307 to the leader, remembers it, and numbers each write', async () => {
    const [follower, leader] = await nodes(2);
    follower!.answer(redirectTo(leader!, '/kv/greeting'));
    leader!.answer(OK({ index: 7 }), OK({ index: 8 }));
    const client = new KvClient({ nodes: [follower!.url, leader!.url], clientId: 'c1' });

    expect(await client.put('greeting', 'hello')).toEqual({ index: 7 });
    expect(client.currentNode).toBe(leader!.url);
    expect(await client.put('greeting', 'again')).toEqual({ index: 8 });

    expect(follower!.seen).toHaveLength(1); // the second write went straight to the leader
    expect(follower!.seen[0]).toMatchObject({
      method: 'PUT',
      url: '/kv/greeting',
      body: { value: 'hello', client: 'c1', seq: 1 },
      contentType: 'application/json',
    });
    expect(leader!.seen.map((r) => [r.method, r.url, r.body])).toEqual([
      ['PUT', '/kv/greeting', { value: 'hello', client: 'c1', seq: 1 }],
      ['PUT', '/kv/greeting', { value: 'again', client: 'c1', seq: 2 }],
    ]);
  });

  it('follows a redirect named only by the body’s leaderUrl', async () => {
    const [follower, leader] = await nodes(2);
    follower!.answer({ status: 307, body: { error: 'NotLeader', leaderUrl: leader!.url, message: '' } });
    leader!.answer(OK({ index: 3, existed: true }));
    const client = new KvClient({ nodes: [follower!.url] });
    expect(await client.delete('k')).toEqual({ index: 3, existed: true });
    expect(leader!.seen[0]).toMatchObject({ method: 'DELETE', url: '/kv/k', body: { seq: 1 } });
  });

  it('waits out 503 NoLeader (Retry-After, capped) and retries the same write', async () => {
    const [node] = await nodes(1);
    node!.answer(NO_LEADER, NO_LEADER, OK({ index: 4 }));
    const client = new KvClient({ nodes: [node!.url], maxRetryAfterMs: 100, clientId: 'c' });
    const started = performance.now();
    expect(await client.append('log', 'x')).toEqual({ index: 4 });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(190); // two waits of the cap, 100 ms each
    expect(elapsed).toBeLessThan(1900); // not the two full seconds Retry-After asked for
    expect(node!.seen.map((r) => [r.method, r.url, r.body])).toEqual(
      Array(3).fill(['POST', '/kv/log/append', { value: 'x', client: 'c', seq: 1 }]),
    );
  });

  it('after a 504 tries the next node with the same client id and seq', async () => {
    const [a, b] = await nodes(2);
    a!.answer(TIMEOUT);
    b!.answer(OK({ index: 9 }));
    const client = new KvClient({ nodes: [a!.url, b!.url] });
    expect(await client.put('k', 'v')).toEqual({ index: 9 });
    expect(a!.seen).toHaveLength(1);
    expect(b!.seen[0]!.body).toEqual(a!.seen[0]!.body);
    expect(b!.seen[0]!.body).toMatchObject({ client: client.clientId, seq: 1 });
    expect(client.currentNode).toBe(b!.url);
  });

  it('after a dropped connection retries with the same seq: on the next node, then back', async () => {
    const [a, b] = await nodes(2);
    a!.answer('drop', OK({ index: 12, swapped: true }));
    b!.answer('drop');
    const client = new KvClient({ nodes: [a!.url, b!.url], clientId: 'c' });
    expect(await client.cas('k', null, 'v')).toEqual({ index: 12, swapped: true, value: 'v' });
    const sent = [...a!.seen, ...b!.seen].sort((x, y) => x.at - y.at);
    expect(sent.map((r) => r.body)).toEqual(
      Array(3).fill({ value: 'v', expected: null, client: 'c', seq: 1 }),
    );
  });

  it('moves on from a node that refuses connections, and from one that does not answer in time', async () => {
    const [closed, hung, live] = await nodes(3);
    const closedUrl = closed!.url;
    await closed!.close();
    fakes.splice(fakes.indexOf(closed!), 1);
    hung!.answer('hang');
    live!.answer(OK({ key: 'k', value: 'v', index: 5 }));
    const client = new KvClient({ nodes: [closedUrl, hung!.url, live!.url], attemptTimeoutMs: 200 });
    expect(await client.get('k')).toEqual({ value: 'v', index: 5 });
    expect(hung!.seen).toHaveLength(1);
    expect(live!.seen[0]).toMatchObject({ method: 'GET', url: '/kv/k?consistency=linearizable', body: null });
  });

  it('rejects with KvTimeoutError at its deadline: not applied when every node refused it', async () => {
    const [a, b] = await nodes(2);
    a!.answer(NO_LEADER);
    b!.answer(redirectTo(a!, '/kv/k'));
    const client = new KvClient({ nodes: [a!.url, b!.url], timeoutMs: 400, maxRetryAfterMs: 50 });
    const started = performance.now();
    const error = (await client.put('k', 'v').catch((e: unknown) => e)) as KvTimeoutError;
    expect(error).toBeInstanceOf(KvTimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(380);
    expect(error).toMatchObject({ op: 'put', key: 'k', mayHaveApplied: false });
    expect(error.elapsedMs).toBeGreaterThanOrEqual(380);
    expect(error.attempts).toBeGreaterThan(2);
    expect(error.message).toMatch(/^put of key "k" was not applied: no node accepted it within \d+ ms/);
    expect(error.lastProblem).toMatch(/503 NoLeader|307 NotLeader/);
  });

  it('rejects with KvTimeoutError saying the outcome is unknown once a request may have arrived', async () => {
    const [a] = await nodes(1);
    a!.answer('hang');
    const client = new KvClient({ nodes: [a!.url], timeoutMs: 300 });
    const error = (await client.delete('k').catch((e: unknown) => e)) as KvTimeoutError;
    expect(error).toBeInstanceOf(KvTimeoutError);
    expect(error).toMatchObject({ op: 'delete', mayHaveApplied: true, attempts: 1 });
    expect(error.message).toContain('its outcome is unknown');
    expect(error.lastProblem).toBe(`${a!.url}: no answer in time`);
  });

  it('reports a definite refusal as KvHttpError, with the server’s error, at once', async () => {
    const [a] = await nodes(1);
    a!.answer({ status: 400, body: { error: 'BadRequest', message: 'the value is too large: send less' } });
    const client = new KvClient({ nodes: [a!.url] });
    const error = (await client.put('k', 'v').catch((e: unknown) => e)) as KvHttpError;
    expect(error).toBeInstanceOf(KvHttpError);
    expect(error).toMatchObject({
      op: 'put',
      status: 400,
      error: 'BadRequest',
      serverMessage: 'the value is too large: send less',
    });
    expect(error.message).toBe(
      `put of key "k": ${a!.url}/kv/k answered 400 BadRequest: the value is too large: send less`,
    );
    expect(a!.seen).toHaveLength(1);

    a!.answer({ status: 200, body: 'not an object' });
    await expect(client.put('k', 'v')).rejects.toMatchObject({ error: 'BadResponse', status: 200 });
  });

  it('reads a missing key as null, percent-encodes keys, and asks for the consistency given', async () => {
    const [a] = await nodes(1);
    a!.answer({
      status: 404,
      body: { error: 'KeyNotFound', key: 'a/b c?é', index: 6, message: 'no such key' },
    });
    const client = new KvClient({ nodes: [`${a!.url}/`] });
    expect(await client.get('a/b c?é', { consistency: 'serializable' })).toEqual({ value: null, index: 6 });
    expect(a!.seen[0]!.url).toBe('/kv/a%2Fb%20c%3F%C3%A9?consistency=serializable');
  });

  it('answers a failed compare with the value held, not an error', async () => {
    const [a] = await nodes(1);
    a!.answer({
      status: 409,
      body: { error: 'CompareFailed', value: 'other', index: 11, message: 'differs' },
    });
    const client = new KvClient({ nodes: [a!.url] });
    expect(await client.cas('k', 'old', 'new')).toEqual({ index: 11, swapped: false, value: 'other' });
    expect(a!.seen[0]!.body).toMatchObject({ value: 'new', expected: 'old' });
  });

  it('runs one operation at a time: concurrent calls wait their turn, numbered in call order', async () => {
    const [a] = await nodes(1);
    a!.answer({ status: 200, body: { index: 1 }, delayMs: 100 }, OK({ index: 2 }), OK({ index: 3 }));
    const client = new KvClient({ nodes: [a!.url] });
    const answers = await Promise.all([
      client.put('k', '1'),
      client.append('k', '2'),
      client.append('k', '3'),
    ]);
    expect(answers).toEqual([{ index: 1 }, { index: 2 }, { index: 3 }]);
    expect(a!.seen.map((r) => r.body?.seq)).toEqual([1, 2, 3]);
    // The second was sent only after the first (held back 100 ms) was answered.
    expect(a!.seen[1]!.at - a!.seen[0]!.at).toBeGreaterThanOrEqual(99);
  });

  it('refuses keys that cannot be sent, and bad options, before any request', async () => {
    const [a] = await nodes(1);
    const client = new KvClient({ nodes: [a!.url] });
    await expect(client.put('', 'v')).rejects.toThrow(InvalidKeyError);
    await expect(client.get('..')).rejects.toThrow('cannot be sent as a URL path segment');
    await expect(client.get('k', { consistency: 'eventual' as never })).rejects.toThrow(TypeError);
    expect(a!.seen).toHaveLength(0);
    expect(client.seq).toBe(0);
    expect(() => new KvClient({ nodes: [] })).toThrow('at least one node URL');
    expect(() => new KvClient({ nodes: ['ws://127.0.0.1:8001'] })).toThrow('is not an http(s) URL');
  });
});
