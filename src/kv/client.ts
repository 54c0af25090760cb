/**
 * A client of the key/value HTTP API (docs/kv.md) for a cluster of raftchart nodes. It finds
 * the leader and remembers it, follows a follower's 307 itself, waits out "no leader yet",
 * moves to the next node when one does not answer, and gives up at its deadline with a
 * typed error that says whether a write may have been applied.
 *
 * Exactly once: every write carries this client's id and a sequence number, and a retry of
 * the same write repeats that number, so the cluster's session table applies it once however
 * many of the attempts reached a leader. That works because a client has one operation in
 * flight at a time: calls made while one runs wait their turn, in call order.
 *
 * Portable: only `fetch`, `AbortSignal`, `crypto.randomUUID` and timers (Node 20, browsers).
 */
import type { KvRead } from './kv-service.js';
import type { Consistency } from './kv-service.js';
import { CONSISTENCIES } from './kv-service.js';
import { validateKey, validateValue } from './kv-command.js';
import { InvalidKeyError } from './kv-errors.js';
import type { KvClientOp } from './client-errors.js';
import { KvHttpError, KvTimeoutError } from './client-errors.js';

export interface KvClientOptions {
  /** The nodes' client API base URLs, e.g. `http://127.0.0.1:8001`; any one of them will do. */
  readonly nodes: readonly string[];
  /** How long one operation may take, retries and waiting in line included; default 10 s. */
  readonly timeoutMs?: number;
  /**
   * How long one HTTP request may take before the client tries the next node; default 6 s,
   * just over a node's own 5 s proposal and read timeouts (it answers 504 by then).
   */
  readonly attemptTimeoutMs?: number;
  /** Longest wait a `Retry-After` (no leader yet) gets; default 1 s. */
  readonly maxRetryAfterMs?: number;
  /** This client's session id; default a random UUID. Two live clients must never share one. */
  readonly clientId?: string;
  /** The fetch to use; default the global one (Node's keeps connections alive). */
  readonly fetch?: typeof globalThis.fetch;
}

export interface KvClientGetOptions {
  /** Default `linearizable` (docs/kv.md says what each one costs). */
  readonly consistency?: Consistency;
}

/** A write's acknowledgement: the log index of the entry that carried it. */
export interface KvWriteAck {
  readonly index: number;
}

export interface KvDeleteAck extends KvWriteAck {
  /** Whether the key existed. */
  readonly existed: boolean;
}

/** A compare-and-set's outcome; a compare that fails is an answer, not an error. */
export interface KvCasAck extends KvWriteAck {
  readonly swapped: boolean;
  /** What the key holds now: the new value when swapped, else the value that did not match (null: absent). */
  readonly value: string | null;
}

export const DEFAULT_CLIENT_TIMEOUT_MS = 10_000;
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 6_000;
export const DEFAULT_MAX_RETRY_AFTER_MS = 1_000;
/** The first pause after a failed attempt; it doubles with each failure, up to MAX_BACKOFF_MS. */
const FIRST_BACKOFF_MS = 10;
const MAX_BACKOFF_MS = 500;
/**
 * Less time than this left: no new attempt. One that short would only time out, and make a
 * write look as if it may have arrived when it was never sent.
 */
const MIN_ATTEMPT_MS = 20;

/** One HTTP request the client makes, the same on every attempt. */
interface KvRequest {
  readonly op: KvClientOp;
  readonly key: string;
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Path and query, e.g. `/kv/a%2Fb?consistency=log`. */
  readonly path: string;
  readonly body?: Readonly<Record<string, unknown>>;
}

/** A node's final answer to a request. */
interface Answer {
  readonly url: string;
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
  readonly text: string;
}

export class KvClient {
  readonly #nodes: readonly string[];
  readonly #timeoutMs: number;
  readonly #attemptTimeoutMs: number;
  readonly #maxRetryAfterMs: number;
  readonly #fetch: typeof globalThis.fetch;
  readonly #clientId: string;
  #seq = 0;
  /** Where the next request goes first: the leader once one answered or was named. */
  #current: string;
  /** The end of the line of operations: each starts once the one before it settled. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: KvClientOptions) {
    if (options.nodes.length === 0) {
      throw new TypeError('KvClient needs at least one node URL, e.g. { nodes: ["http://127.0.0.1:8001"] }');
    }
    this.#nodes = options.nodes.map(baseUrl);
    this.#current = this.#nodes[0]!;
    this.#timeoutMs = positive('timeoutMs', options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS);
    this.#attemptTimeoutMs = positive(
      'attemptTimeoutMs',
      options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
    );
    this.#maxRetryAfterMs = positive(
      'maxRetryAfterMs',
      options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS,
    );
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#clientId = options.clientId ?? globalThis.crypto.randomUUID();
    if (this.#clientId.length === 0) throw new TypeError('clientId must not be empty');
  }

  /** This client's session id, sent with every write. */
  get clientId(): string {
    return this.#clientId;
  }

  /** The sequence number of the last write started (0 before any). */
  get seq(): number {
    return this.#seq;
  }

  /** The node the next operation goes to first: the leader, once the client learned it. */
  get currentNode(): string {
    return this.#current;
  }

  /** The key's value (null: no such key) and the log index of the state it was read from. */
  async get(key: string, options: KvClientGetOptions = {}): Promise<KvRead> {
    checkKey(key);
    const consistency = options.consistency ?? 'linearizable';
    if (!CONSISTENCIES.includes(consistency)) {
      throw new TypeError(
        `consistency is ${JSON.stringify(consistency)}: use one of ${CONSISTENCIES.join(', ')}`,
      );
    }
    const path = `${keyPath(key)}?consistency=${consistency}`;
    return this.#enqueue(async (startedAt) => {
      const answer = await this.#send({ op: 'get', key, method: 'GET', path }, startedAt);
      const { status, body } = answer;
      if (status === 200 && (typeof body.value === 'string' || body.value === null) && isIndex(body.index)) {
        return { value: body.value, index: body.index };
      }
      if (status === 404 && body.error === 'KeyNotFound' && isIndex(body.index)) {
        return { value: null, index: body.index };
      }
      throw unexpected('get', key, answer);
    });
  }

  async put(key: string, value: string): Promise<KvWriteAck> {
    checkKey(key);
    validateValue(value);
    return this.#write('put', key, 'PUT', keyPath(key), { value }, (answer) =>
      answer.status === 200 && isIndex(answer.body.index) ? { index: answer.body.index } : undefined,
    );
  }

  /** Appends `value` to the key's value; a missing key is created with it. */
  async append(key: string, value: string): Promise<KvWriteAck> {
    checkKey(key);
    validateValue(value);
    return this.#write('append', key, 'POST', `${keyPath(key)}/append`, { value }, (answer) =>
      answer.status === 200 && isIndex(answer.body.index) ? { index: answer.body.index } : undefined,
    );
  }

  async delete(key: string): Promise<KvDeleteAck> {
    checkKey(key);
    return this.#write('delete', key, 'DELETE', keyPath(key), {}, ({ status, body }) =>
      status === 200 && isIndex(body.index) && typeof body.existed === 'boolean'
        ? { index: body.index, existed: body.existed }
        : undefined,
    );
  }

  /** Sets the key to `value` if it holds `expected` now (null: if it is absent). */
  async cas(key: string, expected: string | null, value: string): Promise<KvCasAck> {
    checkKey(key);
    if (expected !== null) validateValue(expected);
    validateValue(value);
    return this.#write('cas', key, 'PUT', keyPath(key), { value, expected }, ({ status, body }) => {
      if (status === 200 && body.swapped === true && isIndex(body.index)) {
        return { index: body.index, swapped: true, value };
      }
      if (
        status === 409 &&
        body.error === 'CompareFailed' &&
        (typeof body.value === 'string' || body.value === null)
      ) {
        return { index: isIndex(body.index) ? body.index : 0, swapped: false, value: body.value };
      }
      return undefined;
    });
  }

  /** A write: numbered once, every attempt carrying the same client id and seq. */
  #write<T>(
    op: KvClientOp,
    key: string,
    method: KvRequest['method'],
    path: string,
    fields: Readonly<Record<string, unknown>>,
    read: (answer: Answer) => T | undefined,
  ): Promise<T> {
    return this.#enqueue(async (startedAt) => {
      const body = { ...fields, client: this.#clientId, seq: ++this.#seq };
      const answer = await this.#send({ op, key, method, path, body }, startedAt);
      const result = read(answer);
      if (result === undefined) throw unexpected(op, key, answer);
      return result;
    });
  }

  /** Runs `work` once every operation called before it has settled; its deadline runs from now. */
  #enqueue<T>(work: (startedAt: number) => Promise<T>): Promise<T> {
    const startedAt = performance.now();
    const run = this.#queue.then(() => work(startedAt));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Sends `request` until some node gives a final answer (anything but a redirect, no leader,
   * unavailable or timeout), or the deadline passes.
   */
  async #send(request: KvRequest, startedAt: number): Promise<Answer> {
    const deadline = startedAt + this.#timeoutMs;
    let attempts = 0;
    let failures = 0;
    let redirects = 0;
    let mayHaveApplied = false;
    let lastProblem = 'none: the deadline passed while earlier operations of this client ran';
    /** The exact URL a redirect named, for the next attempt. */
    let redirectedTo: string | null = null;
    for (;;) {
      const remaining = deadline - performance.now();
      if (remaining < MIN_ATTEMPT_MS) {
        throw new KvTimeoutError(
          request.op,
          request.key,
          Math.round(performance.now() - startedAt),
          attempts,
          mayHaveApplied,
          lastProblem,
        );
      }
      const node = this.#current;
      const url = redirectedTo ?? `${node}${request.path}`;
      redirectedTo = null;
      attempts++;
      let response: Response;
      let text: string;
      const signal = AbortSignal.timeout(Math.floor(Math.min(remaining, this.#attemptTimeoutMs)));
      try {
        response = await this.#fetch(url, {
          method: request.method,
          redirect: 'manual',
          signal,
          ...(request.body === undefined
            ? {}
            : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(request.body) }),
        });
        text = await response.text();
      } catch (error) {
        // Refused connections never carried the request; anything else may have.
        if (!refusedOutright(error)) mayHaveApplied = true;
        lastProblem = `${node}: ${describeFailure(error)}`;
        this.#moveOn(node);
        await pause(backoff(++failures), deadline);
        continue;
      }
      const answer: Answer = { url, status: response.status, body: jsonObject(text), text };
      const { status, body } = answer;
      const problem = `${node}: ${status}${typeof body.error === 'string' ? ` ${body.error}` : ''}`;

      if (status === 307 || status === 308) {
        lastProblem = problem;
        const next = redirectTarget(response.headers.get('location'), body.leaderUrl, url, request.path);
        if (next === null) {
          // A follower that names no leader: as good as "no leader yet".
          this.#moveOn(node);
          await pause(backoff(++failures), deadline);
          continue;
        }
        this.#current = next.base;
        redirectedTo = next.url;
        // Nodes that keep pointing at each other (an election under way): slow down.
        if (++redirects > this.#nodes.length) await pause(backoff(++failures), deadline);
        continue;
      }
      // No leader known, or one this node cannot give the URL of: nothing was proposed.
      if (status === 503 && (body.error === 'NoLeader' || body.error === 'NotLeader')) {
        lastProblem = problem;
        this.#moveOn(node);
        const wait = retryAfterMs(response.headers.get('retry-after')) ?? backoff(++failures);
        await pause(Math.min(wait, this.#maxRetryAfterMs), deadline);
        continue;
      }
      if (status === 502 || status === 503 || status === 504) {
        // 504: the node proposed it and gave up waiting; 503 Failed/Stopped: it may have, before it went.
        mayHaveApplied = true;
        lastProblem = problem;
        this.#moveOn(node);
        await pause(backoff(++failures), deadline);
        continue;
      }
      if (status >= 200 && status < 500) this.#current = node;
      return answer;
    }
  }

  /** `node` did not serve the request: the next one in the list gets the next attempt. */
  #moveOn(node: string): void {
    if (this.#current !== node) return;
    const at = this.#nodes.indexOf(node); // -1 for a leader named by a redirect, not listed: the first
    this.#current = this.#nodes[(at + 1) % this.#nodes.length]!;
  }
}

function positive(name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value))
    throw new TypeError(`${name} must be a positive number of ms, not ${value}`);
  return value;
}

/** `http://host:port` (any path kept, trailing slashes dropped); refuses what is not an http(s) URL. */
function baseUrl(node: string): string {
  let url: URL;
  try {
    url = new URL(node);
  } catch {
    throw new TypeError(`node ${JSON.stringify(node)} is not a URL: give one like http://127.0.0.1:8001`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(
      `node ${JSON.stringify(node)} is not an http(s) URL: give one like http://127.0.0.1:8001`,
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** A valid key that also survives the trip as a URL path segment. */
function checkKey(key: string): void {
  validateKey(key);
  // URL parsers resolve "." and ".." segments (encoded or not) before any request is sent.
  if (key === '.' || key === '..') {
    throw new InvalidKeyError(
      `the key ${JSON.stringify(key)} cannot be sent as a URL path segment: use another key`,
    );
  }
}

function keyPath(key: string): string {
  return `/kv/${encodeURIComponent(key)}`;
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function jsonObject(text: string): Readonly<Record<string, unknown>> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // not JSON: the caller reports the text
  }
  return {};
}

/** A final answer the operation cannot use: the server's refusal, or something that is not this API. */
function unexpected(op: KvClientOp, key: string, answer: Answer): KvHttpError {
  const { body, status, text, url } = answer;
  const error = typeof body.error === 'string' ? body.error : status < 300 ? 'BadResponse' : `HTTP${status}`;
  const message =
    typeof body.message === 'string'
      ? body.message
      : `an answer this client does not understand (${JSON.stringify(text.slice(0, 200))}): is ${url} a raftchart node's client API?`;
  return new KvHttpError(op, key, url, status, error, message, body);
}

/** Where a 307 points: the exact URL to retry, and the leader's base URL to remember. */
function redirectTarget(
  location: string | null,
  leaderUrl: unknown,
  url: string,
  path: string,
): { url: string; base: string } | null {
  let target: URL;
  try {
    if (location !== null) target = new URL(location, url);
    else if (typeof leaderUrl === 'string') target = new URL(leaderUrl);
    else return null;
  } catch {
    return null;
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return null;
  const href = target.href;
  // A leader URL with no path of its own names the node: the same request goes there.
  if (location === null && (target.pathname === '/' || target.pathname === '')) {
    return { url: `${target.origin}${path}`, base: target.origin };
  }
  const base = href.endsWith(path) ? href.slice(0, -path.length) : target.origin;
  return { url: href, base: base.replace(/\/+$/, '') };
}

/** `Retry-After` in ms: seconds, or an HTTP date; null when absent or unreadable. */
function retryAfterMs(header: string | null): number | null {
  if (header === null) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

function backoff(failures: number): number {
  return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (failures - 1));
}

/** Sleeps `ms`, but not past `deadline`. */
function pause(ms: number, deadline: number): Promise<void> {
  const wait = Math.max(0, Math.min(ms, deadline - performance.now()));
  return new Promise((resolve) => setTimeout(resolve, wait));
}

/** Codes of a connection that was never made: the request did not leave this machine. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function causeCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

function refusedOutright(error: unknown): boolean {
  const code = causeCode(error);
  return code !== undefined && NOT_CONNECTED.has(code);
}

function describeFailure(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return 'no answer in time';
  }
  const code = causeCode(error);
  if (code === 'ECONNREFUSED') return 'connection refused (is the node running?)';
  const message = error instanceof Error ? error.message : String(error);
  return code === undefined ? message : `${message} (${code})`;
}
