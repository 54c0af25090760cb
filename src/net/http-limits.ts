/**
 * Time limits for a `node:http` server's connections before they have sent a request, so
 * that connections which never finish one (a silent socket, half a header, a trickled
 * body) cannot pile up. Shared by the transport's peer port and the HTTP client API.
 *
 * Node enforces `headersTimeout` and `requestTimeout` only when it checks its connections,
 * every `connectionsCheckingInterval` (30 s by default): with Node's default a socket
 * outlives a short timeout by up to 30 s. Measured on Node 20.20: a socket that never sends
 * a byte counts from when it was accepted, and is answered 408 and closed at the first
 * check after `headersTimeout`, so no timer per socket is needed.
 */
import type { Server } from 'node:http';
import { ConfigError, RaftError } from '../errors.js';

export interface HttpLimits {
  /** A connection must send a complete request header within this (a silent one included). */
  readonly headersTimeoutMs: number;
  /** A connection must send its whole request (header and body) within this; >= headersTimeoutMs. */
  readonly requestTimeoutMs: number;
  /** A keep-alive connection idle between requests is closed after this (Node 20 adds 1 s). */
  readonly idleTimeoutMs: number;
  /** At most this many connections at once; Node destroys any beyond it (and emits 'drop'). */
  readonly maxConnections?: number;
  /**
   * How often expiry is checked; default a quarter of the shorter timeout, at most 1 s. A
   * connection is closed between its timeout and its timeout plus this.
   */
  readonly checkIntervalMs?: number;
}

/** The check interval when none is given: often enough that a timeout means what it says. */
export function defaultCheckIntervalMs(
  limits: Pick<HttpLimits, 'headersTimeoutMs' | 'requestTimeoutMs'>,
): number {
  return Math.max(
    1,
    Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)),
  );
}

/**
 * Applies `limits` to `server`. Call it before `listen()`: Node starts its connection checks
 * when the server starts listening. Throws ConfigError for a bad limit, RaftError if the
 * server is already listening.
 */
export function applyHttpLimits(server: Server, limits: HttpLimits): void {
  if (server.listening) {
    throw new RaftError('applyHttpLimits must run before listen(): Node fixes its check interval then');
  }
  const headersTimeoutMs = integer('headersTimeoutMs', limits.headersTimeoutMs, 1);
  const requestTimeoutMs = integer('requestTimeoutMs', limits.requestTimeoutMs, headersTimeoutMs);
  const idleTimeoutMs = integer('idleTimeoutMs', limits.idleTimeoutMs, 1);
  const checkIntervalMs = integer(
    'checkIntervalMs',
    limits.checkIntervalMs ?? defaultCheckIntervalMs({ headersTimeoutMs, requestTimeoutMs }),
    1,
  );
  if (limits.maxConnections !== undefined) {
    server.maxConnections = integer('maxConnections', limits.maxConnections, 1);
  }
  server.headersTimeout = headersTimeoutMs;
  server.requestTimeout = requestTimeoutMs;
  server.keepAliveTimeout = idleTimeoutMs;
  // Documented only as a createServer option, but Node (19 and later) reads the property when
  // the server starts listening, so a server made elsewhere can still be given it.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = checkIntervalMs;
}

/** An integer in [min, 2^31 - 1] (Node's timers take no more), or a ConfigError naming it. */
function integer(name: string, value: unknown, min: number): number {
  const max = 2 ** 31 - 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}
