/**
 * A local cluster's directory, in-process: --fresh wipes what a cluster made (and only that),
 * the lock keeps a second cluster out until the first lets go, cluster.json keeps the size
 * and records the addresses, and the last run's ports are reused when they are free.
 */
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  prepareClusterData,
  readClusterManifest,
  recordClusterAddresses,
} from '../../src/cli/cluster-data.js';
import { plannedPorts, planNodes } from '../../src/cli/cluster-plan.js';
import { ConfigError } from '../../src/errors.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'raftchart-cluster-data-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the cluster directory', () => {
  it('is made with a secret and cluster.json, and kept as it is the next time', async () => {
    const dir = join(root, 'cluster');
    const first = await prepareClusterData(dir, 3);
    expect(first.previous).toBeNull();
    first.release();
    const secret = await readFile(join(dir, 'secret'), 'utf8');
    await recordClusterAddresses(dir, {
      nodes: 3,
      clientUrls: ['http://127.0.0.1:1'],
      http: 'http://127.0.0.1:2',
    });
    const second = await prepareClusterData(dir, 3);
    second.release();
    expect(second.previous).toEqual({
      nodes: 3,
      clientUrls: ['http://127.0.0.1:1'],
      http: 'http://127.0.0.1:2',
    });
    expect(await readFile(join(dir, 'secret'), 'utf8')).toBe(secret);
    expect(await readClusterManifest(dir)).toEqual(second.previous);
  });

  it('--fresh wipes what a cluster made, and then takes another size', async () => {
    (await prepareClusterData(root, 3)).release();
    await mkdir(join(root, 'n1'));
    await writeFile(join(root, 'n1', 'wal'), 'entries');
    await writeFile(join(root, 'n1.log'), '{}\n');
    const secret = await readFile(join(root, 'secret'), 'utf8');
    await expect(prepareClusterData(root, 5)).rejects.toThrow('holds a 3-node cluster');

    const fresh = await prepareClusterData(root, 5, { fresh: true });
    fresh.release();
    expect(fresh.previous).toBeNull();
    expect((await readdir(root)).sort()).toEqual(['cluster.json', 'secret']);
    expect(await readFile(join(root, 'secret'), 'utf8')).not.toBe(secret);
    expect(await readClusterManifest(root)).toEqual({ nodes: 5 });
  });

  it('--fresh on a new or empty directory just starts there', async () => {
    const fresh = await prepareClusterData(join(root, 'new'), 3, { fresh: true });
    fresh.release();
    expect((await readdir(join(root, 'new'))).sort()).toEqual(['cluster.json', 'secret']);
  });

  it('is held by one cluster at a time, and free again once released', async () => {
    const held = await prepareClusterData(root, 3);
    const second = prepareClusterData(root, 3);
    await expect(second).rejects.toThrow(ConfigError);
    await expect(second).rejects.toThrow(`a cluster is already running from ${root} (pid ${process.pid})`);
    held.release();
    held.release(); // twice is harmless
    (await prepareClusterData(root, 3)).release();
  });

  it('takes over a lock whose process is gone', async () => {
    await writeFile(join(root, 'cluster.lock'), '2147483646\n'); // no such pid
    const data = await prepareClusterData(root, 3);
    expect(await readFile(join(root, 'cluster.lock'), 'utf8')).toBe(`${process.pid}\n`);
    data.release();
    expect(await readdir(root)).not.toContain('cluster.lock');
  });

  it('refuses a cluster.json that is not one', async () => {
    await writeFile(join(root, 'cluster.json'), 'not json');
    await expect(prepareClusterData(root, 3)).rejects.toThrow(
      'is not a cluster manifest raftchart cluster wrote',
    );
    await expect(readClusterManifest(root)).rejects.toThrow(ConfigError);
    expect(await readClusterManifest(join(root, 'none'))).toBeNull();
  });
});

describe('node ports across runs', () => {
  it('are the last run’s when every one is free, else new free ones', async () => {
    const first = await planNodes(3, root);
    const ports = plannedPorts(first);
    const again = await planNodes(3, root, undefined, ports);
    expect(plannedPorts(again)).toEqual(ports);

    // One of them taken meanwhile: all new ones (a node's ports stay together).
    const taken = createServer();
    taken.listen(first[1]!.clientPort, '127.0.0.1');
    await once(taken, 'listening');
    try {
      const moved = await planNodes(3, root, undefined, ports);
      expect(plannedPorts(moved)).not.toEqual(ports);
      expect(moved.map((node) => node.clientPort)).not.toContain(first[1]!.clientPort);
    } finally {
      taken.close();
    }
    // A record of another size, or a malformed one, is not used.
    expect(plannedPorts(await planNodes(2, root, undefined, { n1: [1, 2, 3] }))).not.toEqual({
      n1: [1, 2, 3],
    });
  });
});
