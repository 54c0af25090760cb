/**
 * What a transport refuses, over real sockets: strangers without the secret, peers
 * claiming an id they are not configured as, a server that cannot prove the secret, and an
 * authenticated peer sending something that is not a RaftMessage for this node from itself.
 * Each is closed with a code and a reason the other side can read and a log line here, and
 * nothing from it reaches the node, while the other peers keep working.
 */
import { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { RaftMessage } from '../../machines/index.js';
import { CLOSE_AUTH_FAILED, CLOSE_INVALID_FRAME, CLOSE_TOO_LARGE } from '../../src/transport/close-codes.js';
import { handshakeProof } from '../../src/transport/handshake.js';
import { createWsTransport } from '../../src/transport/ws-transport.js';
import type { TestNode } from './helpers.js';
import {
  HOST,
  SECRET,
  Sockets,
  heartbeat,
  node,
  rawClient,
  rawPeer,
  requestVote,
  sleep,
  startCluster,
  url,
  waitFor,
  within,
} from './helpers.js';

const sockets = new Sockets();
afterEach(() => sockets.cleanup());

/** Node a (the one under attack) with real peers b and c; the tests speak raw as b. */
async function cluster(
  maxFrameBytes = 64 * 1024,
): Promise<{ a: TestNode; c: TestNode; target: string; refused: () => number }> {
  const nodes = await startCluster(sockets, ['a', 'b', 'c'], { maxFrameBytes, handshakeTimeoutMs: 300 });
  // The real b must not be connected to a: the raw client is "b" in these tests.
  await node(nodes, 'b').transport.stop();
  const a = node(nodes, 'a');
  const c = node(nodes, 'c');
  // Once c's link to a is up, nothing but the test connects to a. Refusals before that are
  // the real peers' (on a busy machine a 300 ms handshake can time out): not counted.
  await otherPeersStillWork(a, c, 1_000);
  a.delivered.length = 0; // the tests check what reaches a from now on
  const before = a.transport.stats().refusedConnections;
  return { a, c, target: url(a.port), refused: () => a.transport.stats().refusedConnections - before };
}

/** The other peer still gets through: c's message reaches a. */
async function otherPeersStillWork(a: TestNode, c: TestNode, rpcId: number): Promise<void> {
  c.transport.send(requestVote('c', 'a', rpcId));
  await waitFor('a still receives from c', () =>
    a.delivered.some((m) => m.from === 'c' && m.type === 'RequestVote' && m.rpcId === rpcId),
  );
}

function fromB(a: TestNode): RaftMessage[] {
  return a.delivered.filter((m) => m.from === 'b');
}

describe('strangers without the secret', () => {
  it('a hello with a proof made from the wrong secret is refused: 4001, nothing delivered', async () => {
    const { a, c, target, refused } = await cluster();
    const stranger = await rawClient(sockets, target);
    const challenge = JSON.parse(await stranger.next()) as { nonce: string };
    const nonce = Buffer.alloc(32, 7).toString('base64url');
    const proof = handshakeProof('not the cluster secret!', 'client', 'b', 'a', challenge.nonce, nonce);
    stranger.send(JSON.stringify({ kind: 'hello', version: 1, from: 'b', to: 'a', nonce, proof }));
    stranger.send(JSON.stringify(requestVote('b', 'a', 1))); // sent before the refusal arrives
    expect(await within(stranger.closed, 2000, 'the refusal')).toEqual({
      code: CLOSE_AUTH_FAILED,
      reason: 'authentication failed',
    });
    expect(a.delivered).toEqual([]);
    expect(refused()).toBe(1);
    expect(a.logger.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'refused a connection: authentication failed' }),
    );
    await otherPeersStillWork(a, c, 1);
  });

  it('a Raft frame instead of the hello is refused: 4001, nothing delivered', async () => {
    const { a, c, target } = await cluster();
    const stranger = await rawClient(sockets, target);
    await stranger.next(); // the challenge
    stranger.send(JSON.stringify(requestVote('b', 'a', 1)));
    expect(await within(stranger.closed, 2000, 'the refusal')).toEqual({
      code: CLOSE_AUTH_FAILED,
      reason: 'authentication failed',
    });
    expect(a.delivered).toEqual([]);
    await otherPeersStillWork(a, c, 1);
  });

  it('the right secret under an id that is not a configured peer is refused', async () => {
    const { a, target, refused } = await cluster();
    await expect(rawPeer(sockets, target, { id: 'mallory', to: 'a' })).rejects.toThrow(
      'closed: 4001 authentication failed',
    );
    expect(refused()).toBe(1);
    expect(a.logger.lines).toContainEqual(
      expect.objectContaining({
        details: expect.objectContaining({ why: '"mallory" is not a configured peer' }),
      }),
    );
  });

  it('a hello meant for another node is refused', async () => {
    const { target, refused } = await cluster();
    await expect(rawPeer(sockets, target, { id: 'b', to: 'c' })).rejects.toThrow(
      'closed: 4001 authentication failed',
    );
    expect(refused()).toBe(1);
  });

  it('a connection that never says hello is closed after handshakeTimeoutMs', async () => {
    const { target, refused } = await cluster();
    const silent = await rawClient(sockets, target);
    expect(await silent.closed).toEqual({
      code: CLOSE_AUTH_FAILED,
      reason: 'authentication failed: handshake timeout',
    });
    expect(refused()).toBe(1);
  });

  it('a server that cannot prove the secret gets no frames: the client refuses it with 4001', async () => {
    const impostor = new WebSocketServer({ host: HOST, port: 0 });
    sockets.onCleanup(() => new Promise<void>((resolve) => impostor.close(() => resolve())));
    await new Promise((resolve) => impostor.once('listening', resolve));
    const received: string[] = [];
    const refusals: { code: number; reason: string }[] = [];
    impostor.on('connection', (socket) => {
      socket.on('message', (data: Buffer) => {
        received.push(data.toString('utf8'));
        const hello = JSON.parse(data.toString('utf8')) as { kind: string };
        if (hello.kind === 'hello') {
          socket.send(JSON.stringify({ kind: 'welcome', proof: Buffer.alloc(32, 1).toString('base64url') }));
        }
      });
      socket.on('close', (code: number, reason: Buffer) =>
        refusals.push({ code, reason: reason.toString() }),
      );
      socket.send(
        JSON.stringify({ kind: 'challenge', version: 1, nonce: Buffer.alloc(32, 2).toString('base64url') }),
      );
    });
    const address = impostor.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    // a's peer "b" is really the impostor.
    const fooled = sockets.track(
      createWsTransport({
        id: 'a',
        listen: { host: HOST, port: 0 },
        peers: { b: url(address.port) },
        secret: SECRET,
        backoff: { initialMs: 1000, maxMs: 1000 },
      }),
    );
    await fooled.start();
    fooled.send(requestVote('a', 'b', 1));
    await waitFor('the client refuses the impostor', () => refusals.length === 1);
    expect(refusals[0]).toEqual({ code: CLOSE_AUTH_FAILED, reason: 'authentication failed' });
    expect(received.map((text) => (JSON.parse(text) as { kind?: string }).kind)).toEqual(['hello']);
    expect(fooled.stats()).toMatchObject({ sent: 0, queued: 1, refusedConnections: 1 });
  });
});

interface BadFrame {
  readonly name: string;
  readonly frame: string | Buffer;
  readonly binary?: boolean;
  readonly code: number;
  readonly reason: string | RegExp;
  readonly logged: string;
}

const INVALID = 'refused an invalid frame; connection closed';

const badFrames: readonly BadFrame[] = [
  {
    name: 'garbage',
    frame: 'not json {',
    code: CLOSE_INVALID_FRAME,
    reason: 'invalid frame: not json',
    logged: INVALID,
  },
  {
    name: 'a frame failing the schema (negative term)',
    frame: JSON.stringify({ ...requestVote('b', 'a', 2), term: -1 }),
    code: CLOSE_INVALID_FRAME,
    reason: 'invalid frame: frame/term must be >= 0',
    logged: INVALID,
  },
  {
    name: 'a frame with an extra field',
    frame: JSON.stringify({ ...requestVote('b', 'a', 2), admin: true }),
    code: CLOSE_INVALID_FRAME,
    reason: 'invalid frame: frame has an unexpected field "admin"',
    logged: INVALID,
  },
  {
    name: 'a frame with a forged from',
    frame: JSON.stringify(requestVote('c', 'a', 2)),
    code: CLOSE_INVALID_FRAME,
    reason: 'invalid frame: from "c" is not the authenticated peer "b"',
    logged: INVALID,
  },
  {
    name: 'a frame addressed to another node',
    frame: JSON.stringify(requestVote('b', 'c', 2)),
    code: CLOSE_INVALID_FRAME,
    reason: 'invalid frame: to "c" is not this node "a"',
    logged: INVALID,
  },
  {
    name: 'a local event (Propose)',
    frame: JSON.stringify({ type: 'Propose', from: 'b', to: 'a', term: 3, commands: ['x'] }),
    code: CLOSE_INVALID_FRAME,
    reason: 'invalid frame: frame: type "Propose" is not a RaftMessage type',
    logged: INVALID,
  },
  {
    name: 'a binary frame',
    frame: Buffer.from(JSON.stringify(requestVote('b', 'a', 2))),
    binary: true,
    code: CLOSE_INVALID_FRAME,
    reason: 'invalid frame: expected a text frame',
    logged: INVALID,
  },
  {
    name: 'an oversized frame',
    frame: JSON.stringify(heartbeat('b', 'a', 2, ['x'.repeat(70 * 1024)])),
    code: CLOSE_TOO_LARGE,
    reason: 'frame too large (limit 65536 bytes)',
    logged: 'refused a frame larger than maxFrameBytes; connection closed',
  },
];

describe('an authenticated peer sending what is not a RaftMessage for this node from itself', () => {
  it.each(badFrames)(
    '$name: closed with a clear reason, nothing delivered, others unaffected',
    async (bad) => {
      const { a, c, target } = await cluster();
      const b = await rawPeer(sockets, target, { id: 'b', to: 'a' });
      const good = requestVote('b', 'a', 1);
      b.send(JSON.stringify(good));
      await waitFor('the valid frame is delivered', () => fromB(a).length === 1);

      b.send(bad.frame, bad.binary ?? false);
      b.send(JSON.stringify(requestVote('b', 'a', 3))); // valid, but after the bad one
      const refusal = await within(b.closed, 2000, 'the refusal');
      expect(refusal.code).toBe(bad.code);
      expect(refusal.reason).toMatch(bad.reason);
      await sleep(20);
      expect(a.delivered).toEqual([good]);
      expect(a.transport.stats()).toMatchObject({ rejected: 1 });
      expect(a.logger.lines).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message: bad.logged,
          details: expect.objectContaining({ peer: 'b' }),
        }),
      );
      await otherPeersStillWork(a, c, 1);
    },
  );

  it('a very long schema error is cut to fit the close frame', async () => {
    const { a, target } = await cluster();
    const b = await rawPeer(sockets, target, { id: 'b', to: 'a' });
    b.send(JSON.stringify({ ...requestVote('b', 'a', 1), ['x'.repeat(300)]: 1 }));
    const refusal = await b.closed;
    expect(refusal.code).toBe(CLOSE_INVALID_FRAME);
    expect(refusal.reason.startsWith('invalid frame: frame has an unexpected field "xxx')).toBe(true);
    expect(Buffer.byteLength(refusal.reason)).toBeLessThanOrEqual(123);
    expect(a.delivered).toEqual([]);
  });
});
