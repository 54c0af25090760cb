/**
 * The inspection feed server over real sockets on 127.0.0.1: real RaftNodes (real time,
 * memory storage), alone or two over the WebSocket transport, and `ws` clients reading the
 * feed. Waits are on what the feed says, with generous bounds (the machine is busy).
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { InspectableRaftNode } from '../../src/api/create-raft-node.js';
import { createRaftNode } from '../../src/api/create-raft-node.js';
import type { RaftNode } from '../../src/api/raft-node.js';
import { ConfigError } from '../../src/errors.js';
import type { FeedFrame } from '../../src/inspect/feed-protocol.js';
import { FEED_CLOSE_REFUSED, messageKey } from '../../src/inspect/feed-protocol.js';
import type { InspectionFeed } from '../../src/inspect/feed-server.js';
import { serveInspectionFeed } from '../../src/inspect/feed-server.js';
import type { InspectEvent } from '../../src/inspect/inspect-event.js';
import { inspectToken } from '../../src/inspect/inspect-token.js';
import type { Transport } from '../../src/node/providers.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { HOST, SECRET, Sockets, startCluster, waitFor } from '../transport/helpers.js';

const NO_PEERS: Transport = { listen: () => {}, send: () => {}, close: () => {} };
const FAST_TIMING = { heartbeatIntervalMs: 20, electionTimeoutMinMs: 60, electionTimeoutMaxMs: 120 };

const sockets = new Sockets();
const nodes: RaftNode[] = [];
const feeds: InspectionFeed[] = [];

afterEach(async () => {
  for (const feed of feeds.splice(0)) await feed.close();
  for (const node of nodes.splice(0)) await node.stop();
  await sockets.cleanup();
});

function singleNode(): RaftNode {
  const node = createRaftNode({
    id: 'a',
    peers: [],
    transport: NO_PEERS,
    storage: new MemoryStorage(),
    stateMachine: { apply: () => undefined, snapshot: () => '', restore: () => {} },
    timing: FAST_TIMING,
  });
  nodes.push(node);
  return node;
}

async function serve(node: RaftNode, options: Partial<Parameters<typeof serveInspectionFeed>[1]> = {}) {
  const feed = await serveInspectionFeed(node, { host: HOST, port: 0, ...options });
  feeds.push(feed);
  return feed;
}

/** A feed client and every frame it has read. */
interface Reader {
  readonly socket: WebSocket;
  readonly frames: FeedFrame[];
  readonly closed: Promise<{ code: number; reason: string }>;
}

function read(url: string, headers: Record<string, string> = {}): Reader {
  const socket = sockets.trackSocket(new WebSocket(url, { headers }));
  const frames: FeedFrame[] = [];
  socket.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString()) as FeedFrame));
  socket.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })),
  );
  return { socket, frames, closed };
}

type MessageEvent = Extract<InspectEvent, { type: 'message' }>;

const steps = (reader: Reader) => reader.frames.filter((f) => f.type === 'step');

describe('the inspection feed', () => {
  it('sends a hello, the node as it is, then its steps and timers', async () => {
    const node = singleNode();
    await node.start();
    const feed = await serve(node, { ids: ['a'] });
    expect(feed.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    const before = Date.now();
    const reader = read(feed.url);
    await waitFor('a step as leader', () => steps(reader).some((f) => f.summary.role === 'leader'), 20_000);
    const [hello, up] = reader.frames;
    expect(hello).toMatchObject({ type: 'feedHello', node: 'a', ids: ['a'] });
    expect(up).toMatchObject({ type: 'nodeUp', node: 'a', summary: { term: expect.any(Number) } });
    expect(hello!.at).toBeGreaterThanOrEqual(before - 1000); // wall time, not the node's clock
    await waitFor('a heartbeat timer', () =>
      reader.frames.some((f) => f.type === 'timer' && f.timer === 'heartbeatInterval' && f.deadline !== null),
    );
    const timer = reader.frames.find((f) => f.type === 'timer' && f.deadline !== null);
    // Deadlines on the wall clock too: a few timeouts from now, not performance.now()'s origin.
    expect(timer?.type === 'timer' && Math.abs(timer.deadline! - Date.now())).toBeLessThan(5_000);
  });

  it('a client that connects before the node starts gets nodeUp with its first step', async () => {
    const node = singleNode();
    const feed = await serve(node);
    const reader = read(feed.url);
    await waitFor('the hello', () => reader.frames.length === 1);
    await node.start();
    await waitFor('a step', () => steps(reader).length > 0, 10_000);
    // nodeUp, then the timers its start set (the election timer and the lease), then the step itself.
    const types = reader.frames.map((f) => f.type);
    expect(types.slice(0, 2)).toEqual(['feedHello', 'nodeUp']);
    expect(types.slice(2, types.indexOf('step'))).toEqual(['timer', 'timer']);
  });

  it('listens to the node only while a client is connected', async () => {
    const node = singleNode();
    await node.start();
    const feed = await serve(node);
    expect(node.listenerCount('step')).toBe(0);
    const reader = read(feed.url);
    await waitFor('a client', () => feed.stats().clients === 1);
    expect(node.listenerCount('step')).toBe(1);
    expect(node.listenerCount('received')).toBe(1);
    reader.socket.close();
    await waitFor('no client', () => feed.stats().clients === 0);
    expect(['step', 'timer', 'sent', 'received'].map((e) => node.listenerCount(e as 'step'))).toEqual([
      0, 0, 0, 0,
    ]);
  });

  it("shows messages sent and delivered under one id, and a blocked peer's as dropped", async () => {
    const cluster = await startCluster(sockets, ['a', 'b']);
    const served: InspectableRaftNode[] = [];
    for (const [id, { transport }] of cluster) {
      const node = createRaftNode({
        id,
        peers: [...cluster.keys()].filter((p) => p !== id),
        transport,
        storage: new MemoryStorage(),
        stateMachine: { apply: () => undefined, snapshot: () => '', restore: () => {} },
        timing: FAST_TIMING,
        inspectionFeed: { host: HOST, port: 0 },
      });
      nodes.push(node);
      served.push(node);
      await node.start();
    }
    const [a, b] = served.map((node) => read(node.feed!.url));
    const messages = (reader: Reader, phase: string) =>
      reader.frames.filter((f): f is MessageEvent => f.type === 'message' && f.phase === phase);
    await waitFor(
      'a message a sent that b received',
      () => messages(a!, 'sent').some((sent) => messages(b!, 'delivered').some((got) => got.id === sent.id)),
      20_000,
    );
    const sent = messages(a!, 'sent')[0]!;
    expect(sent.id).toBe(messageKey(sent.message));

    cluster.get('a')!.transport.setBlocked(['b']);
    await waitFor(
      'a message to b dropped',
      () => messages(a!, 'dropped').some((f) => f.reason === 'link blocked'),
      20_000,
    );
    expect(cluster.get('a')!.transport.stats().blocked).toBeGreaterThan(0);
  });

  it('refuses to serve off loopback without a secret, or on a port it cannot bind', async () => {
    const node = singleNode();
    await expect(serveInspectionFeed(node, { host: '0.0.0.0', port: 0 })).rejects.toThrow(ConfigError);
    await expect(serveInspectionFeed(node, { host: '0.0.0.0', port: 0 })).rejects.toThrow(
      /give it the cluster secret.*or bind it to 127\.0\.0\.1/,
    );
    await expect(serveInspectionFeed(node, { host: HOST, port: 0, secret: 'short' })).rejects.toThrow(
      /at least 16 characters/,
    );
    await expect(serveInspectionFeed(node, { host: HOST, port: 70_000 })).rejects.toThrow(
      /cannot serve the inspection feed on 127\.0\.0\.1:70000/,
    );
  });

  it('with a secret, admits only the right token (query or bearer header)', async () => {
    const node = singleNode();
    await node.start();
    const feed = await serve(node, { secret: SECRET });
    for (const wrong of [
      read(feed.url),
      read(`${feed.url}?token=${inspectToken('another secret, 16+ chars')}`),
    ]) {
      expect(await wrong.closed).toMatchObject({ code: FEED_CLOSE_REFUSED, reason: /token is required/ });
      expect(wrong.frames).toEqual([]);
    }
    const byQuery = read(`${feed.url}?token=${inspectToken(SECRET)}`);
    const byHeader = read(feed.url, { authorization: `Bearer ${inspectToken(SECRET)}` });
    await waitFor('both admitted', () => byQuery.frames.length >= 2 && byHeader.frames.length >= 2);
    expect(byQuery.frames[0]).toMatchObject({ type: 'feedHello' });
  });

  it('refuses a page of another origin when it has no token', async () => {
    const node = singleNode();
    const feed = await serve(node);
    const foreign = read(feed.url, { origin: 'https://example.com' });
    expect(await foreign.closed).toMatchObject({ code: FEED_CLOSE_REFUSED, reason: /example\.com/ });
    const local = read(feed.url, { origin: 'http://localhost:5173' });
    await waitFor('the local page admitted', () => local.frames.length === 1);
  });

  it('drops a client that stops reading, and never holds the node up', async () => {
    const node = singleNode();
    await node.start();
    await waitFor('a leader', () => node.status().role === 'leader', 20_000);
    const feed = await serve(node, { maxBufferedBytes: 64 * 1024 });
    const fast = read(feed.url);
    // A client that upgrades and then never reads a byte.
    const slow = connect(Number(new URL(feed.url).port), HOST);
    sockets.onCleanup(() => void slow.destroy());
    slow.on('error', () => {});
    await once(slow, 'connect');
    slow.write(
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    slow.pause();
    await waitFor('two clients', () => feed.stats().clients === 2);
    // Each proposal is a step; each step's frame carries up to 256 log terms (~1 KB).
    let proposed = 0;
    while (feed.stats().dropped === 0 && proposed < 200_000) {
      for (let i = 0; i < 500; i++) node.submit(++proposed);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(feed.stats()).toEqual({ clients: 1, dropped: 1 });
    // The node went on; the client that reads still gets everything.
    await waitFor('the last proposal applied', () => node.status().appliedIndex >= proposed, 60_000);
    await waitFor(
      'the reader to see the last step',
      () => steps(fast).some((f) => f.summary.lastLogIndex === node.status().lastLogIndex),
      60_000,
    );
    expect(fast.socket.readyState).toBe(WebSocket.OPEN);
  });
});
