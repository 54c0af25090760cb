/**
 * `raftchart node --inspect`: a real node process serves its inspection feed on 127.0.0.1,
 * says so in its log, and a client sees it lead.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { FeedFrame } from '../../src/inspect/feed-protocol.js';
import { ProcessCluster } from '../cluster/process-cluster.js';
import { Sockets, waitFor } from '../transport/helpers.js';

const sockets = new Sockets();
let cluster: ProcessCluster | undefined;

afterEach(async () => {
  await sockets.cleanup();
  await cluster?.destroy();
  cluster = undefined;
});

describe('raftchart node --inspect', () => {
  it("serves the node's feed: a client sees its steps as leader", async () => {
    cluster = await ProcessCluster.create(1, { inspect: true });
    await cluster.waitForOutput('n1', /inspection feed served/, 30_000);
    expect(cluster.output('n1')).toMatch(/"access":"loopback: no token"/);
    const frames: FeedFrame[] = [];
    const socket = sockets.trackSocket(new WebSocket(cluster.feedUrl('n1')));
    socket.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString()) as FeedFrame));
    await waitFor(
      'a step as leader',
      () => frames.some((f) => f.type === 'step' && f.summary.role === 'leader'),
      30_000,
    );
    expect(frames[0]).toMatchObject({ type: 'feedHello', node: 'n1', ids: ['n1'] });
    expect(frames[1]).toMatchObject({ type: 'nodeUp', node: 'n1' });
  });
});
