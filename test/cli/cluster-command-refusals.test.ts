/** `raftchart cluster` refuses what it must not do, before any node starts, with exit code 1. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
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
      `raftchart: ${dir} holds a 5-node cluster: run it with --nodes 5, or give another --data directory`,
    );
  });
});
