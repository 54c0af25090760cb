/** The built `raftchart` command as a user runs it (what `npm start` runs), in a real process. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../transport/helpers.js';

const CLI = 'dist/src/cli/main.js';

function run(args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, out: () => stdout, err: () => stderr };
}

async function until(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the CLI');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('raftchart CLI process', () => {
  it('sim runs in real time until Ctrl-C, then prints its summary and exits 0', async () => {
    const cli = run(['sim', '--seed', '4', '--speed', '20']);
    try {
      await until(() => cli.out().includes('-> leader'), 30_000);
      cli.child.kill('SIGINT');
      const [code] = await once(cli.child, 'exit');
      expect(code).toBe(0);
      expect(cli.out()).toMatch(/^raftchart: simulated 5-node cluster, seed 4/);
      expect(cli.out()).toMatch(/stopped: \d+ role changes/);
      expect(cli.err()).toBe('');
    } finally {
      cli.child.kill('SIGKILL');
    }
  });

  it('refuses a bad option with a clear error and exit code 1', async () => {
    const cli = run(['sim', '--nodes', 'three']);
    const [code] = await once(cli.child, 'exit');
    expect(code).toBe(1);
    expect(cli.err()).toMatch(
      /--nodes <count>' argument 'three' is invalid\. expected an integer of at least 1/,
    );
  });

  it('node refuses an incomplete or invalid configuration, naming every problem, never echoing the secret', async () => {
    const secret = 'short-secret-x';
    const cli = run([
      'node',
      '--id',
      'a',
      '--listen',
      '127.0.0.1:1',
      '--data',
      '/tmp/raftchart-none',
      '--secret',
      secret,
    ]);
    const [code] = await once(cli.child, 'exit');
    expect(code).toBe(1);
    expect(cli.err()).toMatch(
      /invalid node configuration: .*required property 'client'.*\/secret must be at least 16 characters/,
    );
    expect(cli.err()).not.toContain(secret);
  });

  it('node whose client address is taken exits 1 naming it, before it joins any cluster', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const clientPort = (taken.address() as AddressInfo).port;
    const raftPort = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'raftchart-cli-'));
    try {
      const cli = run([
        'node',
        '--id',
        'a',
        '--listen',
        `127.0.0.1:${raftPort}`,
        '--client',
        `127.0.0.1:${clientPort}`,
        '--data',
        dir,
        '--secret',
        'a-secret-of-16-chars-or-more',
      ]);
      const [code] = await once(cli.child, 'exit');
      expect(code).toBe(1);
      expect(cli.err()).toMatch(
        new RegExp(
          `raftchart: cannot listen for clients on 127\\.0\\.0\\.1:${clientPort} \\(--client\\): .*EADDRINUSE`,
        ),
      );
      expect(cli.err()).toMatch(/warning: --secret puts the cluster secret on the command line/);
      expect(cli.out()).not.toMatch(/node started|role changed/);
    } finally {
      taken.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('has --help on every command', async () => {
    for (const args of [['--help'], ['sim', '--help'], ['node', '--help'], ['chart', '--help']]) {
      const cli = run(args);
      const [code] = await once(cli.child, 'exit');
      expect(code).toBe(0);
      expect(cli.out()).toMatch(/^Usage: raftchart/);
    }
  });
});
