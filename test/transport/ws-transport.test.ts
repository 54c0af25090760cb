/**
 * The WebSocket transport over real sockets on 127.0.0.1: messages both ways between three
 * nodes, reconnecting to a restarted peer, the bounded outbound queue, the outbound frame
 * limit, and the wire itself (captured through a TCP proxy) never carrying the secret.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { RaftMessage } from '../../machines/index.js';
import { ConfigError, RaftError } from '../../src/errors.js';
import { ServerHandshake } from '../../src/transport/handshake.js';
import { createWsTransport } from '../../src/transport/ws-transport.js';
import {
  HOST,
  SECRET,
  Sockets,
  capturingProxy,
  decodeWebSocketStream,
  freePort,
  heartbeat,
  makeNode,
  node,
  rawClient,
  requestVote,
  sleep,
  startCluster,
  url,
  waitFor,
  within,
} from './helpers.js';

const sockets = new Sockets();
afterEach(() => sockets.cleanup());

describe('WebSocket transport', () => {
  it('three nodes exchange messages in every direction, in order, as sent', async () => {
    const ids = ['a', 'b', 'c'];
    const nodes = await startCluster(sockets, ids);
    const sent: RaftMessage[] = [];
    let rpcId = 0;
    for (const from of ids) {
      for (const to of ids) {
        if (from === to) continue;
        for (let i = 0; i < 3; i++) {
          const message =
            i === 1
              ? heartbeat(from, to, ++rpcId, [{ op: 'put', key: 'k', value: [1, null] }])
              : requestVote(from, to, ++rpcId);
          sent.push(message);
          node(nodes, from).transport.send(message);
        }
      }
    }
    await waitFor('every message delivered', () => ids.every((id) => node(nodes, id).delivered.length === 6));
    for (const id of ids) {
      const { delivered, transport } = node(nodes, id);
      // Per sender, in the order sent, and equal to what was sent.
      for (const from of ids.filter((other) => other !== id)) {
        expect(delivered.filter((m) => m.from === from)).toEqual(
          sent.filter((m) => m.from === from && m.to === id),
        );
      }
      expect(transport.stats()).toMatchObject({
        sent: 6,
        received: 6,
        dropped: 0,
        rejected: 0,
        refusedConnections: 0,
        queued: 0,
      });
    }
  });

  it('listens on port 0 and reports the bound port', async () => {
    const a = makeNode(sockets, 'a', 0, {});
    expect(() => a.transport.address()).toThrow(RaftError);
    await a.transport.start();
    const { host, port } = a.transport.address();
    expect(host).toBe(HOST);
    expect(port).toBeGreaterThan(0);
    expect(
      a.logger.lines.some((line) => line.message === 'transport listening' && line.details.port === port),
    ).toBe(true);
  });

  it('reconnects to a peer whose transport closed and restarted on the same port', async () => {
    const nodes = await startCluster(sockets, ['a', 'b']);
    const a = node(nodes, 'a');
    const b = node(nodes, 'b');
    a.transport.send(requestVote('a', 'b', 1));
    await waitFor('b receives the first message', () => b.delivered.length === 1);

    await b.transport.stop();
    await waitFor('a sees the connection to b lost', () =>
      a.logger.lines.some((line) => line.message === 'connection to peer lost; reconnecting'),
    );
    a.transport.send(requestVote('a', 'b', 2)); // b is down: this waits in a's queue
    expect(a.transport.stats().queued).toBe(1);

    const peersOfB = { a: url(a.port) };
    const b2 = makeNode(sockets, 'b', b.port, peersOfB);
    await b2.transport.start();
    a.transport.send(requestVote('a', 'b', 3));
    await waitFor('the restarted b receives the queued and the new message', () => b2.delivered.length === 2);
    expect(b2.delivered.map((m) => (m.type === 'RequestVote' ? m.rpcId : -1))).toEqual([2, 3]);

    // And the other way: the new b connects to a, whose inbound from the old b is gone.
    b2.transport.send(requestVote('b', 'a', 1));
    await waitFor('a receives from the restarted b', () => a.delivered.length === 1);
    expect(a.delivered[0]).toEqual(requestVote('b', 'a', 1));
    expect(a.transport.stats()).toMatchObject({ sent: 3, dropped: 0, queued: 0 });
    // Per peer, in frames and bytes: a's three frames went to b, b's one came back.
    const frameBytes = Buffer.byteLength(JSON.stringify(requestVote('a', 'b', 3)));
    expect(a.transport.stats().peers).toEqual({
      b: { sentFrames: 3, sentBytes: 3 * frameBytes, receivedFrames: 1, receivedBytes: frameBytes },
    });
    expect(b2.transport.stats().peers.a).toMatchObject({ sentFrames: 1, receivedFrames: 2 });
  });

  it('bounds the queue for an unreachable peer, drops the oldest and counts them', async () => {
    const bPort = await freePort();
    const a = makeNode(sockets, 'a', 0, { b: url(bPort) }, { queueLimit: 5 });
    await a.transport.start();
    for (let rpcId = 1; rpcId <= 8; rpcId++) a.transport.send(requestVote('a', 'b', rpcId));
    expect(a.transport.stats()).toMatchObject({ sent: 0, dropped: 3, queued: 5 });
    await sleep(150); // a few failed connection attempts: nothing more is lost
    expect(a.transport.stats()).toMatchObject({ sent: 0, dropped: 3, queued: 5 });
    expect(a.logger.warnings().filter((m) => m === 'cannot reach peer; retrying')).toHaveLength(1);

    const b = makeNode(sockets, 'b', bPort, { a: url(a.transport.address().port) });
    await b.transport.start();
    await waitFor('b receives the queued messages', () => b.delivered.length === 5);
    await sleep(50);
    expect(b.delivered.map((m) => (m.type === 'RequestVote' ? m.rpcId : -1))).toEqual([4, 5, 6, 7, 8]);
    expect(a.transport.stats()).toMatchObject({ sent: 5, dropped: 3, queued: 0 });
  });

  it('holds frames in the bounded queue while the peer does not read (backpressure)', async () => {
    // A peer that authenticates properly, then stops reading its socket.
    const slow = new WebSocketServer({ host: HOST, port: 0, perMessageDeflate: false });
    sockets.onCleanup(() => new Promise<void>((resolve) => slow.close(() => resolve())));
    await once(slow, 'listening');
    let framesRead = 0;
    let paused: WebSocket | undefined;
    slow.on('connection', (socket: WebSocket) => {
      sockets.trackSocket(socket);
      const handshake = new ServerHandshake('b', SECRET, (id) => id === 'a');
      socket.on('message', (data: Buffer) => {
        if (handshake.peer !== undefined) {
          framesRead += 1;
          return;
        }
        const step = handshake.onHello(data.toString('utf8'));
        if (step.ok && step.reply !== undefined) socket.send(step.reply);
        socket.pause();
        paused = socket;
      });
      socket.send(handshake.challenge());
    });
    const address = slow.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const a = makeNode(sockets, 'a', 0, { b: url(address.port) }, { queueLimit: 10 });
    await a.transport.start();
    await waitFor('a authenticates to the slow peer', () => paused !== undefined);
    await sleep(20);

    const bulk = 'x'.repeat(64 * 1024);
    const total = 300; // ~19 MiB: more than the kernel's socket buffers hold
    for (let rpcId = 1; rpcId <= total; rpcId++) a.transport.send(heartbeat('a', 'b', rpcId, [bulk]));
    const backedUp = a.transport.stats();
    expect(backedUp.queued).toBe(10);
    expect(backedUp.sent).toBeLessThan(total - 10);
    expect(backedUp.dropped).toBe(total - backedUp.sent - 10);

    paused?.resume();
    await waitFor('the queue drains once the peer reads again', () => a.transport.stats().queued === 0, 5000);
    const drained = a.transport.stats();
    expect(drained.sent).toBe(backedUp.sent + 10);
    await waitFor('the peer reads every frame sent', () => framesRead === drained.sent, 5000);
  });

  it('drops an outbound message larger than maxFrameBytes, and the link keeps working', async () => {
    const nodes = await startCluster(sockets, ['a', 'b'], { maxFrameBytes: 4096 });
    const a = node(nodes, 'a');
    const b = node(nodes, 'b');
    a.transport.send(heartbeat('a', 'b', 1, ['x'.repeat(5000)]));
    expect(a.transport.stats().dropped).toBe(1);
    expect(a.logger.warnings()).toContain('dropped an outbound message larger than maxFrameBytes');
    a.transport.send(heartbeat('a', 'b', 2, ['x'.repeat(1000)]));
    await waitFor('b receives the message that fits', () => b.delivered.length === 1);
    expect(b.delivered[0]).toMatchObject({ rpcId: 2 });
    expect(b.transport.stats().rejected).toBe(0);
  });

  it('drops, without sending, messages it would only get refused for', async () => {
    const nodes = await startCluster(sockets, ['a', 'b']);
    const a = node(nodes, 'a');
    const b = node(nodes, 'b');
    a.transport.send(requestVote('a', 'z', 1)); // not a peer
    a.transport.send(requestVote('b', 'a', 2)); // not from this node
    a.transport.send({ ...requestVote('a', 'b', 3), term: -1 }); // not a valid RaftMessage
    a.transport.send(heartbeat('a', 'b', 4, [undefined])); // a command that is not a JSON value
    a.transport.send(requestVote('a', 'b', 5));
    await waitFor('b receives the valid message', () => b.delivered.length === 1);
    expect(b.delivered[0]).toEqual(requestVote('a', 'b', 5));
    expect(a.transport.stats()).toMatchObject({ sent: 1, dropped: 4 });
    expect(b.transport.stats().rejected).toBe(0);
  });

  it('never puts the secret on the wire (every byte captured, both directions)', async () => {
    const [aPort, bPort] = [await freePort(), await freePort()];
    const toA = await capturingProxy(sockets, aPort);
    const toB = await capturingProxy(sockets, bPort);
    const a = makeNode(sockets, 'a', aPort, { b: url(toB.port) });
    const b = makeNode(sockets, 'b', bPort, { a: url(toA.port) });
    await Promise.all([a.transport.start(), b.transport.start()]);
    a.transport.send(heartbeat('a', 'b', 1, ['payload-from-a']));
    b.transport.send(heartbeat('b', 'a', 1, ['payload-from-b']));
    await waitFor('both deliver', () => a.delivered.length === 1 && b.delivered.length === 1);
    await Promise.all([a.transport.stop(), b.transport.stop()]);

    const connections = [...toA.connections(), ...toB.connections()];
    expect(connections).toHaveLength(2);
    const frames: string[] = [];
    const wire: Buffer[] = [];
    for (const { upstream, downstream } of connections) {
      wire.push(upstream, downstream);
      for (const direction of [upstream, downstream]) {
        const { head, payloads } = decodeWebSocketStream(direction);
        frames.push(head, ...payloads.map((payload) => payload.toString('latin1')));
      }
    }
    const text = [...frames, ...wire.map((bytes) => bytes.toString('latin1'))].join('\n');
    // The capture saw both handshakes and both messages, decoded...
    for (const seen of [
      '"kind":"challenge"',
      '"kind":"hello"',
      '"kind":"welcome"',
      'payload-from-a',
      'payload-from-b',
    ]) {
      expect(frames.filter((frame) => frame.includes(seen))).toHaveLength(seen.startsWith('"kind"') ? 2 : 1);
    }
    // ...and no form of the secret, in any frame or anywhere in the raw bytes.
    const secret = Buffer.from(SECRET, 'utf8');
    for (const form of [
      SECRET,
      secret.toString('hex'),
      secret.toString('base64'),
      secret.toString('base64url'),
      createHash('sha256').update(SECRET).digest('hex'),
      createHash('sha256').update(SECRET).digest('base64url'),
    ]) {
      expect(text.includes(form)).toBe(false);
    }
  });

  it('logs through pino as structured JSON, and never logs the secret', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = pino({ level: 'info' }, sink);
    const nodes = await startCluster(sockets, ['a', 'b'], { logger });
    node(nodes, 'a').transport.send(requestVote('a', 'b', 1));
    await waitFor('b receives', () => node(nodes, 'b').delivered.length === 1);
    const stranger = await rawClient(sockets, url(node(nodes, 'a').port));
    await stranger.next();
    stranger.send('{"kind":"hello"}');
    await within(stranger.closed, 2000, 'the refusal');
    await waitFor('the refusal is logged', () =>
      lines.some((line) => line.includes('authentication failed')),
    );
    const records = lines.map((line) => JSON.parse(line) as { msg: string; level: number });
    expect(records.map((record) => record.msg)).toEqual(
      expect.arrayContaining([
        'transport listening',
        'peer connected (outbound)',
        'peer connected (inbound)',
      ]),
    );
    expect(records).toContainEqual(
      expect.objectContaining({ msg: 'refused a connection: authentication failed', level: 40 }),
    );
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('refuses bad options with a ConfigError naming the option', () => {
    const base = {
      id: 'a',
      listen: { host: HOST, port: 0 },
      peers: { b: 'ws://127.0.0.1:1' },
      secret: SECRET,
    };
    expect(() => createWsTransport({ ...base, secret: 'short' })).toThrow(/secret must be/);
    expect(() => createWsTransport({ ...base, peers: { a: 'ws://127.0.0.1:1' } })).toThrow(
      /peers must list the other nodes/,
    );
    expect(() => createWsTransport({ ...base, peers: { b: 'http://127.0.0.1:1' } })).toThrow(
      /peers.b must be a ws/,
    );
    expect(() => createWsTransport({ ...base, maxFrameBytes: 0 })).toThrow(/maxFrameBytes/);
    expect(() => createWsTransport({ ...base, backoff: { initialMs: 100, maxMs: 50 } })).toThrow(ConfigError);
    expect(() => createWsTransport({ ...base, upgradeTimeoutMs: 0 })).toThrow(
      new ConfigError('upgradeTimeoutMs must be an integer in [1, 2147483647], got 0'),
    );
    expect(() => createWsTransport({ ...base, handshakeTimeoutMs: 2 ** 31 })).toThrow(/^handshakeTimeoutMs/);
    expect(() => createWsTransport({ ...base, maxPendingConnections: 0.5 })).toThrow(
      /^maxPendingConnections must be an integer/,
    );
  });

  it('close() while start() is still binding: start resolves and nothing stays bound', async () => {
    const port = await freePort();
    const a = makeNode(sockets, 'a', port, { b: 'ws://127.0.0.1:1' });
    const starting = a.transport.start();
    await a.transport.stop();
    await starting;
    // The port is free again: another server can bind it.
    const again = makeNode(sockets, 'z', port, {});
    await again.transport.start();
    expect(again.transport.address().port).toBe(port);
  });

  it('after close, drops what is sent and cannot start again', async () => {
    const a = makeNode(sockets, 'a', 0, { b: 'ws://127.0.0.1:1' });
    await a.transport.start();
    await a.transport.stop();
    a.transport.send(requestVote('a', 'b', 1));
    expect(a.transport.stats()).toMatchObject({ sent: 0, dropped: 1, queued: 0 });
    await expect(a.transport.start()).rejects.toThrow(/start\(\) runs once/);
  });
});
