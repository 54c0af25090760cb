/**
 * The WebSocket transport's options, their defaults, and their validation: a bad option is
 * a ConfigError naming the option and the fix, thrown before anything binds or connects.
 */
import { ConfigError } from '../errors.js';

/** A pino-compatible logger (only the two levels the transport uses). */
export interface TransportLogger {
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
}

export interface BackoffOptions {
  /** Delay before the first reconnect attempt (before jitter). */
  readonly initialMs: number;
  /** The delay doubles per failed attempt up to this. */
  readonly maxMs: number;
}

export interface WsTransportOptions {
  /** This node's id: peers must address frames to it, and it is what it authenticates as. */
  readonly id: string;
  /** Where this node's server listens; port 0 picks a free port (see `address()`). */
  readonly listen: { readonly host: string; readonly port: number };
  /**
   * Every other node at start: id -> `ws://host:port` of its transport. The set can change
   * at run time (`setPeers`), as the cluster's membership does.
   */
  readonly peers: Readonly<Record<string, string>>;
  /** The cluster's shared secret (at least 16 characters); it never goes on the wire. */
  readonly secret: string;
  /** Largest frame sent or accepted, in bytes; default 4 MiB. */
  readonly maxFrameBytes?: number;
  /** Outbound frames held per peer while it is unreachable or slow; default 1024. */
  readonly queueLimit?: number;
  /** Reconnect delays; default 100 ms doubling to 5 s, with jitter. */
  readonly backoff?: BackoffOptions;
  /** Time a connection gets to authenticate, once upgraded; default 5 s. */
  readonly handshakeTimeoutMs?: number;
  /** Time an accepted TCP connection gets to send its whole HTTP upgrade request; default 5 s. */
  readonly upgradeTimeoutMs?: number;
  /** Connections accepted but not yet authenticated, at most; beyond it new ones are refused. Default 64. */
  readonly maxPendingConnections?: number;
  readonly logger?: TransportLogger;
}

export interface ResolvedOptions {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly peers: ReadonlyMap<string, string>;
  readonly secret: string;
  readonly maxFrameBytes: number;
  readonly queueLimit: number;
  readonly backoff: BackoffOptions;
  readonly handshakeTimeoutMs: number;
  readonly upgradeTimeoutMs: number;
  readonly maxPendingConnections: number;
  readonly logger: TransportLogger;
}

export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;
export const DEFAULT_QUEUE_LIMIT = 1024;
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 5000 };
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5000;
export const DEFAULT_UPGRADE_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_PENDING_CONNECTIONS = 64;
export const MIN_SECRET_LENGTH = 16;
/** Node's timers take no longer delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const NO_LOG: TransportLogger = { info: () => {}, warn: () => {} };

export function resolveOptions(options: WsTransportOptions): ResolvedOptions {
  const { id, listen, secret } = options;
  if (typeof id !== 'string' || id === '') throw new ConfigError('id must be a non-empty string');
  if (typeof listen?.host !== 'string' || listen.host === '') {
    throw new ConfigError('listen.host must be a host name or address, e.g. "127.0.0.1"');
  }
  positiveInteger('listen.port', listen.port, 0, 65_535);
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(`secret must be a string of at least ${MIN_SECRET_LENGTH} characters`);
  }
  const peers = resolvePeers(id, options.peers ?? {});
  const maxFrameBytes = positiveInteger('maxFrameBytes', options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, 1);
  const queueLimit = positiveInteger('queueLimit', options.queueLimit ?? DEFAULT_QUEUE_LIMIT, 1);
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  positiveInteger('backoff.initialMs', backoff.initialMs, 1);
  positiveInteger('backoff.maxMs', backoff.maxMs, backoff.initialMs);
  const handshakeTimeoutMs = positiveInteger(
    'handshakeTimeoutMs',
    options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    1,
    MAX_TIMER_MS,
  );
  const upgradeTimeoutMs = positiveInteger(
    'upgradeTimeoutMs',
    options.upgradeTimeoutMs ?? DEFAULT_UPGRADE_TIMEOUT_MS,
    1,
    MAX_TIMER_MS,
  );
  const maxPendingConnections = positiveInteger(
    'maxPendingConnections',
    options.maxPendingConnections ?? DEFAULT_MAX_PENDING_CONNECTIONS,
    1,
  );
  return {
    id,
    host: listen.host,
    port: listen.port,
    peers,
    secret,
    maxFrameBytes,
    queueLimit,
    backoff: { initialMs: backoff.initialMs, maxMs: backoff.maxMs },
    handshakeTimeoutMs,
    upgradeTimeoutMs,
    maxPendingConnections,
    logger: options.logger ?? NO_LOG,
  };
}

/**
 * The peers as a map, checked: each id non-empty and not `self`, each URL ws:// or wss://.
 * `name` is what a ConfigError calls them (the option, or the `setPeers` argument).
 */
export function resolvePeers(
  self: string,
  peers: Readonly<Record<string, string>>,
  name = 'peers',
): Map<string, string> {
  if (typeof peers !== 'object' || peers === null || Array.isArray(peers)) {
    throw new ConfigError(`${name} must be an object of peer id -> ws:// URL`);
  }
  const resolved = new Map<string, string>();
  for (const [peer, url] of Object.entries(peers)) {
    if (peer === '') throw new ConfigError(`${name}: a peer id must be a non-empty string`);
    if (peer === self)
      throw new ConfigError(`${name} must list the other nodes only, but it includes "${self}"`);
    if (!isWsUrl(url)) throw new ConfigError(`${name}.${peer} must be a ws:// or wss:// URL, got "${url}"`);
    resolved.set(peer, url);
  }
  return resolved;
}

function positiveInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

function isWsUrl(url: unknown): boolean {
  if (typeof url !== 'string') return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'ws:' || parsed.protocol === 'wss:';
  } catch {
    return false;
  }
}
