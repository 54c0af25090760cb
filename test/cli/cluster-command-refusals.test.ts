/** `raftchart cluster` refuses what it must not do, before any node starts, with exit code 1. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'raftchart-cluster-refusal-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function refused(args: string[]): Promise<string> {
  const child = spawn(process.execPath, ['dist/src/cli/main.js', 'cluster', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, stderr).toBe(1);
    return stderr;
  } finally {
    child.kill('SIGKILL');
  }
}

describe('raftchart cluster refuses', () => {
  it('to serve its API beyond 127.0.0.1', async () => {
    const stderr = await refused(['--http', '0.0.0.0:8080', '--data', dir]);
    expect(stderr).toContain('raftchart: --http must be on 127.0.0.1, not 0.0.0.0');
    expect(await readdir(dir)).toEqual([]); // refused before anything was written
  });

  it('a malformed --http address and an out-of-range --nodes', async () => {
    expect(await refused(['--http', '8080', '--data', dir])).toContain(
      'raftchart: --http takes 127.0.0.1:<port>, got "8080"',
    );
    expect(await refused(['--nodes', '10', '--data', dir])).toContain(
      'raftchart: --nodes must be 1 to 9, not 10',
    );
  });

  it('a data directory of a cluster of another size', async () => {
    await writeFile(join(dir, 'cluster.json'), '{"nodes":5}\n');
    expect(await refused(['--nodes', '3', '--data', dir])).toContain(
      `raftchart: ${dir} holds a 5-node cluster: run it with --nodes 5, add --fresh to wipe it and start a new one, ` +
        'or give another --data directory',
    );
  });

  it('to wipe with --fresh a directory that raftchart cluster did not make, removing nothing', async () => {
    await writeFile(join(dir, 'notes.txt'), 'mine');
    await writeFile(join(dir, 'cluster.json'), '{"nodes":3}\n');
    expect(await refused(['--fresh', '--data', dir])).toContain(
      `raftchart: --fresh would wipe ${dir}, which does not look like a raftchart cluster directory ` +
        '(it holds "notes.txt"): nothing was removed',
    );
    expect((await readdir(dir)).sort()).toEqual(['cluster.json', 'notes.txt']);
    // Only what a cluster makes, but no cluster.json: not one either.
    await rm(join(dir, 'cluster.json'));
    await rm(join(dir, 'notes.txt'));
    await mkdir(join(dir, 'n1'));
    expect(await refused(['--fresh', '--data', dir])).toContain('(no cluster.json): nothing was removed');
    expect(await readdir(dir)).toEqual(['n1']);
  });

  it('a directory another running cluster holds', async () => {
    // A live process that looks like a cluster (its arguments say so) holds the lock.
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'cluster'], {
      stdio: 'ignore',
    });
    try {
      await writeFile(join(dir, 'cluster.lock'), `${holder.pid}\n`);
      expect(await refused(['--data', dir])).toContain(
        `raftchart: a cluster is already running from ${dir} (pid ${holder.pid}): stop it`,
      );
      expect(await refused(['--fresh', '--data', dir])).toContain('a cluster is already running');
      expect((await readdir(dir)).sort()).toEqual(['cluster.lock']);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
