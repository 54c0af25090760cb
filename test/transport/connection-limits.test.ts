/**
 * Connections that never finish their request are bounded, over real sockets on 127.0.0.1:
 * `applyHttpLimits` on a plain `node:http` server (silent sockets, half a header, a trickled
 * body, an idle keep-alive, too many connections), then the transport's peer port (the
 * upgrade timeout, and the cap on unauthenticated connections while authenticated peers
 * keep working). Bounds are the configured timeouts plus generous slack for a busy machine;
 * the tests wait on close events, never a fixed time.
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, RaftError } from '../../src/errors.js';
import type { HttpLimits } from '../../src/net/http-limits.js';
import { applyHttpLimits, defaultCheckIntervalMs } from '../../src/net/http-limits.js';
import type { RawTcp } from './helpers.js';
import {
  HOST,
  Sockets,
  node,
  rawClient,
  rawTcp,
  requestVote,
  startCluster,
  url,
  waitFor,
  within,
} from './helpers.js';

const sockets = new Sockets();
afterEach(() => sockets.cleanup());

/** Room for a loaded 2-core CI machine on top of a timeout and its check interval. */
const SLACK_MS = 3000;
/** How long a test waits for closes at most before it fails (rather than hangs). */
const OVERALL_MS = 20_000;

const HALF_HEADER = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ';
const BURST_STARTS = 'refusing connections: too many unauthenticated connections (maxPendingConnections)';
const BURST_ENDS = 'stopped refusing connections over maxPendingConnections';
const HALF_BODY = 'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{"half":';

/** Opens `count` raw connections to `port`, each writing `send` (if any) and then nothing. */
function openMany(port: number, count: number, send?: string): Promise<RawTcp[]> {
  return Promise.all(Array.from({ length: count }, () => rawTcp(sockets, port, send)));
}

/** Waits until every connection closed; their lifetimes in ms. */
function allClosed(connections: readonly RawTcp[], what: string): Promise<number[]> {
  return within(Promise.all(connections.map((c) => c.closed)), OVERALL_MS, what);
}

/** A started `node:http` server with `limits` that answers a request once its body is in. */
async function limitedServer(limits: HttpLimits): Promise<{ port: number; dropped: () => number }> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on('end', () => response.end('ok'));
  });
  applyHttpLimits(server, limits);
  let dropped = 0;
  server.on('drop', () => (dropped += 1));
  server.listen(0, HOST);
  await once(server, 'listening');
  sockets.onCleanup(async () => {
    const closed = once(server, 'close');
    server.close();
    server.closeAllConnections();
    await closed;
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, dropped: () => dropped };
}

describe('applyHttpLimits', () => {
  const limits = { headersTimeoutMs: 300, requestTimeoutMs: 600, idleTimeoutMs: 300 };
  const checkMs = defaultCheckIntervalMs(limits);

  it('closes sockets that send nothing or half a header after headersTimeoutMs', async () => {
    const { port } = await limitedServer(limits);
    const silent = await openMany(port, 20);
    const halfHeader = await openMany(port, 20, HALF_HEADER);
    const lifetimes = await allClosed([...silent, ...halfHeader], 'every connection to close');
    for (const lifetime of lifetimes) {
      expect(lifetime).toBeGreaterThanOrEqual(limits.headersTimeoutMs - 5);
      expect(lifetime).toBeLessThan(limits.headersTimeoutMs + checkMs + SLACK_MS);
    }
    // Node's answer to a request that timed out, before it closes the socket.
    for (const c of [...silent, ...halfHeader]) expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a request whose body never completes after requestTimeoutMs', async () => {
    const { port } = await limitedServer(limits);
    const halfBody = await openMany(port, 10, HALF_BODY);
    for (const lifetime of await allClosed(halfBody, 'every connection to close')) {
      expect(lifetime).toBeGreaterThanOrEqual(limits.requestTimeoutMs - 5);
      expect(lifetime).toBeLessThan(limits.requestTimeoutMs + checkMs + SLACK_MS);
    }
  });

  it('closes a keep-alive connection idle after a request after idleTimeoutMs (Node 20 adds 1 s)', async () => {
    const { port } = await limitedServer(limits);
    const idle = await rawTcp(sockets, port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const [lifetime = 0] = await allClosed([idle], 'the idle connection to close');
    expect(idle.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(lifetime).toBeGreaterThanOrEqual(limits.idleTimeoutMs - 5);
    expect(lifetime).toBeLessThan(limits.idleTimeoutMs + 1000 + SLACK_MS);
  });

  it('destroys connections beyond maxConnections at once', async () => {
    const { port, dropped } = await limitedServer({
      headersTimeoutMs: 60_000,
      requestTimeoutMs: 60_000,
      idleTimeoutMs: 60_000,
      maxConnections: 3,
    });
    const held = await openMany(port, 3);
    const extra = await rawTcp(sockets, port);
    // Far sooner than any timeout: it was never served.
    const [lifetime = 0] = await allClosed([extra], 'the extra connection to be destroyed');
    expect(lifetime).toBeLessThan(SLACK_MS);
    expect(extra.received()).toBe('');
    expect(held.every((c) => !c.socket.closed)).toBe(true);
    await waitFor('the drop to be reported', () => dropped() === 1);
  });

  it('refuses bad limits with a ConfigError naming the limit, and a server already listening', async () => {
    const server = createServer();
    expect(() => applyHttpLimits(server, { ...limits, headersTimeoutMs: 0 })).toThrow(
      new ConfigError('headersTimeoutMs must be an integer in [1, 2147483647], got 0'),
    );
    expect(() => applyHttpLimits(server, { ...limits, requestTimeoutMs: 200 })).toThrow(
      /^requestTimeoutMs must be an integer in \[300, /,
    );
    expect(() => applyHttpLimits(server, { ...limits, idleTimeoutMs: 1.5 })).toThrow(/^idleTimeoutMs/);
    expect(() => applyHttpLimits(server, { ...limits, maxConnections: 0 })).toThrow(/^maxConnections/);
    expect(() => applyHttpLimits(server, { ...limits, checkIntervalMs: -1 })).toThrow(/^checkIntervalMs/);
    server.listen(0, HOST);
    await once(server, 'listening');
    sockets.onCleanup(() => void server.close());
    expect(() => applyHttpLimits(server, limits)).toThrow(RaftError);
    expect(() => applyHttpLimits(server, limits)).toThrow(/before listen\(\)/);
  });

  it('checks often enough that a timeout means what it says', () => {
    expect(defaultCheckIntervalMs({ headersTimeoutMs: 300, requestTimeoutMs: 600 })).toBe(75);
    expect(defaultCheckIntervalMs({ headersTimeoutMs: 60_000, requestTimeoutMs: 300_000 })).toBe(1000);
    expect(defaultCheckIntervalMs({ headersTimeoutMs: 1, requestTimeoutMs: 1 })).toBe(1);
  });
});

describe("the transport's peer port", () => {
  it('closes connections that never finish the HTTP upgrade after upgradeTimeoutMs', async () => {
    const upgradeTimeoutMs = 300;
    const nodes = await startCluster(sockets, ['a', 'b'], { upgradeTimeoutMs });
    const a = node(nodes, 'a');
    const b = node(nodes, 'b');
    const silent = await openMany(a.port, 16);
    const halfHeader = await openMany(a.port, 16, HALF_HEADER);
    const bound =
      upgradeTimeoutMs +
      defaultCheckIntervalMs({ headersTimeoutMs: upgradeTimeoutMs, requestTimeoutMs: upgradeTimeoutMs }) +
      SLACK_MS;
    for (const lifetime of await allClosed([...silent, ...halfHeader], 'every connection to close')) {
      expect(lifetime).toBeGreaterThanOrEqual(upgradeTimeoutMs - 5);
      expect(lifetime).toBeLessThan(bound);
    }
    // A plain HTTP request gets 426 and its connection closed.
    const plain = await fetch(`http://${HOST}:${a.port}/`);
    expect(plain.status).toBe(426);
    expect(plain.headers.get('connection')).toBe('close');
    await plain.text();
    // The peers were never affected.
    b.transport.send(requestVote('b', 'a', 1));
    a.transport.send(requestVote('a', 'b', 1));
    await waitFor('both deliver', () => a.delivered.length === 1 && b.delivered.length === 1);
    expect(a.transport.stats().refusedConnections).toBe(0);
  });

  it('refuses the connection beyond maxPendingConnections at once, logs the burst once, and authenticated peers keep working', async () => {
    const maxPendingConnections = 3;
    // Timeouts far beyond the test: the held connections stay pending until it ends.
    const nodes = await startCluster(sockets, ['a', 'b', 'c'], {
      maxPendingConnections,
      upgradeTimeoutMs: 60_000,
      handshakeTimeoutMs: 60_000,
    });
    const [a, b, c] = [node(nodes, 'a'), node(nodes, 'b'), node(nodes, 'c')];
    // b and c are authenticated to a (so they no longer count against the cap).
    b.transport.send(requestVote('b', 'a', 1));
    c.transport.send(requestVote('c', 'a', 1));
    await waitFor('a receives from b and c', () => a.delivered.length === 2);

    // One connection still sending its upgrade, two upgraded but silent in the handshake.
    const held = [await rawTcp(sockets, a.port, HALF_HEADER)];
    for (let i = 0; i < 2; i++) await (await rawClient(sockets, url(a.port))).next(); // the challenge
    // Connected after the held ones, so accepted after them: each is over the cap.
    const refused = await openMany(a.port, 4);
    for (const lifetime of await allClosed(refused, 'the connections over the cap to be destroyed')) {
      expect(lifetime).toBeLessThan(SLACK_MS); // not a timeout: those are a minute away
    }
    expect(refused.every((r) => r.received() === '')).toBe(true);
    expect(held.every((h) => !h.socket.closed)).toBe(true);
    expect(a.transport.stats().refusedConnections).toBe(4);
    const logged = (message: string) => a.logger.lines.filter((line) => line.message === message);
    expect(logged(BURST_STARTS)).toHaveLength(1);

    // The authenticated links are untouched, both ways.
    b.transport.send(requestVote('b', 'a', 2));
    c.transport.send(requestVote('c', 'a', 2));
    a.transport.send(requestVote('a', 'b', 2));
    await waitFor('the peers still deliver', () => a.delivered.length === 4 && b.delivered.length === 1);

    // Once the refusals stop, the burst is summed up in one more line.
    await waitFor('the end of the burst is logged', () => logged(BURST_ENDS).length === 1, 5000);
    expect(logged(BURST_ENDS)[0]?.details).toMatchObject({ refused: 4, maxPendingConnections });
    expect(logged(BURST_STARTS)).toHaveLength(1);

    // A closed pending connection frees its place (once a has seen it close: retry until then).
    held[0]?.socket.destroy();
    let admitted = false;
    const deadline = Date.now() + 5000;
    while (!admitted && Date.now() < deadline) {
      const next = await rawTcp(sockets, a.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      // A 426 (plain HTTP): served, so admitted. Destroyed unanswered: a just missed the close.
      await next.closed;
      admitted = next.received().startsWith('HTTP/1.1 426');
    }
    expect(admitted).toBe(true);
  });

  it('stop() cuts connections still sending their upgrade', async () => {
    const nodes = await startCluster(sockets, ['a'], { upgradeTimeoutMs: 60_000 });
    const a = node(nodes, 'a');
    const pending = [...(await openMany(a.port, 3)), ...(await openMany(a.port, 3, HALF_HEADER))];
    await within(a.transport.stop(), 5000, 'stop()');
    for (const lifetime of await allClosed(pending, 'every connection to close')) {
      expect(lifetime).toBeLessThan(SLACK_MS);
    }
  });
});
