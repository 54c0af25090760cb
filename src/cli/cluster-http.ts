/**
 * The supervisor's HTTP server: the visualizer page and the cluster API, on 127.0.0.1 only.
 * Because its API kills processes, it answers only requests addressed to it by a loopback
 * name (a DNS-rebinding page sends another Host) and refuses API calls from pages of other
 * origins than loopback ones (a form on any web site can POST to 127.0.0.1). Loopback pages
 * (the Vite dev server's, say) may call the API across origins.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../errors.js';
import { applyHttpLimits } from '../net/http-limits.js';
import { isLoopbackHost, isLoopbackOrigin } from '../net/loopback.js';
import { CLIENT_HTTP_LIMITS } from './client-api.js';
import type { ApiHandler } from './cluster-api.js';
import { sendJson } from './cluster-api.js';
import type { StaticHandler } from './static-server.js';

export function createClusterServer(api: ApiHandler, page: StaticHandler): Server {
  const server = createServer((request, response) => {
    handle(server, api, page, request, response).catch((error: unknown) => {
      if (response.headersSent) return void response.destroy();
      sendJson(response, 500, {
        error: 'Internal',
        message: `${error instanceof Error ? error.message : String(error)} (a bug: please report it)`,
      });
    });
  });
  applyHttpLimits(server, CLIENT_HTTP_LIMITS);
  return server;
}

async function handle(
  server: Server,
  api: ApiHandler,
  page: StaticHandler,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const port = (server.address() as AddressInfo).port;
  if (!addressedToUs(request.headers.host, port)) {
    return sendJson(response, 403, {
      error: 'ForbiddenHost',
      message: `this server answers only requests to http://127.0.0.1:${port}: open that address`,
    });
  }
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (path !== '/api' && !path.startsWith('/api/')) return page(request, response);
  const origin = request.headers.origin;
  if (origin !== undefined) {
    if (!isLoopbackOrigin(origin)) {
      return sendJson(response, 403, {
        error: 'ForbiddenOrigin',
        message: `pages from ${origin} may not use this cluster's API: open http://127.0.0.1:${port}/`,
      });
    }
    response.setHeader('access-control-allow-origin', origin);
    response.setHeader('vary', 'origin');
    if (request.method === 'OPTIONS') {
      response.writeHead(204, {
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'content-type, authorization',
      });
      return void response.end();
    }
  }
  return api(request, response);
}

/** The Host header names this server: a loopback name and its port. */
function addressedToUs(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const at = host.lastIndexOf(':');
  return at > 0 && host.slice(at + 1) === String(port) && isLoopbackHost(host.slice(0, at));
}

/** Where the server ended up listening, and whether that is the port asked for. */
export interface Listening {
  readonly url: string;
  readonly port: number;
  readonly fellBack: boolean;
}

/**
 * Listens on `host:port`; if that port is taken and `fallBack` is set, on a free port instead.
 * Rejects with a ConfigError naming the address otherwise.
 */
export async function listenOn(
  server: Server,
  host: string,
  port: number,
  fallBack: boolean,
): Promise<Listening> {
  try {
    await bind(server, host, port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!(fallBack && code === 'EADDRINUSE')) {
      throw new ConfigError(
        `cannot serve on ${host}:${port} (--http): ${error instanceof Error ? error.message : String(error)}; ` +
          'give another port, or leave --http out to use 8080 or a free one',
      );
    }
    await bind(server, host, 0);
  }
  const bound = (server.address() as AddressInfo).port;
  return { url: `http://${host}:${bound}`, port: bound, fellBack: bound !== port };
}

async function bind(server: Server, host: string, port: number): Promise<void> {
  server.listen(port, host);
  await once(server, 'listening');
}
