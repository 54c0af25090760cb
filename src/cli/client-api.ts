/**
 * A node's HTTP API: the replicated key/value store (`/kv/...`, src/kv/kv-http.ts), the
 * node's status and its Prometheus metrics, for clients, operators and tests; and, for the
 * visualizer, control endpoints that cut the node's links. JSON in and out; every error is
 * a JSON body `{error, message}` whose message says what to do. Routes and status codes:
 * docs/kv.md and docs/node.md.
 *
 * Browsers: pages served from loopback may call it (CORS), pages from elsewhere may not (their
 * preflights and key/value requests get 403), so a web site the user visits cannot drive a
 * node on their machine.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { NodeId } from '../../machines/index.js';
import type { RaftNode } from '../api/raft-node.js';
import type { AdminNode } from './admin-api.js';
import { ADMIN_ROUTES, serveAdmin } from './admin-api.js';
import { NodeStoppedError } from '../errors.js';
import { inspectToken, presentedToken, tokenMatches } from '../inspect/inspect-token.js';
import type { KvOperations } from '../kv/kv-http.js';
import { serveKv } from '../kv/kv-http.js';
import { HttpRefusal, readJsonBody, refuse, reply } from '../kv/kv-http-json.js';
import type { KvMetrics } from '../kv/kv-metrics.js';
import type { HttpLimits } from '../net/http-limits.js';
import { applyHttpLimits } from '../net/http-limits.js';
import { isLoopbackHost, isLoopbackOrigin } from '../net/loopback.js';
import type { BlockRequest } from '../transport/blocked-peers.js';
import type { WsTransport } from '../transport/ws-transport.js';

export interface ClientApiOptions {
  /** Largest request body accepted, in bytes; a larger one gets 413. */
  readonly maxBodyBytes: number;
  /** Other nodes' client API addresses (id -> host:port), so a 307 can send a client to the leader. */
  readonly peerClients: Readonly<Record<NodeId, string>>;
  /** What `GET /metrics` serves, and where the key/value routes count and time requests. */
  readonly metrics: KvMetrics;
  /** Connection limits; default CLIENT_HTTP_LIMITS. */
  readonly limits?: HttpLimits;
  /** The control and admin endpoints (`POST /control/block`, `/admin/...`); without this they answer 404. */
  readonly control?: ControlOptions;
}

export interface ControlOptions {
  /** What `/control/block` acts on. */
  readonly transport: Pick<WsTransport, 'setBlocked' | 'blocked'>;
  /** What the `/admin/...` routes act on (leadership transfer, membership); without it they answer 404. */
  readonly admin?: AdminNode;
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

/** The routes besides `/kv/...`, with their one method. */
const ROUTES: Readonly<Record<string, string>> = {
  '/status': 'GET',
  '/metrics': 'GET',
  '/control/block': 'POST',
};

const EVERY_ROUTE = `use GET, PUT or DELETE /kv/<key>, POST /kv/<key>/append, GET /status, GET /metrics or ${ADMIN_ROUTES}`;

export function createClientApi(
  node: Pick<RaftNode, 'status'>,
  service: KvOperations,
  options: ClientApiOptions,
): Server {
  const server = createServer((request, response) => {
    if (allowOrigin(request, response)) return;
    route(node, service, options, request, response).catch((error: unknown) => {
      if (error instanceof HttpRefusal) return refuse(response, error);
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
  node: Pick<RaftNode, 'status'>,
  service: KvOperations,
  options: ClientApiOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  // The path as sent: a key's percent-encoding matters, and `..` must not be resolved.
  const target = request.url ?? '/';
  const at = target.indexOf('?');
  const path = at === -1 ? target : target.slice(0, at);
  const query = at === -1 ? '' : target.slice(at + 1);
  if (path === '/kv' || path.startsWith('/kv/')) {
    refuseForeignPage(request);
    return serveKv(request, response, path, query, {
      service,
      metrics: options.metrics,
      maxBodyBytes: options.maxBodyBytes,
      peerClients: options.peerClients,
    });
  }
  const admin = options.control?.admin;
  if (path.startsWith('/admin/') && admin !== undefined) {
    refuseForeignPage(request);
    authorizeControl(options.control!, request);
    return serveAdmin(admin, request, response, path, {
      maxBodyBytes: options.maxBodyBytes,
      peerClients: options.peerClients,
    });
  }
  const served = Object.hasOwn(ROUTES, path) && (options.control !== undefined || path !== '/control/block');
  const method = served ? ROUTES[path] : undefined;
  if (method === undefined) throw new HttpRefusal(404, { error: 'NotFound', message: EVERY_ROUTE });
  if (request.method !== method) {
    throw new HttpRefusal(
      405,
      { error: 'MethodNotAllowed', message: `use ${method} ${path}` },
      { allow: method },
    );
  }
  if (path === '/status') {
    let status;
    try {
      status = node.status();
    } catch (error) {
      // Not started yet, or stopped.
      if (error instanceof NodeStoppedError) {
        throw new HttpRefusal(503, { error: 'Stopped', message: error.message });
      }
      throw error;
    }
    // A failed node answers, but not as healthy: a load balancer's check takes it out.
    return reply(response, status.failure === null ? 200 : 503, status);
  }
  if (path === '/metrics') {
    const text = await options.metrics.text();
    response.writeHead(200, { 'content-type': options.metrics.contentType });
    return void response.end(text);
  }
  return block(options.control!, request, response, options.maxBodyBytes);
}

/**
 * A page of another site may send a simple request (a GET, or a POST without a JSON type)
 * without asking first: the key/value routes refuse it, as CORS refuses its preflights.
 */
function refuseForeignPage(request: IncomingMessage): void {
  const origin = request.headers.origin;
  if (origin === undefined || isLoopbackOrigin(origin)) return;
  throw new HttpRefusal(403, {
    error: 'Forbidden',
    message: `a page from ${origin} may not call this node: serve it from 127.0.0.1 or localhost`,
  });
}

/** `POST /control/block {"peers": [...], "outbound"?: [...], "inbound"?: [...]}`: sets the blocked peers. */
async function block(
  control: ControlOptions,
  request: IncomingMessage,
  response: ServerResponse,
  maxBytes: number,
): Promise<void> {
  authorizeControl(control, request);
  const body = await readJsonBody(request, { maxBytes, shape: '{"peers": [...]}' });
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
  response.setHeader('access-control-allow-methods', 'GET, PUT, POST, DELETE');
  response.setHeader('access-control-allow-headers', 'content-type, authorization');
  response.setHeader('access-control-max-age', '600');
  response.writeHead(204).end();
  return true;
}
