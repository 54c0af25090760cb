/**
 * Real `raftchart node` processes on 127.0.0.1: WebSocket transport, file storage, real
 * time. Bounds are generous, and no assertion depends on winning a race with the cluster:
 * nodes are compared only once they agree, and the test's raw peer speaks for a node that is
 * not running. Every process is stopped and every directory removed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ClientHandshake } from '../../src/transport/handshake.js';
import { ProcessCluster, SECRET, sleep } from './process-cluster.js';

let cluster: ProcessCluster | undefined;

afterEach(async () => {
  await cluster?.destroy();
  cluster = undefined;
});

/** Proposes `count` commands, `concurrency` at a time; returns them in acknowledgement order. */
async function proposeMany(
  c: ProcessCluster,
  prefix: string,
  count: number,
  concurrency: number,
): Promise<string[]> {
  const acknowledged: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const command = `${prefix}-${next++}`;
        await c.propose(command);
        acknowledged.push(command);
      }
    }),
  );
  return acknowledged;
}

describe.each([3, 5])('a %i-node cluster of processes', (size) => {
  it('elects a leader and commits 1,000 proposals, applied identically everywhere', async () => {
    const c = (cluster = await ProcessCluster.create(size));
    await c.waitForLeader();
    const acknowledged = await proposeMany(c, 'p', 1000, 16);
    // Every node applies the same list; a retried proposal (same session) applied once.
    const applied = await c.waitForSameApplied(1000);
    expect([...applied].sort()).toEqual([...acknowledged].sort());
  });
});

describe('crashes and pauses', () => {
  it('loses no acknowledged proposal when the leader is killed mid-stream and restarted', async () => {
    const c = (cluster = await ProcessCluster.create(3));
    const first = await c.waitForLeader();
    const acknowledged: string[] = [];
    let killed = false;
    for (let i = 0; acknowledged.length < 300; i++) {
      const command = `k-${i}`;
      // One attempt per command: an unacknowledged one may or may not commit, never twice.
      const outcome = await c.proposeTo(await c.waitForLeader(), command);
      if (outcome.ok) acknowledged.push(command);
      if (!killed && acknowledged.length === 150) {
        await c.signal(first, 'SIGKILL');
        killed = true;
      }
    }
    c.start(first);
    // The restarted node catches up: every node applies the same list.
    const applied = await c.waitForSameApplied(300);
    expect(applied.filter((cmd) => acknowledged.includes(cmd))).toEqual(acknowledged);
    expect(new Set(applied).size).toBe(applied.length);
  });

  it('a follower paused past the election timeout rejoins when resumed', async () => {
    const c = (cluster = await ProcessCluster.create(3));
    const leader = await c.waitForLeader();
    const follower = c.ids.find((id) => id !== leader)!;
    await c.signal(follower, 'SIGSTOP');
    for (let i = 0; i < 20; i++) await c.propose(`while-paused-${i}`);
    await sleep(1500);
    await c.signal(follower, 'SIGCONT');
    // Its overdue election timer may fire at once (there is no pre-vote yet); either way the
    // cluster keeps committing and the resumed node catches up.
    await c.propose('after-resume');
    expect(await c.waitForSameApplied(21)).toContain('after-resume');
  });
});

describe('refusals at the door', () => {
  async function send(
    url: string,
    method: string,
    body: string,
  ): Promise<{ status: number; location: string | null; body: Record<string, unknown> }> {
    const response = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json' },
      body,
      redirect: 'manual',
    });
    return {
      status: response.status,
      location: response.headers.get('location'),
      body: (await response.json()) as Record<string, unknown>,
    };
  }

  it('refuses values nested 20,000 and 200,000 deep (400) and one over maxCommandBytes (413), and no leader stops; a follower redirects to the leader', async () => {
    const c = (cluster = await ProcessCluster.create(3));
    const leader = await c.waitForLeader();
    for (const depth of [20_000, 200_000]) {
      const refused = await send(
        `${c.clientUrl(leader)}/kv/deep`,
        'PUT',
        `{"value":${'['.repeat(depth)}${']'.repeat(depth)}}`,
      );
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ error: 'BadRequest' });
    }
    // Within the body limit (1 MiB + 64 KiB), over the command limit (1 MiB): the node refuses it.
    const large = await send(
      `${c.clientUrl(leader)}/kv/large`,
      'PUT',
      JSON.stringify({ value: 'x'.repeat(1 << 20) }),
    );
    expect(large).toMatchObject({ status: 413, body: { error: 'PayloadTooLarge' } });
    await c.propose('after');
    await c.waitForSameApplied(1);
    for (const id of c.ids) expect(await c.status(id)).toMatchObject({ failure: null });
    const current = await c.waitForLeader();
    const follower = c.ids.find((id) => id !== current)!;
    const misdirected = await send(
      `${c.clientUrl(follower)}/kv/hinted?from=follower`,
      'PUT',
      '{"value":"via-hint"}',
    );
    const leaderUrl = `${c.clientUrl(current)}/kv/hinted?from=follower`;
    expect(misdirected).toMatchObject({
      status: 307,
      location: leaderUrl,
      body: { error: 'NotLeader', leaderHint: current, leaderUrl },
    });
    const followed = await send(misdirected.location!, 'PUT', '{"value":"via-hint"}');
    expect(followed.status).toBe(200);
    const read = await fetch(`${c.clientUrl(follower)}/kv/hinted`);
    expect(await read.json()).toMatchObject({ key: 'hinted', value: 'via-hint' });
  });
});

describe('refusals on the wire', () => {
  /** Opens a raw WebSocket to a node's Raft port; resolves with how the node closed it. */
  function rawPeer(port: number, behave: (socket: WebSocket, text: string) => void) {
    const socket = new WebSocket(`ws://127.0.0.1:${port}`);
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    socket.on('message', (data) => behave(socket, data.toString()));
    socket.on('error', () => {});
    return closed;
  }

  it('refuses a stranger without the secret, garbage frames and an oversized frame, while committing on', async () => {
    const c = (cluster = await ProcessCluster.create(3));
    const first = await c.waitForLeader();
    const target = c.ids.find((id) => id !== first)!;
    // Under load a node may still be starting when the other two have elected: the target
    // must be up and following before anything is sent to it (seen: ECONNREFUSED, 1006).
    const leader = await c.waitForFollower(target);
    const claimed = c.ids.find((id) => id !== leader && id !== target)!;
    const port = c.raftPort(target);
    // The test speaks as the other follower, stopped first: running, it would reconnect to
    // the target and replace (4003) the test's connection before its frame was refused. The
    // leader and the target still make a majority.
    await c.signal(claimed, 'SIGKILL');

    // A stranger: a well-formed handshake with the wrong secret.
    const stranger = new ClientHandshake(claimed, target, 'not-the-cluster-secret!');
    const refusedStranger = await rawPeer(port, (socket, text) => {
      const step = stranger.onChallenge(text);
      if (step.ok && step.reply !== undefined) socket.send(step.reply);
    });
    expect(refusedStranger).toEqual({ code: 4001, reason: 'authentication failed' });

    // A peer that knows the secret, then sends garbage; then one that sends an oversized frame.
    for (const [payload, code] of [
      ['{ this is not json', 4002],
      ['x'.repeat(5 * 1024 * 1024), 1009],
    ] as const) {
      const client = new ClientHandshake(claimed, target, SECRET);
      let welcomed = false;
      const refused = await rawPeer(port, (socket, text) => {
        const step = welcomed ? { ok: false as const } : client.onChallenge(text);
        if (!welcomed && step.ok && step.reply !== undefined) {
          socket.send(step.reply);
          welcomed = true;
          return;
        }
        if (client.onWelcome(text).ok) socket.send(payload);
      });
      expect(refused.code).toBe(code);
      await c.propose(`after-${code}`);
    }

    for (let i = 0; i < 10; i++) await c.propose(`still-${i}`);
    await c.waitForSameApplied(12);
    await c.waitForOutput(target, /authentication failed/);
  });
});
