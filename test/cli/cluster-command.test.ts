/**
 * `raftchart cluster` as a process: three real key/value node processes, the page and the
 * cluster API on 127.0.0.1; the commands it prints work as printed; kill and restart through
 * the API, crashes reported, SIGTERM stops it all. The tests run in order on one cluster;
 * waits are generous (a busy 2-core machine).
 */
import { once } from 'node:events';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { freePort } from '../transport/helpers.js';
import type { ApiNode, NodeStatus } from './cluster-command-run.js';
import { ClusterCommand, alive, statusOf, until } from './cluster-command-run.js';
import { curlByFetch, runPrinted } from './cluster-command-curl.js';

const WAIT_MS = 90_000;

let dir: string;
let url: string;
let cluster: ClusterCommand;

async function post(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}${path}`, { method: 'POST' });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** PUT /kv/<key> on `clientUrl` (the leader), answered 200 once applied there. */
async function put(clientUrl: string, key: string, value: string): Promise<number> {
  const response = await fetch(`${clientUrl}/kv/${key}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ value }),
    signal: AbortSignal.timeout(20_000),
  });
  expect(response.status, JSON.stringify(await response.clone().json())).toBe(200);
  return ((await response.json()) as { index: number }).index;
}

/** The key's value on this node, as it has applied so far (no quorum asked); undefined if it does not answer. */
async function localValue(clientUrl: string, key: string): Promise<string | null | undefined> {
  try {
    const response = await fetch(`${clientUrl}/kv/${key}?consistency=serializable`, {
      signal: AbortSignal.timeout(5000),
    });
    return ((await response.json()) as { value?: string }).value ?? null;
  } catch {
    return undefined;
  }
}

/** The node every running node follows (a leader a majority of `nodes` agree on). */
async function leaderOf(nodes: readonly ApiNode[], minTerm = 0): Promise<{ node: ApiNode; term: number }> {
  return until(
    async () => {
      const statuses = await Promise.all(nodes.map((node) => statusOf(node.clientUrl)));
      const leader = statuses.find((s): s is NodeStatus => s?.role === 'leader' && s.term >= minTerm);
      if (leader === undefined) return undefined;
      const agree = statuses.filter((s) => s?.term === leader.term).length;
      if (agree <= nodes.length / 2) return undefined;
      return { node: nodes[statuses.indexOf(leader)]!, term: leader.term };
    },
    `a leader in term ${minTerm} or later`,
    WAIT_MS,
    () => cluster.stdout + cluster.stderr,
  );
}

/** A raw request, so the test can send the Host and Origin headers fetch will not let it set. */
function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url + path, { method, headers }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'raftchart-cluster-command-'));
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  cluster = new ClusterCommand(['--nodes', '3', '--http', `127.0.0.1:${port}`, '--data', dir]);
  await cluster.waitForOutput(/Ctrl-C to stop/, WAIT_MS);
}, WAIT_MS + 10_000);

afterAll(async () => {
  await cluster?.destroy();
  await rm(dir, { recursive: true, force: true });
}, 30_000);

describe('raftchart cluster', () => {
  it('prints where its data is, one URL to open and commands to try, once a leader is elected', () => {
    const lines = cluster.stdout.split('\n');
    expect(lines[0]).toBe(`raftchart: starting a 3-node cluster; data, logs and secret in ${dir}`);
    expect(lines).toContain(`raftchart: 3-node cluster up; open ${url}/?live=${url}`);
    const nodeLines = lines.filter((line) => /^ {2}n\d {2}/.test(line));
    expect(nodeLines).toHaveLength(3);
    const leaderLines = nodeLines.filter((line) => line.includes(' leader '));
    expect(leaderLines).toHaveLength(1);
    const leaderUrl = /client (\S+)/.exec(leaderLines[0]!)![1]!;
    expect(cluster.examples).toEqual({
      curl: [
        `curl -sL -X PUT ${leaderUrl}/kv/greeting -H 'content-type: application/json' -d '{"value":"hello"}'`,
        `curl -sL ${leaderUrl}/kv/greeting`,
      ],
      cli: [
        `node dist/src/cli/main.js put greeting hello --data ${dir}`,
        `node dist/src/cli/main.js get greeting --data ${dir}`,
      ],
    });
    for (const id of ['n1', 'n2', 'n3']) {
      expect(cluster.stdout).toContain(`log ${join(dir, `${id}.log`)}`);
      expect(statSync(join(dir, `${id}.log`)).isFile()).toBe(true);
    }
    expect(lines).toContain('Ctrl-C to stop');
    expect(statSync(join(dir, 'secret')).mode & 0o777).toBe(0o600);
    expect(cluster.stderr).toBe('');
  });

  it('GET /api/cluster lists the three nodes, each up with its pid and addresses', async () => {
    const nodes = await cluster.nodes(url);
    expect(nodes.map((node) => node.id)).toEqual(['n1', 'n2', 'n3']);
    for (const node of nodes) {
      expect(node.up).toBe(true);
      expect(alive(node.pid!)).toBe(true);
      expect(node.clientUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(node.feedUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    }
  });

  it('records the client URLs in cluster.json, where the key/value commands find them', async () => {
    const manifest = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as Record<string, unknown>;
    const nodes = await cluster.nodes(url);
    expect(manifest).toMatchObject({ nodes: 3, clientUrls: nodes.map((node) => node.clientUrl), http: url });
  });

  it('runs the printed curl example exactly as printed: the value written is read back', async () => {
    const [putLine, getLine] = cluster.examples.curl;
    const written = JSON.parse(await runPrinted(putLine!, process.cwd())) as { index: number };
    expect(written.index).toBeGreaterThan(0);
    const read = JSON.parse(await runPrinted(getLine!, process.cwd())) as Record<string, unknown>;
    expect(read).toEqual({ key: 'greeting', value: 'hello', index: expect.any(Number) as number });
    expect(read.index as number).toBeGreaterThanOrEqual(written.index);
    // Where there is no curl, the same words are sent by fetch: that reading of them agrees.
    expect(JSON.parse(await curlByFetch(putLine!))).toEqual({ index: expect.any(Number) as number });
    expect(JSON.parse(await curlByFetch(getLine!))).toMatchObject({ key: 'greeting', value: 'hello' });
  });

  it('runs the printed raftchart put and get exactly as printed', async () => {
    const [putLine, getLine] = cluster.examples.cli;
    await put((await leaderOf(await cluster.nodes(url))).node.clientUrl, 'greeting', 'overwritten');
    expect(await runPrinted(putLine!, process.cwd())).toMatch(/^stored "greeting" \(log index \d+\)\n$/);
    expect(await runPrinted(getLine!, process.cwd())).toBe('hello\n');
  });

  it("serves each node's inspection feed at its feedUrl", async () => {
    for (const node of await cluster.nodes(url)) {
      const socket = new WebSocket(node.feedUrl);
      try {
        const [frame] = (await once(socket, 'message')) as [Buffer];
        expect(JSON.parse(frame.toString())).toMatchObject({ node: node.id });
      } finally {
        socket.terminate();
      }
    }
  });

  it('takes writes through the leader’s key/value API, applied on every node', async () => {
    const nodes = await cluster.nodes(url);
    const { node } = await leaderOf(nodes);
    await put(node.clientUrl, 'first', '1');
    for (const each of nodes) {
      await until(
        async () => ((await localValue(each.clientUrl, 'first')) === '1' ? true : undefined),
        `${each.id} to apply first=1`,
        WAIT_MS,
      );
    }
  });

  it('kills the leader on request (a new leader is elected), restarts it, and it catches up', async () => {
    const nodes = await cluster.nodes(url);
    const { node: old, term } = await leaderOf(nodes);
    const killed = await post(`/api/nodes/${old.id}/kill`);
    expect(killed.status).toBe(200);
    expect(killed.body.node).toMatchObject({ id: old.id, up: false, pid: null });
    expect(alive(old.pid!)).toBe(false);
    await cluster.waitForOutput(new RegExp(`raftchart: killed ${old.id} \\(pid ${old.pid}\\)`), WAIT_MS);

    const others = nodes.filter((node) => node.id !== old.id);
    const { node: next, term: nextTerm } = await leaderOf(others, term + 1);
    expect(next.id).not.toBe(old.id);
    expect(nextTerm).toBeGreaterThan(term);
    await put(next.clientUrl, 'while-down', '2');

    const restarted = await post(`/api/nodes/${old.id}/restart`);
    expect(restarted.status).toBe(200);
    const back = restarted.body.node as ApiNode;
    expect(back).toMatchObject({ id: old.id, up: true });
    expect(back.pid).not.toBe(old.pid);
    cluster.pids.add(back.pid!);
    await until(
      async () => ((await localValue(old.clientUrl, 'while-down')) === '2' ? true : undefined),
      `${old.id} to catch up with while-down=2`,
      WAIT_MS,
    );
    expect(await localValue(old.clientUrl, 'first')).toBe('1');
    expect(await statusOf(old.clientUrl)).toMatchObject({ id: old.id });
  });

  it('reports a node that dies on its own and leaves it down', async () => {
    const nodes = await cluster.nodes(url);
    const victim = nodes.find((node) => node.id === 'n2')!;
    process.kill(victim.pid!, 'SIGKILL');
    await until(
      async () =>
        cluster.stderr.includes('node n2 exited unexpectedly (signal SIGKILL)') ? true : undefined,
      'the crash to be reported',
      WAIT_MS,
      () => cluster.stderr,
    );
    expect(cluster.stderr).toContain(`restart: curl -s -X POST ${url}/api/nodes/n2/restart`);
    const after = await cluster.nodes(url);
    expect(after.find((node) => node.id === 'n2')).toMatchObject({ up: false, pid: null });
    expect((await post('/api/nodes/n2/restart')).status).toBe(200);
    await cluster.nodes(url);
  });

  it('serves the visualizer page at / (or a page that says how to build it)', async () => {
    const response = await fetch(`${url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html.includes('<script') || html.includes('npm run build:visualize')).toBe(true);
    expect((await fetch(`${url}/no-such-file.js`)).status).toBe(404);
  });

  it('answers bad requests with JSON errors', async () => {
    const unknown = await post('/api/nodes/n9/kill');
    expect(unknown).toMatchObject({ status: 404, body: { error: 'UnknownNode' } });
    expect(unknown.body.message).toContain('n1, n2, n3');
    const running = await post('/api/nodes/n1/restart');
    expect(running).toMatchObject({ status: 409, body: { error: 'NodeRunning' } });

    const wrongMethod = await fetch(`${url}/api/nodes/n1/kill`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect(await wrongMethod.json()).toMatchObject({ error: 'MethodNotAllowed' });
    expect((await post('/api/cluster')).status).toBe(405);
    expect(await post('/api/elsewhere')).toMatchObject({ status: 404, body: { error: 'NotFound' } });

    // Another name for this server (DNS rebinding), or a page of another site: refused.
    const rebound = await rawRequest('GET', '/api/cluster', { host: 'evil.example:80' });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toMatchObject({ error: 'ForbiddenHost' });
    const csrf = await rawRequest('POST', '/api/nodes/n1/kill', { origin: 'https://evil.example' });
    expect(csrf.status).toBe(403);
    expect(JSON.parse(csrf.body)).toMatchObject({ error: 'ForbiddenOrigin' });
    expect((await cluster.nodes(url)).every((node) => node.up)).toBe(true);

    // A loopback page (a dev server's) may call the API across origins.
    const local = await fetch(`${url}/api/cluster`, { headers: { origin: 'http://127.0.0.1:5173' } });
    expect(local.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
    const preflight = await rawRequest('OPTIONS', '/api/nodes/n1/kill', {
      origin: 'http://127.0.0.1:5173',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization',
    });
    expect(preflight.status).toBe(204);
  });

  it('stops every node on SIGTERM and exits 0', async () => {
    const pids = (await cluster.nodes(url)).map((node) => node.pid!);
    const { code } = await cluster.stop('SIGTERM');
    expect(code).toBe(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(cluster.stdout).toMatch(/raftchart: stopping 3 nodes\n/);
    expect(cluster.stdout).toContain(`raftchart: stopped; data and logs kept in ${dir}`);
  });
});
