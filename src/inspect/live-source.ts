/**
 * The live source: a cluster of real nodes, watched through their inspection feeds and
 * acted on through their client APIs (and the supervisor's, for processes). The nodes'
 * feeds merge into one stream, events in the order they arrive; `at` is each node's wall
 * clock (Date.now), comparable across the processes of one machine. A feed that drops shows
 * its node down, and is reconnected; when it is back the node shows up again.
 *
 * Controls are what real nodes allow: propose (a key/value write, to the leader), cut links (each node's
 * `/control/block`: a cut `from -> to` is blocked on both sides, outbound at `from` and
 * inbound at `to`, so it holds while either side runs), and, with a supervisor, kill and
 * restart a process. A node that restarts forgets its blocks: they are sent again when its
 * feed is back. Firing or moving a real node's election timer would need a new message in
 * the protocol, so timeoutNow and the timer controls are not offered; nor is a lossy
 * network. Time is real: `time` is null.
 *
 * Browser-safe: the global WebSocket (or one given) and fetch.
 */
import type { NodeId } from '../../machines/index.js';
import type { ClusterControls, ClusterSource } from './cluster-source.js';
import { FEED_CLOSE_REFUSED, parseFeedFrame } from './feed-protocol.js';
import type { InspectEvent, InspectListener, NodeSummary, TimerKind } from './inspect-event.js';

export interface LiveNode {
  readonly id: NodeId;
  /** `ws://host:port/` of the node's inspection feed. */
  readonly feedUrl: string;
  /** `http://host:port` of the node's client API. */
  readonly clientUrl: string;
}

/** The part of a WebSocket the source uses: the browser's, or `ws`'s in Node. */
export interface FeedSocket {
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

export type FeedSocketConstructor = new (url: string) => FeedSocket;

export interface LiveSourceOptions {
  readonly nodes: readonly LiveNode[];
  /** The supervisor (`raftchart cluster`) that kills and restarts the processes, if any. */
  readonly supervisorUrl?: string;
  /**
   * inspectToken(secret) of the cluster's secret, for nodes that are not on loopback: sent
   * as `?token=` to feeds and `Authorization: Bearer` to control endpoints.
   */
  readonly token?: string;
  /** Default the global WebSocket; Node 20 has none, so pass `ws`'s there. */
  readonly WebSocketImpl?: FeedSocketConstructor;
  /** First delay before reconnecting to a feed that dropped, doubling to 2 s; default 200 ms. */
  readonly reconnectMs?: number;
}

/** The nodes a supervisor runs: `GET <supervisorUrl>/api/cluster`. */
export async function fetchLiveNodes(supervisorUrl: string): Promise<LiveNode[]> {
  const response = await fetch(`${trimSlash(supervisorUrl)}/api/cluster`);
  if (!response.ok) throw new Error(`${supervisorUrl}/api/cluster answered ${response.status}`);
  const { nodes } = (await response.json()) as { nodes: LiveNode[] };
  return nodes;
}

export function connectLiveSource(options: LiveSourceOptions): ClusterSource {
  return new LiveSource(options);
}

const MAX_RECONNECT_MS = 2000;
/** Proposal hops after a 307: enough to follow a leader change or two. */
const MAX_PROPOSAL_HOPS = 5;
/** The key a proposal that is not `key=value` is written to. */
export const PROPOSAL_KEY = 'visualizer';

interface NodeView {
  readonly node: LiveNode;
  socket: FeedSocket | null;
  /** Null until its feed has said anything (or failed to connect). */
  up: boolean | null;
  summary: NodeSummary | null;
  readonly timers: Map<TimerKind, number>;
  downReason: string;
  retryMs: number;
  retry: ReturnType<typeof setTimeout> | null;
}

interface WriteAnswer {
  readonly index?: number;
  readonly message?: string;
}

/**
 * The key/value write a proposal stands for: `key=value` text sets that key; anything else
 * sets PROPOSAL_KEY to the text (or, for other JSON, its JSON text).
 */
export function proposalWrite(command: unknown): { readonly key: string; readonly value: string } {
  if (typeof command === 'string') {
    const at = command.indexOf('=');
    if (at > 0) return { key: command.slice(0, at), value: command.slice(at + 1) };
    return { key: PROPOSAL_KEY, value: command };
  }
  return { key: PROPOSAL_KEY, value: JSON.stringify(command) ?? String(command) };
}

class LiveSource implements ClusterSource {
  readonly kind = 'live';
  readonly label: string;
  readonly ids: readonly NodeId[];
  readonly controls: Partial<ClusterControls>;
  readonly time = null;
  readonly #options: LiveSourceOptions;
  readonly #WebSocket: FeedSocketConstructor;
  readonly #views = new Map<NodeId, NodeView>();
  readonly #listeners = new Set<InspectListener>();
  /** Directed links cut on purpose, as `from>to`. */
  #cut = new Set<string>();
  #closed = false;

  constructor(options: LiveSourceOptions) {
    this.#options = options;
    this.ids = options.nodes.map((node) => node.id);
    const urls = options.nodes.map((node) => node.feedUrl).join(', ');
    this.label =
      options.supervisorUrl === undefined ? `live: ${urls}` : `live: ${options.supervisorUrl} (${urls})`;
    const WebSocketImpl =
      options.WebSocketImpl ?? (globalThis as { WebSocket?: FeedSocketConstructor }).WebSocket;
    if (WebSocketImpl === undefined) {
      throw new Error('no WebSocket here (Node 20 has none): pass WebSocketImpl, e.g. the `ws` package');
    }
    this.#WebSocket = WebSocketImpl;
    const links = {
      propose: (command: unknown) => this.#propose(command),
      disconnect: (id: NodeId) =>
        this.#relink(`disconnected ${id}`, (cut) => this.#eachLink(id, (l) => cut.add(l))),
      reconnect: (id: NodeId) =>
        this.#relink(`reconnected ${id}`, (cut) => this.#eachLink(id, (l) => cut.delete(l))),
      setLink: (from: NodeId, to: NodeId, up: boolean) =>
        this.#relink(`link ${from} -> ${to} ${up ? 'up' : 'cut'}`, (cut) =>
          up ? cut.delete(`${from}>${to}`) : cut.add(`${from}>${to}`),
        ),
      partition: (groups: readonly (readonly NodeId[])[]) =>
        this.#relink(`partitioned ${groups.map((g) => `{${g.join(', ')}}`).join(' | ')}`, (cut) => {
          cut.clear();
          const groupOf = (id: NodeId) => groups.findIndex((group) => group.includes(id));
          for (const from of this.ids) {
            for (const to of this.ids) {
              if (from !== to && (groupOf(from) === -1 || groupOf(from) !== groupOf(to)))
                cut.add(`${from}>${to}`);
            }
          }
        }),
      heal: () => this.#relink('healed every link', (cut) => cut.clear()),
    };
    const supervisor = options.supervisorUrl;
    this.controls =
      supervisor === undefined
        ? links
        : {
            ...links,
            crash: (id: NodeId) => this.#supervise(supervisor, id, 'kill', `killed ${id}'s process`),
            restart: (id: NodeId) => this.#supervise(supervisor, id, 'restart', `restarted ${id}'s process`),
          };
    for (const node of options.nodes) {
      const view: NodeView = {
        node,
        socket: null,
        up: null,
        summary: null,
        timers: new Map(),
        downReason: `connecting to ${node.feedUrl}`,
        retryMs: options.reconnectMs ?? 200,
        retry: null,
      };
      this.#views.set(node.id, view);
      this.#connect(view);
    }
  }

  subscribe(listener: InspectListener): () => void {
    const at = Date.now();
    for (const [id, view] of this.#views) {
      if (view.up === true && view.summary !== null) {
        listener({ type: 'nodeUp', at, node: id, summary: view.summary });
        for (const [timer, deadline] of view.timers)
          listener({ type: 'timer', at, node: id, timer, deadline });
      } else {
        listener({ type: 'nodeDown', at, node: id, reason: view.downReason });
      }
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    for (const view of this.#views.values()) {
      if (view.retry !== null) clearTimeout(view.retry);
      view.socket?.close(1000, 'the page closed the live source');
      view.socket = null;
    }
  }

  #connect(view: NodeView): void {
    if (this.#closed) return;
    view.retry = null;
    const { token } = this.#options;
    const url = new URL(view.node.feedUrl);
    if (token !== undefined && !url.searchParams.has('token')) url.searchParams.set('token', token);
    let socket: FeedSocket;
    try {
      socket = new this.#WebSocket(url.toString());
    } catch (error) {
      return this.#lost(view, `cannot open ${view.node.feedUrl}: ${(error as Error).message}`, true);
    }
    view.socket = socket;
    socket.onerror = () => {}; // a close follows, with its code
    socket.onmessage = ({ data }) => {
      const frame = typeof data === 'string' ? parseFeedFrame(data) : null;
      if (frame === null || frame.type === 'feedHello') return;
      view.retryMs = this.#options.reconnectMs ?? 200; // it works: the next drop retries soon
      this.#emit(view, frame);
    };
    socket.onclose = ({ code, reason }) => {
      if (view.socket !== socket) return;
      view.socket = null;
      if (code === FEED_CLOSE_REFUSED)
        return this.#lost(view, `the feed refused this page: ${reason}`, false);
      this.#lost(
        view,
        reason === '' ? `feed lost (${view.node.feedUrl}): the node stopped or crashed` : reason,
        true,
      );
    };
  }

  /** The feed is gone: the node shows down (once), and the feed is tried again later. */
  #lost(view: NodeView, reason: string, retry: boolean): void {
    if (view.up !== false) {
      this.#emit(view, { type: 'nodeDown', at: Date.now(), node: view.node.id, reason });
    }
    view.downReason = reason;
    if (!retry || this.#closed) return;
    view.retry = setTimeout(() => this.#connect(view), view.retryMs);
    view.retryMs = Math.min(MAX_RECONNECT_MS, view.retryMs * 2);
  }

  /** Keeps each node's last known state (for late subscribers), then tells every listener. */
  #emit(view: NodeView, event: InspectEvent): void {
    switch (event.type) {
      case 'nodeUp': {
        const restarted = view.up !== true;
        view.up = true;
        view.summary = event.summary;
        view.timers.clear();
        // A restarted process lost its blocks; a feed that reconnected may have missed some.
        if (restarted && this.#cut.size > 0) void this.#pushBlocks(view).catch(() => {});
        break;
      }
      case 'step':
        view.summary = event.summary;
        break;
      case 'nodeDown':
        view.up = false;
        view.downReason = event.reason;
        view.timers.clear();
        break;
      case 'timer':
        if (event.deadline === null) view.timers.delete(event.timer);
        else view.timers.set(event.timer, event.deadline);
        break;
      default:
        break;
    }
    for (const listener of this.#listeners) listener(event);
  }

  #fault(description: string): void {
    const event: InspectEvent = { type: 'fault', at: Date.now(), description };
    for (const listener of this.#listeners) listener(event);
  }

  #eachLink(id: NodeId, visit: (link: string) => void): void {
    for (const other of this.ids) {
      if (other === id) continue;
      visit(`${id}>${other}`);
      visit(`${other}>${id}`);
    }
  }

  /** Changes the cut links, and tells every running node its part. */
  async #relink(description: string, change: (cut: Set<string>) => void): Promise<void> {
    const cut = new Set(this.#cut);
    change(cut);
    this.#cut = cut;
    this.#fault(description);
    const running = [...this.#views.values()].filter((view) => view.up === true);
    await Promise.all(running.map((view) => this.#pushBlocks(view)));
  }

  /** `POST /control/block` with the node's part of the cut links: what it must not send, and not take. */
  async #pushBlocks(view: NodeView): Promise<void> {
    const id = view.node.id;
    const outbound: NodeId[] = [];
    const inbound: NodeId[] = [];
    for (const link of this.#cut) {
      const [from, to] = link.split('>') as [NodeId, NodeId];
      if (from === id) outbound.push(to);
      if (to === id) inbound.push(from);
    }
    const response = await this.#post(`${trimSlash(view.node.clientUrl)}/control/block`, {
      outbound,
      inbound,
    });
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { message?: string };
      throw new Error(`${id} refused to block its links (${response.status}): ${body.message ?? ''}`);
    }
  }

  /**
   * A key/value write (proposalWrite) to the leader as the feeds know it, else each node in
   * turn. A follower's 307 names the leader: followed where the answer can be read (Node);
   * a browser hides a redirect it is not to follow (the node is another origin), so there
   * the next node is tried.
   */
  async #propose(command: unknown): Promise<{ readonly node: NodeId; readonly index: number }> {
    const { key, value } = proposalWrite(command);
    const path = `/kv/${encodeURIComponent(key)}`;
    const byTerm = [...this.#views.values()]
      .filter((view) => view.up === true)
      .sort((a, b) => rank(b.summary) - rank(a.summary));
    const tried = new Set<string>();
    let problem = 'no node is up';
    const queue: string[] = byTerm.map((view) => `${trimSlash(view.node.clientUrl)}${path}`);
    for (let attempt = 0; queue.length > 0 && attempt < this.ids.length + MAX_PROPOSAL_HOPS; attempt++) {
      const url = queue.shift()!;
      if (tried.has(url)) continue;
      tried.add(url);
      let response: Response;
      try {
        response = await this.#send('PUT', url, { value }, 'manual');
      } catch (error) {
        problem = `${url}: ${(error as Error).message}`;
        continue;
      }
      if (response.type === 'opaqueredirect') {
        problem = `${url} does not lead`;
        continue;
      }
      const body = (await response.json().catch(() => ({}))) as WriteAnswer;
      if (response.ok && typeof body.index === 'number') return { node: this.#idOf(url), index: body.index };
      problem = body.message ?? `${url} answered ${response.status}`;
      const location = response.headers.get('location');
      if (response.status === 307 && location !== null) queue.unshift(location);
      // 503: this node knows no leader (an election) or cannot name its URL: another may.
      else if (response.status !== 503) throw new Error(problem);
    }
    throw new Error(`not proposed: ${problem}`);
  }

  #idOf(url: string): NodeId {
    const found = [...this.#views.values()].find((view) =>
      url.startsWith(`${trimSlash(view.node.clientUrl)}/`),
    );
    return found?.node.id ?? url;
  }

  async #supervise(
    supervisor: string,
    id: NodeId,
    action: 'kill' | 'restart',
    description: string,
  ): Promise<void> {
    const response = await this.#post(
      `${trimSlash(supervisor)}/api/nodes/${encodeURIComponent(id)}/${action}`,
      undefined,
    );
    if (!response.ok) {
      // The supervisor's refusals are {error, message}; the message says what to do.
      const body = (await response.json().catch(() => ({}))) as { message?: unknown };
      const why = typeof body.message === 'string' ? body.message : `it answered ${response.status}`;
      throw new Error(`the supervisor did not ${action} ${id}: ${why}`);
    }
    this.#fault(description);
  }

  #post(url: string, body: unknown): Promise<Response> {
    return this.#send('POST', url, body, 'follow');
  }

  #send(method: string, url: string, body: unknown, redirect: 'manual' | 'follow'): Promise<Response> {
    const { token } = this.#options;
    return fetch(url, {
      method,
      redirect,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }
}

/** Who most likely leads: a leader of the highest term, then the highest term. */
function rank(summary: NodeSummary | null): number {
  if (summary === null) return -1;
  return summary.term * 2 + (summary.role === 'leader' ? 1 : 0);
}

function trimSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}
