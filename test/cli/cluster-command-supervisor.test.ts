/**
 * The cluster's supervisor and layout on stand-in processes (a tiny script in place of
 * `raftchart node`): how exits are told apart, stop's SIGKILL after the grace period, and the
 * ports and flags each node gets.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ClusterStartError,
  NodeNotRunningError,
  NodeRunningError,
  UnknownNodeError,
} from '../../src/cli/cluster-errors.js';
import { waitForLeader } from '../../src/cli/cluster-leader.js';
import type { ClusterPlan } from '../../src/cli/cluster-plan.js';
import { nodeArguments, planNodes } from '../../src/cli/cluster-plan.js';
import type { NodeExit } from '../../src/cli/cluster-supervisor.js';
import { ClusterSupervisor } from '../../src/cli/cluster-supervisor.js';
import { ConfigError } from '../../src/errors.js';
import { freePort } from '../transport/helpers.js';
import { alive } from './cluster-command-run.js';

let root: string;
let supervisor: ClusterSupervisor | undefined;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'raftchart-supervisor-'));
});

afterEach(async () => {
  await supervisor?.stop(1000);
  supervisor = undefined;
  await rm(root, { recursive: true, force: true });
});

/** A stand-in for `raftchart node`: lives until SIGTERM, which the node named STUBBORN ignores. */
const STAND_IN = `
const id = process.argv[process.argv.indexOf('--id') + 1];
process.on('SIGTERM', () => { if (id !== 'STUBBORN') process.exit(0); });
setInterval(() => {}, 1000);
console.log('ready');
`;

/** Starts two stand-in nodes running `script`; returns the exits it reports, as they come. */
async function start(script = STAND_IN): Promise<NodeExit[]> {
  const cli = join(root, 'stand-in.mjs');
  await writeFile(cli, script);
  const plan: ClusterPlan = { nodes: await planNodes(2, root), secretFile: join(root, 'secret') };
  const exits: NodeExit[] = [];
  supervisor = new ClusterSupervisor({ plan, cli, onExit: (exit) => exits.push(exit) });
  supervisor.startAll();
  return exits;
}

describe('ClusterSupervisor', () => {
  it('kills a node on request, restarts it with a new pid, and says which exit was which', async () => {
    const exits = await start();
    const first = supervisor!.pid('n1')!;
    expect(alive(first)).toBe(true);
    expect(() => supervisor!.start('n1')).toThrow(NodeRunningError);
    await supervisor!.kill('n1');
    expect(supervisor!.isRunning('n1')).toBe(false);
    expect(supervisor!.pid('n1')).toBeNull();
    expect(alive(first)).toBe(false);
    expect(exits).toEqual([{ id: 'n1', pid: first, code: null, signal: 'SIGKILL', cause: 'killed' }]);
    await expect(supervisor!.kill('n1')).rejects.toThrow(NodeNotRunningError);
    await expect(supervisor!.kill('n7')).rejects.toThrow(UnknownNodeError);

    supervisor!.start('n1');
    expect(supervisor!.pid('n1')).not.toBe(first);
    const second = supervisor!.pid('n2')!;
    process.kill(second, 'SIGKILL'); // not the supervisor's doing: a crash
    await expect.poll(() => exits.length, { timeout: 30_000 }).toBe(2);
    expect(exits[1]).toEqual({ id: 'n2', pid: second, code: null, signal: 'SIGKILL', cause: 'crashed' });
    expect(supervisor!.isRunning('n2')).toBe(false); // never restarted behind anyone's back
  });

  it('stops every node: SIGTERM, then SIGKILL once the grace period is over', async () => {
    const exits = await start(STAND_IN.replace('STUBBORN', 'n2'));
    const pids = [supervisor!.pid('n1')!, supervisor!.pid('n2')!];
    // Both installed their SIGTERM handlers (the log is their stdout).
    for (const id of ['n1', 'n2']) {
      await expect
        .poll(() => readFile(join(root, `${id}.log`), 'utf8'), { timeout: 30_000 })
        .toContain('ready');
    }
    await supervisor!.stop(3000);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(exits.find((e) => e.id === 'n1')).toMatchObject({ code: 0, cause: 'stopped' });
    expect(exits.find((e) => e.id === 'n2')).toMatchObject({ signal: 'SIGKILL', cause: 'stopped' });
    expect(() => supervisor!.start('n1')).toThrow(/the cluster is stopping/);
  });
});

describe('the cluster layout', () => {
  it('gives each node its ports, data, log and every peer, the same every time it starts', async () => {
    const plan: ClusterPlan = {
      nodes: await planNodes(3, root),
      secretFile: join(root, 'secret'),
      snapshotEvery: 5,
    };
    const ports = plan.nodes.flatMap((n) => [n.listenPort, n.clientPort, n.inspectPort]);
    expect(new Set(ports).size).toBe(9);
    for (const port of ports) expect(port).toBeLessThan(32_768); // below the ephemeral range
    const [n1, n2, n3] = plan.nodes;
    expect(nodeArguments(plan, 'n1')).toEqual([
      'node',
      '--id',
      'n1',
      '--listen',
      `127.0.0.1:${n1!.listenPort}`,
      '--client',
      `127.0.0.1:${n1!.clientPort}`,
      '--inspect',
      `127.0.0.1:${n1!.inspectPort}`,
      '--data',
      join(root, 'n1'),
      '--secret-file',
      join(root, 'secret'),
      '--peer',
      `n2=127.0.0.1:${n2!.listenPort}`,
      '--peer-client',
      `n2=127.0.0.1:${n2!.clientPort}`,
      '--peer',
      `n3=127.0.0.1:${n3!.listenPort}`,
      '--peer-client',
      `n3=127.0.0.1:${n3!.clientPort}`,
      '--snapshot-every',
      '5',
    ]);
    expect(n1!.logFile).toBe(join(root, 'n1.log'));
  });

  it('lays ports out from --base-port, and names the one that is taken', async () => {
    const base = (await freePort()) - 1;
    const nodes = await planNodes(2, root, base);
    expect(nodes.map((n) => [n.listenPort, n.clientPort, n.inspectPort])).toEqual([
      [base + 1, base + 101, base + 201],
      [base + 2, base + 102, base + 202],
    ]);
    const holder: Server = createServer();
    holder.listen(base + 102, '127.0.0.1');
    await once(holder, 'listening');
    try {
      await expect(planNodes(2, root, base)).rejects.toThrow(ConfigError);
      await expect(planNodes(2, root, base)).rejects.toThrow(
        `port ${base + 102} (client API of n2, from --base-port ${base})`,
      );
    } finally {
      holder.close();
    }
  });
});

describe('waiting for a leader', () => {
  it('gives up after its bound, saying what each node answered', async () => {
    const nodes = await planNodes(2, root); // nothing listens on their ports
    const waiting = waitForLeader(nodes, {
      timeoutMs: 300,
      signal: new AbortController().signal,
      failure: () => null,
    });
    await expect(waiting).rejects.toThrow(ClusterStartError);
    await expect(waiting).rejects.toThrow(
      'no leader that every node follows within 0.3 s (n1: no answer, n2: no answer)',
    );
  });

  it('stops at once when a node cannot come up any more', async () => {
    const failure = new ClusterStartError('node n1 exited');
    const waiting = waitForLeader(await planNodes(1, root), {
      timeoutMs: 60_000,
      signal: new AbortController().signal,
      failure: () => failure,
    });
    await expect(waiting).rejects.toBe(failure);
  });
});
