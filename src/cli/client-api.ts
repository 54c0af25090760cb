/**
 * A node's HTTP API for clients (and the multi-process tests): propose a command, read the
 * node's status, read what it applied; and, for the visualizer, control endpoints that cut
 * the node's links. JSON in and out; every error is a JSON body `{error, message}` whose
 * message says what to do. Routes and status codes: docs/node.md.
 *
 * Browsers: pages served from loopback may call it (CORS), pages from elsewhere may not, so
 * a web site the user visits cannot drive a node on their machine.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { NodeId } from '../../machines/index.js';
import { stringifyJson } from '../../machines/index.js';
import type { RaftNode } from '../api/raft-node.js';
import type { CommandLog } from '../app/command-log.js';
import {
  InvalidCommandError,
  NodeFailedError,
  NodeStoppedError,
  NotLeaderError,
  ProposalTimeoutError,
} from '../errors.js';
import { inspectToken, presentedToken, tokenMatches } from '../inspect/inspect-token.js';
import type { HttpLimits } from '../net/http-limits.js';
import { applyHttpLimits } from '../net/http-limits.js';
import { isLoopbackHost, isLoopbackOrigin } from '../net/loopback.js';
import type { BlockRequest } from '../transport/blocked-peers.js';
import type { WsTransport } from '../transport/ws-transport.js';

export interface ClientApiOptions {
  /** Largest request body accepted, in bytes; a larger one gets 413. */
  readonly maxBodyBytes: number;
  /** Other nodes' client API addresses (id -> host:port), so a 421 can name the leader's URL. */
  readonly peerClients: Readonly<Record<NodeId, string>>;
  /** Connection limits; default CLIENT_HTTP_LIMITS. */
  readonly limits?: HttpLimits;
  /** The control endpoints (`POST /control/block`); without this they answer 404. */
  readonly control?: ControlOptions;
}

export interface ControlOptions {
  /** What `/control/block` acts on. */
  readonly transport: Pick<WsTransport, 'setBlocked' | 'blocked'>;
  /**
   * The cluster secret: a request from another machine (or from a page of another origin)
   * must carry it, or its inspection token, as `Authorization: Bearer <it>`.
   */
  readonly secret: string;
}

/**
 * A client has 10 s to send its request's header and 30 s for the whole request (a 1 MiB
 * body on a slow link); an idle keep-alive connection goes after 5 s; at most 1024
 * connections at once, so sockets that never send a request cannot pile up.
 */
export const CLIENT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 5_000,
  maxConnections: 1024,
};

interface ErrorBody {
  readonly error: string;
  readonly message: string;
  readonly [more: string]: unknown;
}

/** A refusal decided before the node sees the request. */
class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
  }
}

const ROUTES: Readonly<Record<string, string>> = {
  '/status': 'GET',
  '/applied': 'GET',
  '/propose': 'POST',
  '/control/block': 'POST',
};

export function createClientApi(
  node: RaftNode<unknown, number>,
  log: CommandLog,
  options: ClientApiOptions,
): Server {
  const server = createServer((request, response) => {
    if (allowOrigin(request, response)) return;
    route(node, log, options, request, response).catch((error: unknown) => {
      if (error instanceof HttpRefusal) return reply(response, error.status, error.body);
      reply(response, 500, {
        error: 'Internal',
        message: `${error instanceof Error ? error.message : String(error)} (a bug: please report it)`,
      });
    });
  });
  applyHttpLimits(server, options.limits ?? CLIENT_HTTP_LIMITS);
  return server;
}

async function route(
  node: RaftNode<unknown, number>,
  log: CommandLog,
  options: ClientApiOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const method = path.startsWith('/control/') && options.control === undefined ? undefined : ROUTES[path];
  if (method === undefined) {
    throw new HttpRefusal(404, {
      error: 'NotFound',
      message: 'use POST /propose, GET /status or GET /applied',
    });
  }
  if (request.method !== method) {
    response.setHeader('allow', method);
    throw new HttpRefusal(405, { error: 'MethodNotAllowed', message: `use ${method} ${path}` });
  }
  if (path === '/status') {
    let status;
    try {
      status = node.status();
    } catch (error) {
      throw refusalFor(error, options.peerClients); // not started yet, or stopped
    }
    // A failed node answers, but not as healthy: a load balancer's check takes it out.
    return reply(response, status.failure === null ? 200 : 503, status);
  }
  if (path === '/applied') return reply(response, 200, { commands: log.commands });
  if (path === '/control/block') return block(options.control!, request, response, options.maxBodyBytes);

  const body = await readJsonBody(request, options.maxBodyBytes, '{"command": ...}');
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('command' in body)) {
    throw new HttpRefusal(400, {
      error: 'BadRequest',
      message: 'the body must be a JSON object {"command": ...}',
    });
  }
  try {
    return reply(response, 200, await node.propose(body.command));
  } catch (error) {
    throw refusalFor(error, options.peerClients);
  }
}

/** `POST /control/block {"peers": [...], "outbound"?: [...], "inbound"?: [...]}`: sets the blocked peers. */
async function block(
  control: ControlOptions,
  request: IncomingMessage,
  response: ServerResponse,
  maxBytes: number,
): Promise<void> {
  authorizeControl(control, request);
  const body = await readJsonBody(request, maxBytes, '{"peers": [...]}');
  const blockRequest = asBlockRequest(body);
  try {
    control.transport.setBlocked(blockRequest);
  } catch (error) {
    throw new HttpRefusal(400, { error: 'BadRequest', message: (error as Error).message });
  }
  reply(response, 200, control.transport.blocked());
}

/** Control is for this machine's users, or whoever holds the secret (or its inspection token). */
function authorizeControl(control: ControlOptions, request: IncomingMessage): void {
  const origin = request.headers.origin;
  const local =
    isLoopbackHost(request.socket.remoteAddress ?? '') && (origin === undefined || isLoopbackOrigin(origin));
  if (local || tokenMatches(presentedToken(request), [control.secret, inspectToken(control.secret)])) return;
  throw new HttpRefusal(401, {
    error: 'Unauthorized',
    message:
      'control endpoints answer requests from this machine only, or with the cluster secret ' +
      '(or its inspection token) as Authorization: Bearer <token>',
  });
}

function asBlockRequest(body: unknown): BlockRequest {
  const problem = new HttpRefusal(400, {
    error: 'BadRequest',
    message:
      'the body must be a JSON object {"peers": [ids]}, blocking both ways, with optional ' +
      '"outbound" and "inbound" lists for one direction; {"peers": []} unblocks all',
  });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw problem;
  const fields = body as Record<string, unknown>;
  const lists: Record<string, readonly string[]> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (key !== 'peers' && key !== 'outbound' && key !== 'inbound') throw problem;
    if (!Array.isArray(value) || !value.every((id) => typeof id === 'string')) throw problem;
    lists[key] = value as string[];
  }
  return lists;
}

/**
 * CORS for pages served from loopback (the visualizer): their requests may be read, and
 * their preflight is answered here (true: the request is done). Other origins get no CORS
 * headers, so their browser refuses the call.
 */
function allowOrigin(request: IncomingMessage, response: ServerResponse): boolean {
  const origin = request.headers.origin;
  const allowed = origin !== undefined && isLoopbackOrigin(origin);
  if (allowed) {
    response.setHeader('access-control-allow-origin', origin);
    response.setHeader('vary', 'origin');
  }
  if (request.method !== 'OPTIONS' || origin === undefined) return false;
  if (!allowed) {
    reply(response, 403, {
      error: 'Forbidden',
      message: `a page from ${origin} may not call this node: serve it from 127.0.0.1 or localhost`,
    });
    return true;
  }
  response.setHeader('access-control-allow-methods', 'GET, POST');
  response.setHeader('access-control-allow-headers', 'content-type, authorization');
  response.setHeader('access-control-max-age', '600');
  response.writeHead(204).end();
  return true;
}

/** The HTTP answer to a proposal's typed error; anything else stays a 500. */
function refusalFor(error: unknown, peerClients: Readonly<Record<NodeId, string>>): unknown {
  if (error instanceof InvalidCommandError) {
    return new HttpRefusal(400, { error: 'InvalidCommand', message: error.message });
  }
  if (error instanceof NotLeaderError) {
    const address = error.leaderHint === null ? undefined : peerClients[error.leaderHint];
    return new HttpRefusal(421, {
      error: 'NotLeader',
      leaderHint: error.leaderHint,
      leaderUrl: address === undefined ? null : `http://${address}/propose`,
      message: error.message,
    });
  }
  if (error instanceof ProposalTimeoutError)
    return new HttpRefusal(504, { error: 'Timeout', message: error.message });
  if (error instanceof NodeFailedError)
    return new HttpRefusal(503, { error: 'Failed', message: error.message });
  if (error instanceof NodeStoppedError)
    return new HttpRefusal(503, { error: 'Stopped', message: error.message });
  return error;
}

/** JSON types: application/json or any `+json` type; a request without a type is taken as JSON. */
function isJsonType(header: string | undefined): boolean {
  if (header === undefined) return true;
  const type = header.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

async function readJsonBody(request: IncomingMessage, maxBytes: number, shape: string): Promise<unknown> {
  if (!isJsonType(request.headers['content-type'])) {
    throw new HttpRefusal(415, {
      error: 'UnsupportedMediaType',
      message: `the body must be JSON: send content-type: application/json, not ${request.headers['content-type']}`,
    });
  }
  const tooLarge = new HttpRefusal(413, {
    error: 'PayloadTooLarge',
    message: `the body is over ${maxBytes} bytes (the node's maxCommandBytes and a margin): send a smaller command`,
  });
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw discardBody(request, tooLarge);
  const text = await new Promise<string>((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      request.off('data', onData);
      reject(discardBody(request, tooLarge));
    };
    request.on('data', onData);
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpRefusal(400, {
      error: 'BadRequest',
      message: `the body must be JSON ${shape}: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
}

/**
 * Reads and drops the rest of a refused body, so the client gets to read the answer instead
 * of a connection reset; the connection closes after the answer.
 */
function discardBody(request: IncomingMessage, refusal: HttpRefusal): HttpRefusal {
  request.resume();
  return refusal;
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return void response.destroy();
  response.writeHead(status, {
    'content-type': 'application/json',
    ...(status === 413 ? { connection: 'close' } : {}),
  });
  // Applied commands may be deeper than JSON.stringify can go (an older version's entries).
  response.end(stringifyJson(body));
}
