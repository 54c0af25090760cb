/**
 * The key/value routes over HTTP, on three nodes as `raftchart node` runs them (in this
 * process, on 127.0.0.1): every route and its answers, and every refusal with its status,
 * error and headers. The cluster is shared by the tests, which use keys of their own.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer } from './kv-http-cluster.js';
import { KvCluster, call } from './kv-http-cluster.js';

/** Small, so that a value over it is refused by the node rather than at the door. */
const MAX_COMMAND_BYTES = 4096;
const BODY_LIMIT = MAX_COMMAND_BYTES + 64 * 1024;

let cluster: KvCluster;
let leader: string;
let follower: string;
/** What the lone first node answered, before the others started. */
let alone: { write: Answer; linearizable: Answer; serializable: Answer };

beforeAll(async () => {
  cluster = await KvCluster.create(3, { maxCommandBytes: MAX_COMMAND_BYTES });
  // One node of three, alone, can never know a leader.
  await cluster.start('n1');
  const url = cluster.url('n1');
  alone = {
    write: await call(`${url}/kv/alone`, 'PUT', { value: 'x' }),
    linearizable: await call(`${url}/kv/alone`, 'GET'),
    serializable: await call(`${url}/kv/alone?consistency=serializable`, 'GET'),
  };
  await cluster.startAll();
  leader = await cluster.waitForLeader();
  follower = cluster.ids.find((id) => id !== leader)!;
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

/** A request with its path exactly as given. */
function rawCall(base: string, method: string, path: string, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, path, headers: { 'content-type': 'application/json' } });
    req.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () =>
        resolve({
          status: response.statusCode!,
          headers: new Headers(response.headers as Record<string, string>),
          body: JSON.parse(text) as Record<string, unknown>,
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const JSON_TYPE = { 'content-type': 'application/json' };

const kv = (id: string, key: string, query = '') => `${cluster.url(id)}/kv/${key}${query}`;

describe('writes and reads on the leader', () => {
  it('PUT sets a key, GET reads it with its index, at each consistency', async () => {
    const put = await call(kv(leader, 'greeting'), 'PUT', { value: 'hello' });
    expect(put).toMatchObject({ status: 200, body: { index: expect.any(Number) } });
    expect(Object.keys(put.body)).toEqual(['index']);
    const index = put.body.index as number;
    for (const consistency of [
      '',
      '?consistency=linearizable',
      '?consistency=log',
      '?consistency=serializable',
    ]) {
      const read = await call(kv(leader, 'greeting', consistency), 'GET');
      expect(read.status, consistency).toBe(200);
      expect(read.body).toEqual({ key: 'greeting', value: 'hello', index: expect.any(Number) });
      expect(read.body.index as number).toBeGreaterThanOrEqual(index);
    }
  });

  it('404 KeyNotFound for a key never set, naming the key and the index read', async () => {
    const missing = await call(kv(leader, 'never-set'), 'GET');
    expect(missing).toMatchObject({
      status: 404,
      body: { error: 'KeyNotFound', key: 'never-set', index: expect.any(Number) },
    });
    expect(missing.body.message).toMatch(/no key "never-set".*PUT/);
  });

  it('POST /kv/<key>/append appends; a missing key starts empty', async () => {
    expect((await call(kv(leader, 'list/append'), 'POST', { value: 'a' })).status).toBe(200);
    expect((await call(kv(leader, 'list/append'), 'POST', { value: 'b' })).body).toEqual({
      index: expect.any(Number),
    });
    expect((await call(kv(leader, 'list'), 'GET')).body.value).toBe('ab');
  });

  it('DELETE says whether the key existed, with or without a body', async () => {
    await call(kv(leader, 'doomed'), 'PUT', { value: '1' });
    expect(await call(kv(leader, 'doomed'), 'DELETE')).toMatchObject({
      status: 200,
      body: { index: expect.any(Number), existed: true },
    });
    expect((await call(kv(leader, 'doomed'), 'DELETE', { client: 'd', seq: 1 })).body).toMatchObject({
      existed: false,
    });
    expect((await call(kv(leader, 'doomed'), 'GET')).status).toBe(404);
  });

  it('PUT with expected compares and sets: 200 swapped, or 409 CompareFailed with the value held', async () => {
    expect(await call(kv(leader, 'counter'), 'PUT', { value: '1', expected: null })).toMatchObject({
      status: 200,
      body: { swapped: true },
    });
    expect(await call(kv(leader, 'counter'), 'PUT', { value: '2', expected: '1' })).toMatchObject({
      status: 200,
      body: { index: expect.any(Number), swapped: true },
    });
    const failed = await call(kv(leader, 'counter'), 'PUT', { value: '3', expected: '1' });
    expect(failed).toMatchObject({
      status: 409,
      body: { error: 'CompareFailed', key: 'counter', value: '2', index: expect.any(Number) },
    });
    expect(failed.body.message).toMatch(/holds "2", not the expected value.*retry with "expected"/);
    expect((await call(kv(leader, 'counter', '?consistency=serializable'), 'GET')).body.value).toBe('2');
    const absent = await call(kv(leader, 'counter'), 'PUT', { value: 'x', expected: null });
    expect(absent).toMatchObject({ status: 409, body: { value: '2' } });
  });

  it('keys travel percent-encoded: a / as %2F, spaces and non-ASCII text', async () => {
    for (const key of ['a/b', 'with space', 'ключ', '%', '...', '?#&']) {
      const path = encodeURIComponent(key);
      expect((await call(kv(leader, path), 'PUT', { value: key })).status, key).toBe(200);
      expect((await call(kv(leader, path), 'GET')).body, key).toMatchObject({ key, value: key });
    }
  });

  it('a session applies a retried write once; an older seq is 409 StaleSequence, a reused one 409 SequenceReused', async () => {
    const once = { value: '+', client: 'retrier', seq: 1 };
    expect((await call(kv(leader, 'once/append'), 'POST', once)).status).toBe(200);
    expect((await call(kv(leader, 'once/append'), 'POST', once)).status).toBe(200); // the retry
    expect((await call(kv(leader, 'once'), 'GET')).body.value).toBe('+');
    expect((await call(kv(leader, 'once/append'), 'POST', { ...once, seq: 3 })).status).toBe(200);
    const stale = await call(kv(leader, 'once/append'), 'POST', { ...once, seq: 2 });
    expect(stale).toMatchObject({ status: 409, body: { error: 'StaleSequence', lastSeq: 3 } });
    expect(stale.body.message).toMatch(/above 3/);
    const reused = await call(kv(leader, 'once'), 'DELETE', { client: 'retrier', seq: 3 });
    expect(reused).toMatchObject({
      status: 409,
      body: { error: 'SequenceReused', op: 'delete', appliedOp: 'append' },
    });
    expect((await call(kv(leader, 'once'), 'GET')).body.value).toBe('++');
  });

  it('keeps the connection alive between requests', async () => {
    const first = await fetch(kv(leader, 'alive'), {
      method: 'PUT',
      headers: JSON_TYPE,
      body: '{"value":"1"}',
    });
    expect(await first.json()).toEqual({ index: expect.any(Number) });
    expect(first.headers.get('connection')).toBe('keep-alive');
  });
});

describe('a follower', () => {
  it('answers a write with 307 to the same path and query on the leader, and the JSON says so', async () => {
    const answer = await call(kv(follower, 'moved', '?x=1'), 'PUT', { value: 'v' });
    const leaderUrl = `${cluster.url(leader)}/kv/moved?x=1`;
    expect(answer.status).toBe(307);
    expect(answer.headers.get('location')).toBe(leaderUrl);
    expect(answer.body).toEqual({
      error: 'NotLeader',
      leaderHint: leader,
      leaderUrl,
      message: `node ${follower} is not the leader; node ${leader} is: send the same request to ${leaderUrl}`,
    });
    // fetch follows a 307 with the same method and body.
    const followed = await fetch(kv(follower, 'moved'), {
      method: 'PUT',
      headers: JSON_TYPE,
      body: '{"value":"v"}',
    });
    expect(followed.status).toBe(200);
    expect(followed.url).toBe(`${cluster.url(leader)}/kv/moved`);
    for (const [path, method, body] of [
      ['moved/append', 'POST', { value: 'w' }],
      ['moved', 'DELETE', undefined],
      ['moved?consistency=log', 'GET', undefined],
    ] as const) {
      const redirected = await call(`${cluster.url(follower)}/kv/${path}`, method, body);
      expect(redirected.status, `${method} ${path}`).toBe(307);
      expect(redirected.headers.get('location')).toBe(`${cluster.url(leader)}/kv/${path}`);
    }
  });

  it('serves linearizable reads itself (asking the leader for the read index), and serializable ones locally', async () => {
    const { body } = await call(kv(leader, 'seen-by-follower'), 'PUT', { value: 'yes' });
    const linearizable = await call(kv(follower, 'seen-by-follower'), 'GET');
    expect(linearizable).toMatchObject({ status: 200, body: { value: 'yes' } });
    expect(linearizable.body.index as number).toBeGreaterThanOrEqual(body.index as number);
    await cluster.waitForApplied(follower, body.index as number);
    expect(
      (await call(kv(follower, 'seen-by-follower', '?consistency=serializable'), 'GET')).body,
    ).toMatchObject({
      value: 'yes',
    });
  });
});

describe('a node that knows no leader', () => {
  it('answers writes and linearizable reads with 503 NoLeader and Retry-After: 1; serializable reads locally', () => {
    for (const answer of [alone.write, alone.linearizable]) {
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('1');
      expect(answer.body).toMatchObject({ error: 'NoLeader', leaderHint: null, leaderUrl: null });
      expect(answer.body.message).toMatch(/retry in 1 s/);
    }
    expect(alone.serializable).toMatchObject({ status: 404, body: { error: 'KeyNotFound', index: 0 } });
  });
});

describe('refusals', () => {
  it('400 BadKey for an empty, too long, badly encoded or control-character key, or a bare /', async () => {
    const cases: [string, RegExp][] = [
      ['/kv/', /the key is missing/],
      ['/kv', /the key is missing/],
      [`/kv/${'k'.repeat(1025)}`, /1025 bytes of UTF-8, over the 1024 allowed/],
      ['/kv/%E2%82', /not valid percent-encoding/],
      ['/kv/a%0Ab', /control character U\+000A/],
      ['/kv/a/b', /one segment, so send a "\/" in it as %2F/],
      ['/kv/a/', /one segment/],
      ['/kv/%2E%2E', /relative path segment/],
      ['/kv/.', /relative path segment/],
    ];
    for (const [path, message] of cases) {
      // node:http sends the path as given; fetch would resolve `.` and `..` first.
      const answer = await rawCall(cluster.url(leader), 'PUT', path, '{"value":"v"}');
      expect(answer.status, path).toBe(400);
      expect(answer.body, path).toMatchObject({ error: 'BadKey', message: expect.stringMatching(message) });
      expect((await rawCall(cluster.url(leader), 'GET', path)).body.error, path).toBe('BadKey');
    }
  });

  it("400 BadRequest for a body that is not the route's JSON object, saying what is wrong", async () => {
    const cases: [string, string, string, RegExp][] = [
      ['PUT', 'k', '{"value":', /must be JSON \{"value": "<text>"\}/],
      ['PUT', 'k', '[1]', /must be a JSON object \{"value"/],
      ['PUT', 'k', '{}', /value is missing, not a string/],
      ['PUT', 'k', '{"value":1}', /value is 1, not a string/],
      ['PUT', 'k', '{"value":"v","bogus":1}', /unknown field "bogus"/],
      ['PUT', 'k', '{"value":"v","expected":1}', /"expected" must be the text/],
      ['PUT', 'k', '{"value":"v","client":"c"}', /"client" and "seq" go together/],
      ['PUT', 'k', '{"value":"v","client":"c","seq":0}', /seq is 0/],
      ['PUT', 'k', '{"value":"v","client":"","seq":1}', /client id is empty/],
      ['POST', 'k/append', '{"value":"v","expected":"x"}', /unknown field "expected"/],
      ['DELETE', 'k', '{"value":"v"}', /unknown field "value"/],
    ];
    for (const [method, path, body, message] of cases) {
      const answer = await call(kv(leader, path), method, body);
      expect(answer.status, `${method} ${body}`).toBe(400);
      expect(answer.body, `${method} ${body}`).toMatchObject({
        error: 'BadRequest',
        message: expect.stringMatching(message),
      });
    }
    const consistency = await call(kv(leader, 'k', '?consistency=eventual'), 'GET');
    expect(consistency).toMatchObject({ status: 400, body: { error: 'BadRequest' } });
    expect(consistency.body.message).toMatch(/not one of linearizable, log, serializable/);
  });

  it('415 for a body that is not JSON, 413 for one over the limit at the door or a value over maxCommandBytes', async () => {
    const form = await call(kv(leader, 'k'), 'PUT', '{"value":"v"}', { 'content-type': 'text/plain' });
    expect(form).toMatchObject({ status: 415, body: { error: 'UnsupportedMediaType' } });
    expect(form.body.message).toMatch(/content-type: application\/json/);

    const huge = await call(kv(leader, 'k'), 'PUT', { value: 'x'.repeat(BODY_LIMIT) });
    expect(huge).toMatchObject({ status: 413, body: { error: 'PayloadTooLarge' } });
    expect(huge.headers.get('connection')).toBe('close');
    expect(huge.body.message).toMatch(`over ${BODY_LIMIT} bytes`);

    const large = await call(kv(leader, 'k'), 'PUT', { value: 'x'.repeat(MAX_COMMAND_BYTES) });
    expect(large).toMatchObject({ status: 413, body: { error: 'PayloadTooLarge' } });
    expect(large.body.message).toMatch(/--max-command-bytes/);
    // Nothing reached the log, and the leader leads on.
    expect((await call(kv(leader, 'k'), 'PUT', { value: 'small' })).status).toBe(200);
  });

  it('405 with Allow for another method; 404 for another path; 403 for a page of another site', async () => {
    const post = await call(kv(leader, 'k'), 'POST', { value: 'v' });
    expect(post).toMatchObject({ status: 405, body: { error: 'MethodNotAllowed' } });
    expect(post.headers.get('allow')).toBe('GET, PUT, DELETE');
    expect(post.body.message).toMatch(/POST \/kv\/<key>\/append/);
    const getAppend = await call(kv(leader, 'k/append'), 'GET');
    expect(getAppend.status).toBe(405);
    expect(getAppend.headers.get('allow')).toBe('POST');
    const gone = await call(`${cluster.url(leader)}/propose`, 'POST', { command: 1 });
    expect(gone).toMatchObject({ status: 404, body: { error: 'NotFound' } });
    expect(gone.body.message).toMatch(/\/kv\/<key>/);
    const foreign = await call(kv(leader, 'k/append'), 'POST', '{"value":"v"}', {
      origin: 'https://example.com',
      'content-type': 'text/plain',
    });
    expect(foreign).toMatchObject({ status: 403, body: { error: 'Forbidden' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const local = await call(kv(leader, 'k'), 'GET', undefined, { origin: 'http://127.0.0.1:8080' });
    expect(local.status).toBe(200);
    expect(local.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8080');
  });
});
