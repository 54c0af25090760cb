/**
 * Shared pieces for the transport tests: real sockets on 127.0.0.1, every transport and raw
 * socket registered for cleanup, and a raw client that speaks the handshake (with whatever
 * secret and id a test gives it) so tests can act as a peer, honest or not.
 */
import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import type { RaftMessage } from '../../machines/index.js';
import { ClientHandshake } from '../../src/transport/handshake.js';
import type { WsTransport } from '../../src/transport/ws-transport.js';
import { createWsTransport } from '../../src/transport/ws-transport.js';
import type { WsTransportOptions } from '../../src/transport/options.js';

export const SECRET = 'correct horse battery staple 42';
export const HOST = '127.0.0.1';

/** Test-sized reconnect delays: a restarted peer is found again within ~100 ms. */
export const FAST_BACKOFF = { initialMs: 20, maxMs: 100 };

export interface LogLine {
  readonly level: 'info' | 'warn';
  readonly message: string;
  readonly details: Record<string, unknown>;
}

export class CapturingLogger {
  readonly lines: LogLine[] = [];
  info(details: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'info', message, details });
  }
  warn(details: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'warn', message, details });
  }
  warnings(): string[] {
    return this.lines.filter((line) => line.level === 'warn').map((line) => line.message);
  }
}

/** A transport under test, with what it delivered and what it logged. */
export interface TestNode {
  readonly id: string;
  readonly transport: WsTransport;
  readonly delivered: RaftMessage[];
  readonly logger: CapturingLogger;
  readonly port: number;
}

/** Everything a test opened; `cleanup()` (in afterEach) closes it all. */
export class Sockets {
  readonly #transports = new Set<WsTransport>();
  readonly #closers: (() => Promise<void> | void)[] = [];

  track(transport: WsTransport): WsTransport {
    this.#transports.add(transport);
    return transport;
  }

  onCleanup(closer: () => Promise<void> | void): void {
    this.#closers.push(closer);
  }

  trackSocket(socket: WebSocket): WebSocket {
    this.onCleanup(() => {
      if (socket.readyState !== WebSocket.CLOSED) socket.terminate();
    });
    return socket;
  }

  async cleanup(): Promise<void> {
    const closing = [...this.#transports].map((transport) => transport.stop());
    this.#transports.clear();
    for (const closer of this.#closers.splice(0)) closing.push(Promise.resolve(closer()));
    await Promise.all(closing);
  }
}

/** A port that was free a moment ago (bound on port 0, then released). */
/**
 * A port free on 127.0.0.1 now, for a process that binds it later. Chosen below Linux's
 * ephemeral range (32768 and up), where the OS picks source ports for outgoing connections:
 * a port from port 0 is in that range, and a peer's connect could take it before the node
 * binds it (seen under load: a node failing to bind its client port).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = randomInt(PORT_BASE, PORT_BASE + PORTS_PER_WORKER);
    // Not bound until its node starts: without this, two nodes could be handed one port.
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${PORT_BASE}-${PORT_BASE + PORTS_PER_WORKER - 1} after 100 tries`);
}

/** Each vitest worker draws from its own 1,500 ports, so test files running at once never share one. */
const PORTS_PER_WORKER = 1500;
const PORT_BASE = 20_000 + (Number(process.env.VITEST_POOL_ID ?? 0) % 8) * PORTS_PER_WORKER;

/** Ports this process handed out; each goes to one node only. */
const handedOut = new Set<number>();

async function canBind(port: number): Promise<boolean> {
  const server = createServer();
  server.listen(port, HOST);
  try {
    await once(server, 'listening');
  } catch {
    return false; // taken
  }
  server.close();
  await once(server, 'close');
  return true;
}

export function url(port: number): string {
  return `ws://${HOST}:${port}`;
}

/** Creates (and tracks) a transport on `port` that records what it delivers; not started. */
export function makeNode(
  sockets: Sockets,
  id: string,
  port: number,
  peers: Record<string, string>,
  overrides: Partial<WsTransportOptions> = {},
): TestNode {
  const logger = new CapturingLogger();
  const transport = sockets.track(
    createWsTransport({
      id,
      listen: { host: HOST, port },
      peers,
      secret: SECRET,
      backoff: FAST_BACKOFF,
      logger,
      ...overrides,
    }),
  );
  const delivered: RaftMessage[] = [];
  transport.listen((message) => delivered.push(message));
  return { id, transport, delivered, logger, port };
}

/** A started cluster: every node lists every other one as a peer. */
export async function startCluster(
  sockets: Sockets,
  ids: readonly string[],
  overrides: Partial<WsTransportOptions> = {},
): Promise<Map<string, TestNode>> {
  const ports = new Map<string, number>();
  for (const id of ids) ports.set(id, await freePort());
  const nodes = new Map<string, TestNode>();
  for (const id of ids) {
    const peers = Object.fromEntries(ids.filter((p) => p !== id).map((p) => [p, url(ports.get(p) ?? 0)]));
    nodes.set(id, makeNode(sockets, id, ports.get(id) ?? 0, peers, overrides));
  }
  await Promise.all([...nodes.values()].map((node) => node.transport.start()));
  return nodes;
}

export function node(nodes: Map<string, TestNode>, id: string): TestNode {
  const found = nodes.get(id);
  if (found === undefined) throw new Error(`no node ${id}`);
  return found;
}

/** Polls until `check` holds (real time); fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** `promise`, or a failure naming `what` if it takes longer than `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function requestVote(from: string, to: string, rpcId: number): RaftMessage {
  return { type: 'RequestVote', from, to, term: 3, rpcId, lastLogIndex: 7, lastLogTerm: 2 };
}

export function heartbeat(from: string, to: string, rpcId: number, commands: unknown[] = []): RaftMessage {
  return {
    type: 'AppendEntries',
    from,
    to,
    term: 3,
    rpcId,
    prevLogIndex: 0,
    prevLogTerm: 0,
    entries: commands.map((command) => ({ term: 3, command })),
    leaderCommit: 0,
  };
}

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

/**
 * A raw WebSocket client, listening from the moment it is made (so no frame or close can
 * slip by before a test looks): what it received, in order, and how it closed.
 */
export class RawClient {
  readonly socket: WebSocket;
  readonly closed: Promise<Closed>;
  readonly #inbox: string[] = [];
  readonly #waiting: { resolve: (text: string) => void; reject: (error: Error) => void }[] = [];
  #closedWith: Closed | undefined;

  constructor(target: string) {
    this.socket = new WebSocket(target, { perMessageDeflate: false });
    this.socket.on('error', () => {});
    this.socket.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      const waiter = this.#waiting.shift();
      if (waiter === undefined) this.#inbox.push(text);
      else waiter.resolve(text);
    });
    this.closed = new Promise((resolve) => {
      this.socket.once('close', (code: number, reason: Buffer) => {
        this.#closedWith = { code, reason: reason.toString('utf8') };
        for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#closedError());
        resolve(this.#closedWith);
      });
    });
  }

  /** The next message received, as text; rejects if the connection closed first. */
  next(): Promise<string> {
    const text = this.#inbox.shift();
    if (text !== undefined) return Promise.resolve(text);
    if (this.#closedWith !== undefined) return Promise.reject(this.#closedError());
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  send(data: string | Buffer, binary = false): void {
    this.socket.send(data, { binary });
  }

  #closedError(): Error {
    return new Error(`closed: ${this.#closedWith?.code} ${this.#closedWith?.reason}`);
  }
}

/** Opens a raw (tracked) client and waits until it is open. */
export async function rawClient(sockets: Sockets, target: string): Promise<RawClient> {
  const client = new RawClient(target);
  sockets.trackSocket(client.socket);
  await once(client.socket, 'open');
  return client;
}

/**
 * A raw client that completes the handshake as `id` towards `to`, with `secret`: resolves
 * with the authenticated client (or rejects if the server refused it).
 */
export async function rawPeer(
  sockets: Sockets,
  target: string,
  identity: { id: string; to: string; secret?: string },
): Promise<RawClient> {
  const client = await rawClient(sockets, target);
  const handshake = new ClientHandshake(identity.id, identity.to, identity.secret ?? SECRET);
  const challenge = handshake.onChallenge(await client.next());
  if (!challenge.ok || challenge.reply === undefined) throw new Error('bad challenge');
  client.send(challenge.reply);
  const welcome = handshake.onWelcome(await client.next());
  if (!welcome.ok) throw new Error(welcome.why);
  return client;
}

/** A raw TCP connection (no HTTP, no WebSocket) and when the server closed it. */
export interface RawTcp {
  readonly socket: Socket;
  /** Milliseconds from connecting until the connection closed. */
  readonly closed: Promise<number>;
  /** Everything the server sent so far. */
  received(): string;
}

/**
 * Opens a tracked TCP connection to `port` and, once connected, writes `send` (if any) and
 * nothing more. The socket keeps reading, or it would never see the server's FIN.
 */
export async function rawTcp(sockets: Sockets, port: number, send?: string): Promise<RawTcp> {
  const started = performance.now();
  const socket = connect(port, HOST);
  sockets.onCleanup(() => void socket.destroy());
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => resolve(performance.now() - started)),
  );
  await once(socket, 'connect');
  if (send !== undefined) socket.write(send);
  return { socket, closed, received: () => received };
}

/** A TCP proxy to `targetPort` that records every byte, each direction apart: the wire as it is. */
export interface CapturingProxy {
  readonly port: number;
  /** Per TCP connection through the proxy: the bytes the client sent and the bytes it got. */
  connections(): { readonly upstream: Buffer; readonly downstream: Buffer }[];
}

export async function capturingProxy(sockets: Sockets, targetPort: number): Promise<CapturingProxy> {
  const connections: { upstream: Buffer[]; downstream: Buffer[] }[] = [];
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, HOST);
    const record = { upstream: [] as Buffer[], downstream: [] as Buffer[] };
    connections.push(record);
    for (const [from, to, chunks] of [
      [client, upstream, record.upstream],
      [upstream, client, record.downstream],
    ] as const) {
      open.add(from);
      from.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        to.write(chunk);
      });
      from.on('close', () => {
        open.delete(from);
        to.destroy();
      });
      from.on('error', () => to.destroy());
    }
  });
  server.listen(0, HOST);
  await once(server, 'listening');
  sockets.onCleanup(async () => {
    for (const socket of open) socket.destroy();
    server.close();
    await once(server, 'close');
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    connections: () =>
      connections.map((c) => ({
        upstream: Buffer.concat(c.upstream),
        downstream: Buffer.concat(c.downstream),
      })),
  };
}

/**
 * One direction of a captured WebSocket connection, decoded: the HTTP upgrade head, then
 * every frame's payload, unmasked (a client masks what it sends, so the raw bytes would hide
 * any text in them).
 */
export function decodeWebSocketStream(bytes: Buffer): { head: string; payloads: Buffer[] } {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) throw new Error('no HTTP upgrade in the capture');
  const head = bytes.subarray(0, end).toString('latin1');
  const payloads: Buffer[] = [];
  let at = end + 4;
  while (at + 2 <= bytes.length) {
    const second = bytes[at + 1] ?? 0;
    const masked = (second & 0x80) !== 0;
    let length = second & 0x7f;
    at += 2;
    if (length === 126) {
      length = bytes.readUInt16BE(at);
      at += 2;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(at));
      at += 8;
    }
    const mask = masked ? bytes.subarray(at, at + 4) : undefined;
    if (masked) at += 4;
    const payload = Buffer.from(bytes.subarray(at, at + length));
    if (mask !== undefined)
      for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i % 4] ?? 0);
    payloads.push(payload);
    at += length;
  }
  return { head, payloads };
}
