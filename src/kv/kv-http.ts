/**
 * The key/value routes of a node's HTTP API: `GET`, `PUT`, `DELETE /kv/<key>` and
 * `POST /kv/<key>/append`, answered through the node's KvService, counted and timed in its
 * metrics. Routes, bodies, status codes and errors: docs/kv.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NodeId } from '../../machines/index.js';
import { readJsonBody, reply } from './kv-http-json.js';
import type { RefusalContext } from './kv-http-refusals.js';
import { refusalFor } from './kv-http-refusals.js';
import type { KvWrite } from './kv-http-request.js';
import { SHAPES, kvRoute, kvWrite } from './kv-http-request.js';
import type { KvMetrics, Outcome } from './kv-metrics.js';
import type { KvService, KvWritten } from './kv-service.js';

/** What the routes call: a KvService (a stand-in in tests). */
export type KvOperations = Pick<KvService, 'get' | 'put' | 'append' | 'delete' | 'cas'>;

type Applied = KvWritten<'put'> | KvWritten<'append'> | KvWritten<'delete'> | KvWritten<'cas'>;

export interface KvHttpOptions {
  readonly service: KvOperations;
  readonly metrics: KvMetrics;
  /** Largest request body accepted, in bytes; a larger one gets 413. */
  readonly maxBodyBytes: number;
  /** Other nodes' client API addresses (id -> host:port), for the 307 to the leader. */
  readonly peerClients: Readonly<Record<NodeId, string>>;
}

/**
 * Answers a request whose path (as sent, without its query) starts with `/kv`. Rejects with
 * an HttpRefusal for the caller to answer, or with an error of no known kind (a bug: 500).
 */
export async function serveKv(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  query: string,
  options: KvHttpOptions,
): Promise<void> {
  const route = kvRoute(request.method, path, query);
  const context: RefusalContext = { peerClients: options.peerClients, target: request.url ?? path };
  const { service, metrics } = options;
  if (route.op === 'get') {
    const { key, consistency } = route;
    const started = performance.now();
    let read;
    try {
      read = await service.get(key, { consistency });
    } catch (error) {
      throw refused(error, context, (outcome) => metrics.read(consistency, outcome));
    }
    const seconds = (performance.now() - started) / 1000;
    const { value, index } = read;
    if (value === null) {
      metrics.read(consistency, 'not_found', seconds);
      return reply(response, 404, {
        error: 'KeyNotFound',
        key,
        index,
        message: `there is no key ${JSON.stringify(key)} (as of log index ${index}): PUT /kv/<key> to set it`,
      });
    }
    metrics.read(consistency, 'found', seconds);
    return reply(response, 200, { key, value, index });
  }

  const body = await readJsonBody(request, {
    maxBytes: options.maxBodyBytes,
    shape: SHAPES[route.op],
    optional: route.op === 'delete',
  });
  const write = kvWrite(route, body);
  const started = performance.now();
  let applied: Applied;
  try {
    applied = await perform(service, write);
  } catch (error) {
    throw refused(error, context, (outcome) => metrics.proposal(write.op, outcome));
  }
  const seconds = (performance.now() - started) / 1000;
  const { index, result } = applied;
  metrics.proposal(write.op, 'applied', seconds);
  switch (result.kv) {
    case 'put':
    case 'append':
      return reply(response, 200, { index });
    case 'delete':
      return reply(response, 200, { index, existed: result.existed });
    case 'cas':
      if (result.swapped) return reply(response, 200, { index, swapped: true });
      return reply(response, 409, {
        error: 'CompareFailed',
        key: write.key,
        value: result.value,
        index,
        message:
          `the key holds ${result.value === null ? 'nothing' : JSON.stringify(result.value)}, not the ` +
          'expected value, so nothing was set: read it again and retry with "expected" set to what it holds',
      });
  }
}

function perform(service: KvOperations, write: KvWrite): Promise<Applied> {
  switch (write.op) {
    case 'put':
      return service.put(write.key, write.value, write.session);
    case 'append':
      return service.append(write.key, write.value, write.session);
    case 'delete':
      return service.delete(write.key, write.session);
    case 'cas':
      return service.cas(write.key, write.expected, write.value, write.session);
  }
}

/** The refusal for `error`, counted; an error of no known kind passes through (a 500). */
function refused(error: unknown, context: RefusalContext, count: (outcome: Outcome) => void): unknown {
  const mapped = refusalFor(error, context);
  if ('unknown' in mapped) return mapped.unknown;
  count(mapped.outcome);
  return mapped.refusal;
}
