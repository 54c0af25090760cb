/**
 * KvClient against a real 3-node `raftchart cluster`: every operation, the leader found from
 * a follower, and writes that keep going across the leader's crash, each applied exactly
 * once (the retries after the crash carry the same client id and seq).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvClient } from '../../src/kv/client.js';
import type { ApiNode } from '../cli/cluster-command-run.js';
import { ClusterCommand, statusOf, until } from '../cli/cluster-command-run.js';
import { freePort } from '../transport/helpers.js';

const WAIT_MS = 90_000;

let dir: string;
let url: string;
let cluster: ClusterCommand;

async function leader(nodes: readonly ApiNode[]): Promise<ApiNode> {
  return until(
    async () => {
      const roles = await Promise.all(nodes.map(async (node) => (await statusOf(node.clientUrl))?.role));
      return nodes[roles.indexOf('leader')];
    },
    'a leader',
    WAIT_MS,
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'raftchart-kv-client-'));
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  cluster = new ClusterCommand(['--http', `127.0.0.1:${port}`, '--data', dir]);
  await cluster.waitForOutput(/Ctrl-C to stop/, WAIT_MS);
}, WAIT_MS + 10_000);

afterAll(async () => {
  await cluster?.destroy();
  await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('KvClient on a real cluster', () => {
  it('put, get, append, cas and delete, starting from a follower', async () => {
    const nodes = await cluster.nodes(url);
    const lead = await leader(nodes);
    const followersFirst = [...nodes.filter((node) => node !== lead), lead].map((node) => node.clientUrl);
    const client = new KvClient({ nodes: followersFirst });

    const put = await client.put('fruit', 'apple');
    expect(client.currentNode).toBe(lead.clientUrl); // learned from the follower's 307
    expect(await client.get('fruit')).toEqual({ value: 'apple', index: expect.any(Number) as number });
    expect((await client.get('fruit')).index).toBeGreaterThanOrEqual(put.index);
    await client.append('fruit', ' pie');
    expect((await client.get('fruit', { consistency: 'log' })).value).toBe('apple pie');
    expect(await client.cas('fruit', 'apple', 'pear')).toMatchObject({ swapped: false, value: 'apple pie' });
    expect(await client.cas('fruit', 'apple pie', 'pear')).toMatchObject({ swapped: true, value: 'pear' });
    expect(await client.cas('new', null, 'first')).toMatchObject({ swapped: true, value: 'first' });
    expect(await client.delete('fruit')).toMatchObject({ existed: true });
    expect(await client.delete('fruit')).toMatchObject({ existed: false });
    expect((await client.get('fruit')).value).toBeNull();
    expect(client.seq).toBe(7);
  });

  it('keeps writing across the leader’s crash, each append applied exactly once', async () => {
    const nodes = await cluster.nodes(url);
    const client = new KvClient({ nodes: nodes.map((node) => node.clientUrl), timeoutMs: 30_000 });
    const written: string[] = [];
    for (let i = 0; i < 6; i++) {
      await client.append('journal', `${i};`);
      written.push(`${i};`);
    }
    const old = await leader(nodes);
    expect(client.currentNode).toBe(old.clientUrl);
    // Crash the leader with appends in flight: some are cut off mid-request and retried elsewhere.
    // The writer keeps going until three appends completed after the crash, so on a slow machine
    // the loop cannot finish before the kill lands (the kill resolves once the process exited).
    let afterKill = Infinity; // set once the kill returned
    const inFlight = (async () => {
      for (let i = 6; written.length < afterKill + 3; i++) {
        await client.append('journal', `${i};`);
        written.push(`${i};`);
      }
    })();
    await until(async () => (written.length >= 8 ? true : undefined), 'appends before the crash', WAIT_MS);
    expect((await fetch(`${url}/api/nodes/${old.id}/kill`, { method: 'POST' })).status).toBe(200);
    afterKill = written.length;
    await inFlight;
    expect(client.currentNode).not.toBe(old.clientUrl);
    expect((await client.get('journal')).value).toBe(written.join(''));

    expect((await fetch(`${url}/api/nodes/${old.id}/restart`, { method: 'POST' })).status).toBe(200);
    await cluster.nodes(url);
  });

  it('a request repeated with the same client id and seq is applied once', async () => {
    const nodes = await cluster.nodes(url);
    const lead = await leader(nodes);
    const append = () =>
      fetch(`${lead.clientUrl}/kv/once/append`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: 'x', client: 'repeater', seq: 1 }),
      });
    expect((await append()).status).toBe(200);
    expect((await append()).status).toBe(200);
    expect((await new KvClient({ nodes: [lead.clientUrl] }).get('once')).value).toBe('x');
  });
});
