/**
 * A supervisor killed outright (SIGKILL: no handler runs) leaves no node behind: each node
 * sees its IPC channel to the supervisor close, and stops as on SIGTERM.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../transport/helpers.js';
import { ClusterCommand, alive, until } from './cluster-command-run.js';

const WAIT_MS = 90_000;
let cluster: ClusterCommand | undefined;
let dir: string | undefined;

afterAll(async () => {
  await cluster?.destroy();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('raftchart cluster, killed', () => {
  it(
    'takes its nodes with it: they stop once the supervisor is gone',
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'raftchart-cluster-orphans-'));
      const port = await freePort();
      cluster = new ClusterCommand(['--nodes', '3', '--http', `127.0.0.1:${port}`, '--data', dir]);
      await cluster.waitForOutput(/Ctrl-C to stop/, WAIT_MS);
      const pids = (await cluster.nodes(`http://127.0.0.1:${port}`)).map((node) => node.pid!);
      expect(pids).toHaveLength(3);
      expect(pids.every(alive)).toBe(true);
      await cluster.stop('SIGKILL');
      await until(async () => (pids.some(alive) ? undefined : true), 'every node to stop', WAIT_MS);
    },
    3 * WAIT_MS,
  );
});
