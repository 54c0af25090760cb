/**
 * Membership changes and leadership transfer across real `raftchart node` processes on
 * 127.0.0.1, under a steady write load: a fourth node joins (learner, caught up, promoted),
 * the leader removes itself, and the CLI hands the leadership to a named node. Nothing
 * acknowledged is lost. Outcomes only: every wait polls until its condition holds.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessCluster } from './process-cluster.js';
import { finishLoad, until, writeLoad } from './write-load.js';

const run = promisify(execFile);

let cluster: ProcessCluster | undefined;
afterEach(async () => {
  await cluster?.destroy();
  cluster = undefined;
});

interface Config {
  readonly voters: string[];
  readonly learners: string[];
}

/**
 * `DELETE /admin/members/<id>` through the leader: its answer, or null when the outcome is
 * unknown (504). A leader that removes itself counts only the new voters for check-quorum:
 * it may step down before the entry commits, and then never hears that it did (the new
 * leader no longer replicates to it). The new leader's configuration tells.
 */
async function removal(c: ProcessCluster, id: string): Promise<{ config: Config } | null> {
  try {
    return (await c.admin('DELETE', `/admin/members/${id}`)) as { config: Config };
  } catch (error) {
    if (/ 504 /.test(String(error))) return null;
    throw error;
  }
}

/** `GET /admin/members` on node `id` itself (no redirect): the configuration in force there. */
async function membersOf(c: ProcessCluster, id: string): Promise<Config | undefined> {
  const response = await fetch(`${c.clientUrl(id)}/admin/members`, { signal: AbortSignal.timeout(10_000) });
  return response.status === 200 ? ((await response.json()) as Config) : undefined;
}

describe('membership across processes', () => {
  it('a fourth node joins a live cluster under load: added as a learner, caught up, promoted; nothing lost', async () => {
    const c = (cluster = await ProcessCluster.create(3));
    await c.waitForLeader();
    const load = writeLoad(c);
    await until('some writes', async () => (load.acknowledged.length >= 20 ? true : undefined));
    const joined = await c.join();
    await c.admin('POST', '/admin/members', {
      id: joined,
      role: 'learner',
      address: `127.0.0.1:${c.raftPort(joined)}`,
    });
    // Caught up: it has applied what the leader had committed when we looked.
    const leader = await c.waitForLeader();
    const target = (await c.status(leader))!.commitIndex;
    await until('the learner to catch up', async () => {
      const status = await c.status(joined);
      return status !== null && status.appliedIndex >= target ? true : undefined;
    });
    await c.admin('POST', `/admin/members/${joined}/promote`);
    const config = (await c.admin('GET', '/admin/members')) as Config;
    expect(config.voters.sort()).toEqual(['n1', 'n2', 'n3', joined].sort());
    expect(config.learners).toEqual([]);
    // Read back linearizably through the new node: every acknowledged write is there.
    const applied = await finishLoad(c, load, 'with four voters', joined);
    // The new node holds them too (waitForSameApplied compared every running node, n4 included).
    expect((await c.applied(joined)).length).toBe(applied.length);
  });

  it('the leader removes itself under load: it steps down once that commits, another leads, nothing lost', async () => {
    const c = (cluster = await ProcessCluster.create(3));
    const old = await c.waitForLeader();
    const rest = c.ids.filter((id) => id !== old);
    // Every node follows first: the new configuration's quorum is both of the others.
    for (const id of rest) await c.waitForFollower(id);
    const load = writeLoad(c);
    await until('some writes', async () => (load.acknowledged.length >= 20 ? true : undefined));
    const answer = await removal(c, old);
    if (answer !== null) expect(answer.config.voters.sort()).toEqual(rest);
    const next = await until('a new leader among the rest', async () => {
      for (const id of rest) if ((await c.status(id))?.role === 'leader') return id;
      return undefined;
    });
    await until('the removed leader to step down', async () =>
      (await c.status(old))?.role === 'follower' ? true : undefined,
    );
    // What the new leader holds in force: the removal, whatever the old leader answered.
    const config = await until(`${next}'s configuration without ${old}`, async () => {
      const members = await membersOf(c, next);
      if (members === undefined || !members.voters.includes(old)) return members;
      // The entry never left the old leader (it lost its quorum first): remove it again.
      await removal(c, old);
      return undefined;
    });
    expect(config.voters.sort()).toEqual(rest);
    expect(config.learners).toEqual([]);
    // The removed node is no longer a member: it receives nothing more, so it is stopped first.
    await finishLoad(c, load, 'after the removal', next, () => c.signal(old, 'SIGTERM'));
  });

  it('raftchart transfer-leadership --to hands the leadership to that node', async () => {
    const c = (cluster = await ProcessCluster.create(3));
    const old = await c.waitForLeader();
    const to = c.ids.find((id) => id !== old)!;
    const nodes = c.ids.map((id) => c.clientUrl(id)).join(',');
    const { stdout } = await run(process.execPath, [
      'dist/src/cli/main.js',
      'transfer-leadership',
      '--to',
      to,
      '--nodes',
      nodes,
      '--timeout',
      '30',
    ]);
    expect(stdout).toContain(`node ${to} leads now`);
    expect(await c.waitForLeader()).toBe(to);
    const { stdout: members } = await run(process.execPath, [
      'dist/src/cli/main.js',
      'members',
      '--nodes',
      nodes,
    ]);
    expect(members).toContain('voters: n1, n2, n3');
  });
});
