/**
 * A `raftchart node` process whose disk fills up: it must fail loudly (log the failure and
 * exit non-zero, so a supervisor restarts it), never keep serving with its last role; and
 * once space is freed, a restart recovers every acknowledged write. The disk is a small
 * tmpfs, which needs mount(2): where it cannot be mounted, the test says why and is skipped.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../transport/helpers.js';

const CLI = 'dist/src/cli/main.js';
const SECRET = 'node-failure-test-secret';

const mountPoint = await mkdtemp(join(tmpdir(), 'raftchart-full-disk-'));

function mount(size: string, remount = false): void {
  const options = remount ? `remount,size=${size}` : `size=${size}`;
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', mountPoint], { stdio: 'pipe' });
}

/** Mounted while the file is collected, so that skipIf knows; null when it worked. */
const mountProblem = ((): string | null => {
  try {
    mount('512k');
    return null;
  } catch (error) {
    const problem = `cannot mount a tmpfs here (${String(error).split('\n')[0]}): needs root and mount(2)`;
    console.warn(`skipping the full-disk process test: ${problem}`);
    return problem;
  }
})();

afterAll(async () => {
  if (mountProblem === null) execFileSync('umount', [mountPoint]);
  await rm(mountPoint, { recursive: true, force: true });
});

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
  output: string;
}

async function startNode(data: string): Promise<Running> {
  const [raft, client] = [await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [
      CLI,
      'node',
      '--id',
      'a',
      '--listen',
      `127.0.0.1:${raft}`,
      '--client',
      `127.0.0.1:${client}`,
      '--data',
      data,
    ],
    { env: { ...process.env, RAFTCHART_SECRET: SECRET }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const running: Running = { child, url: `http://127.0.0.1:${client}`, output: '' };
  child.stdout!.on('data', (chunk: Buffer) => (running.output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (running.output += chunk.toString()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const status = await fetch(`${running.url}/status`)
      .then((r) => r.json() as Promise<{ role: string }>)
      .catch(() => null);
    if (status?.role === 'leader') return running;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`the node did not lead within 20 s:\n${running.output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

type Outcome = { status: number; body: Record<string, unknown> } | { status: 'unreachable' };

async function put(url: string, key: string, value: string): Promise<Outcome> {
  try {
    const response = await fetch(`${url}/kv/${key}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value }),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  } catch {
    return { status: 'unreachable' };
  }
}

/** The 32 KiB value of the i-th write. */
function valueOf(i: number): string {
  return `${i}:`.padEnd(32 * 1024, 'x');
}

describe('a node on a full disk', () => {
  it.skipIf(mountProblem !== null)(
    'fails with ENOSPC, says so, exits 1; after space is freed a restart keeps every acknowledged write',
    async () => {
      const data = join(mountPoint, 'a');
      const node = await startNode(data);
      const exited = once(node.child, 'exit');
      const acknowledged: number[] = [];
      const refusals: Outcome[] = [];
      // 32 KiB values fill the 512 KiB disk within a few dozen writes.
      for (let i = 0; i < 200 && node.child.exitCode === null; i++) {
        const outcome = await put(node.url, `k${i}`, valueOf(i));
        if (outcome.status === 200) acknowledged.push(i);
        else refusals.push(outcome);
        if (outcome.status === 'unreachable') break;
      }
      const [code] = (await Promise.race([
        exited,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('the failed node did not exit')), 15_000),
        ),
      ])) as [number | null];
      expect(code, node.output).toBe(1);
      expect(acknowledged.length).toBeGreaterThan(0);
      expect(node.output).toMatch(/"msg":"node failed; exiting with status 1[^"]*"/);
      expect(node.output).toMatch(/ENOSPC/);
      // Never a misdirection to itself: the refusals are 503s with the reason, then silence.
      for (const refusal of refusals) {
        if (refusal.status === 'unreachable') continue;
        expect(refusal).toMatchObject({
          status: 503,
          body: { error: 'Failed', message: expect.stringMatching(/ENOSPC/) },
        });
      }

      mount('8m', true); // space is freed
      const restarted = await startNode(data);
      try {
        // Every acknowledged write survived; an unacknowledged one may or may not have. The
        // read is linearizable: a node that just took the lead applies its log again only
        // once its first entry commits, and a serializable read may come before that.
        for (const i of acknowledged) {
          const read = await fetch(`${restarted.url}/kv/k${i}?consistency=linearizable`);
          expect(read.status, `k${i}`).toBe(200);
          expect(((await read.json()) as { value: string }).value === valueOf(i), `k${i}`).toBe(true);
        }
        expect(await put(restarted.url, 'after', 'x')).toMatchObject({ status: 200 });
      } finally {
        restarted.child.kill('SIGTERM');
        await once(restarted.child, 'exit');
      }
    },
  );
});
