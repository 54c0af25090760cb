/**
 * `raftchart put|get|append|delete|status` as a user runs them, against a real 3-node
 * `raftchart cluster` in a temp directory: found through its cluster.json, --nodes or
 * RAFTCHART_NODES; values on stdout, confirmations short, errors on stderr with exit 1.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../transport/helpers.js';
import type { ApiNode } from './cluster-command-run.js';
import { ClusterCommand, statusOf, until } from './cluster-command-run.js';

const WAIT_MS = 90_000;
const CLI = 'dist/src/cli/main.js';

let dir: string;
let empty: string;
let url: string;
let cluster: ClusterCommand;

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `raftchart <args>`, with the environment given (RAFTCHART_NODES unset unless given). */
function raftchart(args: readonly string[], env: Record<string, string> = {}): Promise<Ran> {
  const { RAFTCHART_NODES: _, ...rest } = process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...rest, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `raftchart <args> --data <the cluster's directory>`. */
const kv = (...args: string[]): Promise<Ran> => raftchart([...args, '--data', dir]);

async function nodesByRole(): Promise<{ leader: ApiNode; followers: ApiNode[] }> {
  const nodes = await cluster.nodes(url);
  return until(
    async () => {
      const roles = await Promise.all(nodes.map(async (node) => (await statusOf(node.clientUrl))?.role));
      const at = roles.indexOf('leader');
      if (at < 0) return undefined;
      return { leader: nodes[at]!, followers: nodes.filter((_, i) => i !== at) };
    },
    'a leader',
    WAIT_MS,
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'raftchart-kv-commands-'));
  empty = await mkdtemp(join(tmpdir(), 'raftchart-kv-commands-empty-'));
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  cluster = new ClusterCommand(['--http', `127.0.0.1:${port}`, '--data', dir]);
  await cluster.waitForOutput(/Ctrl-C to stop/, WAIT_MS);
}, WAIT_MS + 10_000);

afterAll(async () => {
  await cluster?.destroy();
  await rm(dir, { recursive: true, force: true });
  await rm(empty, { recursive: true, force: true });
}, 60_000);

describe('raftchart put, get, append, delete', () => {
  it('write and read a key through the cluster that cluster.json names', async () => {
    expect(await kv('put', 'colour', 'blue')).toEqual({
      code: 0,
      stdout: expect.stringMatching(/^stored "colour" \(log index \d+\)\n$/) as string,
      stderr: '',
    });
    expect(await kv('get', 'colour')).toEqual({ code: 0, stdout: 'blue\n', stderr: '' });
    expect((await kv('append', 'colour', ' and green')).stdout).toMatch(
      /^appended to "colour" \(log index \d+\)\n$/,
    );
    for (const consistency of ['linearizable', 'log']) {
      expect((await kv('get', 'colour', '--consistency', consistency)).stdout).toBe('blue and green\n');
    }
    // Serializable: the first node's own state, which may lag behind the leader's for a moment.
    await until(
      async () =>
        (await kv('get', 'colour', '--consistency', 'serializable')).stdout === 'blue and green\n'
          ? true
          : undefined,
      'a serializable read to see the append',
      WAIT_MS,
    );
    expect((await kv('delete', 'colour')).stdout).toMatch(/^deleted "colour" \(log index \d+\)\n$/);
    expect((await kv('delete', 'colour')).stdout).toMatch(/^there was no key "colour" \(log index \d+\)\n$/);
  });

  it('a missing key: nothing on stdout, a message on stderr, exit 1', async () => {
    const missing = await kv('get', 'no such key');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^raftchart: there is no key "no such key" \(as of log index \d+\)\n$/);
  });

  it('keys and values of any text, sent percent-encoded', async () => {
    expect((await kv('put', 'a/b c?d#é', 'value with / and é')).code).toBe(0);
    expect((await kv('get', 'a/b c?d#é')).stdout).toBe('value with / and é\n');
  });

  it('finds the nodes from --nodes, else RAFTCHART_NODES, a follower’s redirect followed', async () => {
    const { followers } = await nodesByRole();
    const follower = followers[0]!.clientUrl;
    // A directory with no cluster: the nodes can only come from the flag or the environment.
    const viaFlag = await raftchart(['put', 'where', 'flag', '--nodes', follower, '--data', empty]);
    expect(viaFlag).toMatchObject({ code: 0, stderr: '' });
    const hostPort = follower.replace('http://', '');
    const viaEnv = await raftchart(['get', 'where', '--data', empty], { RAFTCHART_NODES: `${hostPort}` });
    expect(viaEnv).toEqual({ code: 0, stdout: 'flag\n', stderr: '' });
    // --nodes wins over the environment.
    const both = await raftchart(['get', 'where', '--nodes', follower, '--data', empty], {
      RAFTCHART_NODES: 'http://127.0.0.1:1',
    });
    expect(both.stdout).toBe('flag\n');
  });

  it('says where to find a cluster when there is none', async () => {
    const none = await raftchart(['get', 'k', '--data', empty]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(
      `raftchart: no cluster to talk to: ${join(empty, 'cluster.json')} does not exist`,
    );
    expect(none.stderr).toContain('--nodes');
  });

  it('gives up on nodes that are not running, saying the write was not applied', async () => {
    const port = await freePort();
    const down = await raftchart(['put', 'k', 'v', '--nodes', `http://127.0.0.1:${port}`, '--timeout', '1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('raftchart: put of key "k" was not applied: no node accepted it within');
    expect(down.stderr).toContain(`raftchart: the nodes tried (http://127.0.0.1:${port}) came from --nodes`);
  });

  it('refuses a bad key or option with a message and exit 1', async () => {
    const bad = await kv('put', 'tab\there', 'v');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^raftchart: .*control character/);
    const level = await kv('get', 'k', '--consistency', 'eventual');
    expect(level.code).toBe(1);
    expect(level.stderr).toContain('use one of linearizable, log, serializable');
  });
});

describe('raftchart status', () => {
  it("shows every node's role, term, leader, commit and applied index", async () => {
    const { leader } = await nodesByRole();
    const { code, stdout } = await kv('status');
    expect(code).toBe(0);
    const [header, ...rows] = stdout.trimEnd().split('\n');
    expect(header).toMatch(/^node +role +term +leader +commit +applied +client$/);
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row).toMatch(/^n\d +(leader|follower) +\d+ +n\d +\d+ +\d+ +http:\/\/127\.0\.0\.1:\d+$/);
    }
    expect(rows.filter((row) => / leader /.test(row))).toEqual([expect.stringContaining(leader.clientUrl)]);
  });

  it('shows a node that is down as not answering', async () => {
    const nodes = await cluster.nodes(url);
    const victim = nodes.find((node) => node.id === 'n3')!;
    expect((await fetch(`${url}/api/nodes/n3/kill`, { method: 'POST' })).status).toBe(200);
    try {
      const { code, stdout } = await kv('status');
      expect(code).toBe(0);
      const row = stdout.split('\n').find((line) => line.includes(victim.clientUrl));
      expect(row).toMatch(/^- +no answer +- +- +- +- +http:\/\/\S+ \(connection refused: is it running\?\)$/);
    } finally {
      expect((await fetch(`${url}/api/nodes/n3/restart`, { method: 'POST' })).status).toBe(200);
      await cluster.nodes(url);
    }
  });
});

describe('--help', () => {
  it('every command has one', async () => {
    for (const command of ['put', 'get', 'append', 'delete', 'status', 'cluster']) {
      const { code, stdout } = await raftchart([command, '--help']);
      expect(code, command).toBe(0);
      expect(stdout).toMatch(new RegExp(`^Usage: raftchart ${command} `));
    }
  });
});
