/**
 * The live source against three real `raftchart node --inspect` processes on 127.0.0.1, in
 * Node 20 (global fetch; `ws` as the WebSocket): it sees a leader, proposes to it (a
 * key/value write), partitions it away through the nodes' control endpoints and sees a new
 * leader elected, a killed node go down and come back (still cut off, its blocks sent
 * again), and heals.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ClusterSource } from '../../src/inspect/cluster-source.js';
import type { InspectEvent, NodeSummary } from '../../src/inspect/inspect-event.js';
import type { FeedSocketConstructor } from '../../src/inspect/live-source.js';
import { PROPOSAL_KEY, connectLiveSource, proposalWrite } from '../../src/inspect/live-source.js';
import { createRaftNode } from '../../src/api/create-raft-node.js';
import { serveInspectionFeed } from '../../src/inspect/feed-server.js';
import { inspectToken } from '../../src/inspect/inspect-token.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { ProcessCluster } from '../cluster/process-cluster.js';
import { HOST, SECRET, waitFor } from '../transport/helpers.js';

let cluster: ProcessCluster | undefined;
let source: ClusterSource | undefined;
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await source?.close();
  source = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await cluster?.destroy();
  cluster = undefined;
});

/** What the events say of each node now. */
class Watcher {
  readonly events: InspectEvent[] = [];
  readonly summaries = new Map<string, NodeSummary>();
  readonly up = new Map<string, boolean>();

  constructor(live: ClusterSource) {
    live.subscribe((event) => {
      this.events.push(event);
      if (event.type === 'nodeUp' || event.type === 'step') this.summaries.set(event.node, event.summary);
      if (event.type === 'nodeUp') this.up.set(event.node, true);
      if (event.type === 'nodeDown') this.up.set(event.node, false);
    });
  }

  /** The leader of the highest term that a majority of the running nodes is in. */
  leader(among: readonly string[]): { id: string; term: number } | null {
    const summaries = among
      .filter((id) => this.up.get(id))
      .map((id) => [id, this.summaries.get(id)] as const);
    for (const [id, summary] of summaries) {
      if (summary?.role !== 'leader') continue;
      const agree = summaries.filter(([, s]) => s?.term === summary.term && s.leaderId === id).length;
      if (agree >= 2) return { id, term: summary.term };
    }
    return null;
  }

  async waitForLeader(among: readonly string[], what: string) {
    await waitFor(what, () => this.leader(among) !== null, 60_000);
    return this.leader(among)!;
  }
}

describe('the live source', () => {
  it('sees a leader, partitions it away, sees a new one, and heals', async () => {
    cluster = await ProcessCluster.create(3, { inspect: true });
    const ids = cluster.ids;
    source = connectLiveSource({
      nodes: ids.map((id) => ({ id, feedUrl: cluster!.feedUrl(id), clientUrl: cluster!.clientUrl(id) })),
      WebSocketImpl: WebSocket as unknown as FeedSocketConstructor,
      reconnectMs: 50,
    });
    expect(source).toMatchObject({ kind: 'live', ids, time: null });
    expect(source.label).toContain(cluster.feedUrl('n1'));
    // Without a supervisor, processes cannot be killed from the page.
    expect(source.controls.crash).toBeUndefined();
    const controls = source.controls as Required<
      Pick<typeof source.controls, 'propose' | 'partition' | 'heal'>
    >;
    const watch = new Watcher(source);

    const first = await watch.waitForLeader(ids, 'a leader');
    expect(await controls.propose({ hello: 1 })).toMatchObject({ node: first.id, index: expect.any(Number) });
    // `key=value` sets that key; anything else is written to PROPOSAL_KEY.
    await controls.propose('x=1');
    const read = async (key: string) =>
      ((await (await fetch(`${cluster!.clientUrl(first.id)}/kv/${key}`)).json()) as { value?: string }).value;
    expect(await read('x')).toBe('1');
    expect(await read(PROPOSAL_KEY)).toBe('{"hello":1}');

    const others = ids.filter((id) => id !== first.id);
    await controls.partition([[first.id], others]);
    expect(watch.events).toContainEqual(
      expect.objectContaining({ type: 'fault', description: expect.stringMatching(/^partitioned/) }),
    );
    const second = await watch.waitForLeader(others, 'a new leader among the other two');
    expect(second.term).toBeGreaterThan(first.term);
    await waitFor(
      "the old leader's messages dropped by its blocks",
      () =>
        watch.events.some(
          (e) => e.type === 'message' && e.phase === 'dropped' && e.message.from === first.id,
        ),
      30_000,
    );
    // A proposal finds the new leader.
    expect((await controls.propose({ hello: 2 })).node).toBe(second.id);

    // Killed: down; restarted: up again, and still cut off (its blocks were sent again).
    await cluster.signal(first.id, 'SIGKILL');
    await waitFor('the killed node down', () => watch.up.get(first.id) === false, 30_000);
    cluster.start(first.id);
    await waitFor('the restarted node up', () => watch.up.get(first.id) === true, 60_000);
    const since = watch.events.length;
    await waitFor(
      'the restarted node cut off again',
      () =>
        watch.events
          .slice(since)
          .some((e) => e.type === 'message' && e.phase === 'dropped' && e.message.from === first.id),
      60_000,
    );

    await controls.heal();
    await waitFor(
      'all three following one leader',
      () => {
        const leader = watch.leader(ids);
        return leader !== null && ids.every((id) => watch.summaries.get(id)?.leaderId === leader.id);
      },
      60_000,
    );
  });
});

describe('a proposal from the page', () => {
  it('is a key/value write: key=value sets the key, other text or JSON goes to PROPOSAL_KEY', () => {
    expect(proposalWrite('x=1')).toEqual({ key: 'x', value: '1' });
    expect(proposalWrite('a/b=c=d')).toEqual({ key: 'a/b', value: 'c=d' });
    expect(proposalWrite('=1')).toEqual({ key: PROPOSAL_KEY, value: '=1' });
    expect(proposalWrite('hello')).toEqual({ key: PROPOSAL_KEY, value: 'hello' });
    expect(proposalWrite({ n: 1 })).toEqual({ key: PROPOSAL_KEY, value: '{"n":1}' });
    expect(proposalWrite(7)).toEqual({ key: PROPOSAL_KEY, value: '7' });
  });
});

describe('the live source and a feed with a secret', () => {
  async function securedFeed(): Promise<string> {
    const node = createRaftNode({
      id: 'a',
      peers: [],
      transport: { listen: () => {}, send: () => {}, close: () => {} },
      storage: new MemoryStorage(),
      stateMachine: { apply: () => undefined, snapshot: () => '', restore: () => {} },
    });
    await node.start();
    const feed = await serveInspectionFeed(node, { host: HOST, port: 0, secret: SECRET });
    cleanups.push(
      () => feed.close(),
      () => node.stop(),
    );
    return feed.url;
  }

  const open = (feedUrl: string, token: string) =>
    connectLiveSource({
      nodes: [{ id: 'a', feedUrl, clientUrl: 'http://127.0.0.1:1' }],
      token,
      WebSocketImpl: WebSocket as unknown as FeedSocketConstructor,
      reconnectMs: 20,
    });

  it('opens it with the token', async () => {
    source = open(await securedFeed(), inspectToken(SECRET));
    const watch = new Watcher(source);
    await waitFor('the node up', () => watch.up.get('a') === true, 30_000);
  });

  it('shows the node down with why when the token is wrong, and does not retry', async () => {
    source = open(await securedFeed(), 'not-the-token');
    const events: InspectEvent[] = [];
    source.subscribe((event) => events.push(event));
    expect(events).toEqual([
      expect.objectContaining({ type: 'nodeDown', reason: expect.stringMatching(/connecting/) }),
    ]);
    await waitFor('the refusal', () => events.length === 2, 30_000);
    expect(events[1]).toMatchObject({
      type: 'nodeDown',
      reason: expect.stringMatching(/refused this page.*token/),
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(events).toHaveLength(2);
  });
});
