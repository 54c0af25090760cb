/**
 * The supervisor's JSON API, for the visualizer's live mode (and curl): what the cluster's
 * nodes are and where their feeds and client APIs are, and kill / restart of a node's
 * process. Every refusal is `{error, message}`, the message saying what to do.
 *
 *   GET  /api/cluster              200 {nodes: [{id, feedUrl, clientUrl, pid, up}]}
 *   POST /api/nodes/<id>/kill      200 {node}: SIGKILLed (a crash); 409 if it is not running
 *   POST /api/nodes/<id>/restart   200 {node}: started again, same flags and data; 409 if running
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringifyJson } from '../../machines/index.js';
import {
  ClusterStoppingError,
  NodeNotRunningError,
  NodeRunningError,
  UnknownNodeError,
} from './cluster-errors.js';
import type { NodePlan } from './cluster-plan.js';
import { clientUrl, feedUrl } from './cluster-plan.js';
import type { ClusterSupervisor } from './cluster-supervisor.js';

/** One node as `GET /api/cluster` describes it. */
export interface ClusterNodeView {
  readonly id: string;
  /** Its inspection feed, `ws://127.0.0.1:<port>` (open to this machine without a token). */
  readonly feedUrl: string;
  /** Its HTTP client API (the key/value routes, GET /status, GET /metrics: docs/kv.md). */
  readonly clientUrl: string;
  /** Its process id; null while it is down. */
  readonly pid: number | null;
  readonly up: boolean;
}

export interface ClusterView {
  readonly nodes: readonly ClusterNodeView[];
}

export interface ErrorBody {
  readonly error: string;
  readonly message: string;
}

export type ApiHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

const USAGE = 'use GET /api/cluster, POST /api/nodes/<id>/kill or POST /api/nodes/<id>/restart';
const NODE_ACTION = /^\/api\/nodes\/([^/]+)\/(kill|restart)$/;

export function clusterView(supervisor: ClusterSupervisor, nodes: readonly NodePlan[]): ClusterView {
  return {
    nodes: nodes.map((node) => ({
      id: node.id,
      feedUrl: feedUrl(node),
      clientUrl: clientUrl(node),
      pid: supervisor.pid(node.id),
      up: supervisor.isRunning(node.id),
    })),
  };
}

export function createClusterApi(supervisor: ClusterSupervisor, nodes: readonly NodePlan[]): ApiHandler {
  const viewOf = (id: string): ClusterNodeView =>
    clusterView(supervisor, nodes).nodes.find((node) => node.id === id)!;
  return async (request, response) => {
    request.resume(); // no route reads a body
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/api/cluster') {
      if (!allow(request, response, 'GET')) return;
      return sendJson(response, 200, clusterView(supervisor, nodes));
    }
    const action = NODE_ACTION.exec(path);
    if (action === null) return sendJson(response, 404, { error: 'NotFound', message: USAGE });
    if (!allow(request, response, 'POST')) return;
    try {
      const id = decodeURIComponent(action[1]!);
      if (action[2] === 'kill') await supervisor.kill(id);
      else supervisor.start(id);
      sendJson(response, 200, { node: viewOf(id) });
    } catch (error) {
      const [status, body] = refusal(error);
      sendJson(response, status, body);
    }
  };
}

/** Answers 405 (with `allow`) unless the request uses `method`. */
function allow(request: IncomingMessage, response: ServerResponse, method: string): boolean {
  if (request.method === method) return true;
  response.setHeader('allow', method);
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  sendJson(response, 405, { error: 'MethodNotAllowed', message: `use ${method} ${path}` });
  return false;
}

function refusal(error: unknown): [number, ErrorBody] {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof URIError)
    return [400, { error: 'BadRequest', message: 'the node id in the path is not valid percent-encoding' }];
  if (error instanceof UnknownNodeError) return [404, { error: 'UnknownNode', message }];
  if (error instanceof NodeRunningError) return [409, { error: 'NodeRunning', message }];
  if (error instanceof NodeNotRunningError) return [409, { error: 'NodeNotRunning', message }];
  if (error instanceof ClusterStoppingError) return [503, { error: 'Stopping', message }];
  return [500, { error: 'Internal', message: `${message} (a bug: please report it)` }];
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(stringifyJson(body));
}
