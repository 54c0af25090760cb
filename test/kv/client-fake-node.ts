/**
 * Stand-ins for nodes' client APIs, for the KvClient tests: real HTTP servers on 127.0.0.1
 * that record every request and answer as the test scripts them (an answer, a redirect, a
 * dropped connection, or no answer at all).
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  readonly method: string;
  /** Path and query exactly as sent. */
  readonly url: string;
  readonly body: Record<string, unknown> | null;
  readonly contentType: string | undefined;
  /** performance.now() when the request's body had arrived. */
  readonly at: number;
}

/** What a stand-in does with a request. */
export type Behaviour =
  | {
      readonly status: number;
      readonly body?: unknown;
      readonly headers?: Record<string, string>;
      readonly delayMs?: number;
    }
  /** Closes the connection without answering, once the request arrived. */
  | 'drop'
  /** Never answers (until the server closes). */
  | 'hang';

export class FakeNode {
  readonly seen: SeenRequest[] = [];
  /** Answers the n-th request (from 0) with the n-th behaviour; past the end, with the last one. */
  script: Behaviour[] = [{ status: 500, body: { error: 'Unscripted', message: 'no answer scripted' } }];
  readonly #server: Server;
  #url = '';

  private constructor() {
    this.#server = createServer((request, response) => void this.#handle(request, response));
  }

  static async start(): Promise<FakeNode> {
    const node = new FakeNode();
    node.#server.listen(0, '127.0.0.1');
    await once(node.#server, 'listening');
    node.#url = `http://127.0.0.1:${(node.#server.address() as AddressInfo).port}`;
    return node;
  }

  get url(): string {
    return this.#url;
  }

  answer(...script: Behaviour[]): this {
    this.script = script;
    return this;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of request) text += (chunk as Buffer).toString();
    this.seen.push({
      method: request.method ?? '',
      url: request.url ?? '',
      body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>),
      contentType: request.headers['content-type'],
      at: performance.now(),
    });
    const behaviour = this.script[Math.min(this.seen.length - 1, this.script.length - 1)]!;
    if (behaviour === 'hang') return;
    if (behaviour === 'drop') return void request.socket.destroy();
    if (behaviour.delayMs !== undefined)
      await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
    response.writeHead(behaviour.status, { 'content-type': 'application/json', ...behaviour.headers });
    response.end(behaviour.body === undefined ? '' : JSON.stringify(behaviour.body));
  }
}

/** A 307 from a follower to `leader`, as a node sends it. */
export function redirectTo(leader: FakeNode, path: string): Behaviour {
  return {
    status: 307,
    headers: { location: `${leader.url}${path}` },
    body: {
      error: 'NotLeader',
      leaderHint: 'b',
      leaderUrl: `${leader.url}${path}`,
      message: 'not the leader',
    },
  };
}

export const NO_LEADER: Behaviour = {
  status: 503,
  headers: { 'retry-after': '1' },
  body: { error: 'NoLeader', message: 'no leader known yet: retry shortly' },
};

export const TIMEOUT: Behaviour = {
  status: 504,
  body: { error: 'Timeout', message: 'not applied within 5000 ms; it may still commit' },
};
