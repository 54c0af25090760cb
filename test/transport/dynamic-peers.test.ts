/**
 * setPeers over real sockets on 127.0.0.1: a peer added at run time is linked and accepted
 * (messages both ways, the existing links untouched); a removed peer loses its link, its
 * queued frames and its inbound connection, and nothing it sends is delivered any more; a
 * peer that moved gets a new link; bad peers are refused before anything changes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import type { Transport } from '../../src/node/providers.js';
import { CLOSE_NOT_A_PEER } from '../../src/transport/close-codes.js';
import { hasDynamicPeers } from '../../src/transport/dynamic-peers.js';
import type { LogLine } from './helpers.js';
import {
  Sockets,
  freePort,
  makeNode,
  node,
  requestVote,
  sleep,
  startCluster,
  url,
  waitFor,
} from './helpers.js';

const sockets = new Sockets();
afterEach(() => sockets.cleanup());

/** How many connections (either direction) the lines record with `peer`. */
const connectionsWith = (lines: readonly LogLine[], peer: string) =>
  lines.filter((line) => line.message.startsWith('peer connected') && line.details.peer === peer).length;

describe('setPeers', () => {
  it('links a peer added later, both ways, and leaves the existing links as they were', async () => {
    const nodes = await startCluster(sockets, ['a', 'b']);
    const [a, b] = [node(nodes, 'a'), node(nodes, 'b')];
    a.transport.send(requestVote('a', 'b', 1));
    b.transport.send(requestVote('b', 'a', 1));
    await waitFor('a and b linked', () => a.delivered.length === 1 && b.delivered.length === 1);
    await waitFor('both directions up', () => connectionsWith(a.logger.lines, 'b') === 2);

    // c knows a and b, but they do not know it yet: a refuses it, and c's frame waits.
    const c = makeNode(sockets, 'c', await freePort(), { a: url(a.port), b: url(b.port) });
    await c.transport.start();
    c.transport.send(requestVote('c', 'a', 1));
    await waitFor('a refuses c', () => a.transport.stats().refusedConnections >= 1);
    expect(a.delivered).toHaveLength(1);
    // And a cannot address it.
    a.transport.send(requestVote('a', 'c', 2));
    expect(a.transport.stats().dropped).toBe(1);

    a.transport.setPeers({ b: url(b.port), c: url(c.port) });
    b.transport.setPeers({ a: url(a.port), c: url(c.port) });
    expect(a.transport.peers()).toEqual({ b: url(b.port), c: url(c.port) });
    a.transport.send(requestVote('a', 'c', 3));
    b.transport.send(requestVote('b', 'c', 3));
    c.transport.send(requestVote('c', 'b', 2));
    await waitFor(
      'c reaches a (its queued frame) and b',
      () => a.delivered.length === 2 && b.delivered.length === 2,
    );
    await waitFor('a and b reach c', () => c.delivered.length === 2);
    expect(a.delivered[1]).toEqual(requestVote('c', 'a', 1));
    expect(c.delivered.map((m) => m.from).sort()).toEqual(['a', 'b']);
    // a's link to b and b's to a never reconnected.
    expect(connectionsWith(a.logger.lines, 'b')).toBe(2);
    a.transport.send(requestVote('a', 'b', 4));
    await waitFor('a still reaches b', () => b.delivered.length === 3);
    expect(a.logger.lines).toContainEqual(
      expect.objectContaining({
        message: 'peers changed',
        details: { node: 'a', added: ['c'], removed: [], moved: [] },
      }),
    );
  });

  it("closes a removed peer's links both ways: nothing more goes to it or comes from it", async () => {
    const nodes = await startCluster(sockets, ['a', 'b', 'c']);
    const [a, b, c] = ['a', 'b', 'c'].map((id) => node(nodes, id));
    a!.transport.send(requestVote('a', 'c', 1));
    c!.transport.send(requestVote('c', 'a', 1));
    await waitFor('a and c linked', () => a!.delivered.length === 1 && c!.delivered.length === 1);
    a!.transport.setBlocked({ inbound: ['c'] });

    a!.transport.setPeers({ b: url(b!.port) });
    expect(a!.transport.peers()).toEqual({ b: url(b!.port) });
    // Its block goes with it; it can no longer be blocked.
    expect(a!.transport.blocked()).toEqual({ outbound: [], inbound: [] });
    expect(() => a!.transport.setBlocked(['c'])).toThrow(ConfigError);
    // c sees its connection to a closed as no longer a peer, then a refuses its reconnects.
    await waitFor('c told it is no longer a peer', () =>
      c!.logger.lines.some((line) => line.details.peer === 'a' && line.details.code === CLOSE_NOT_A_PEER),
    );
    const refusedBefore = a!.transport.stats().refusedConnections;
    await waitFor('a refuses c reconnecting', () => a!.transport.stats().refusedConnections > refusedBefore);

    const dropped = a!.transport.stats().dropped;
    a!.transport.send(requestVote('a', 'c', 2));
    expect(a!.transport.stats().dropped).toBe(dropped + 1);
    c!.transport.send(requestVote('c', 'a', 2));
    a!.transport.send(requestVote('a', 'b', 2)); // b is still a peer
    await waitFor('b gets its message', () => b!.delivered.length === 1);
    await sleep(100);
    expect(a!.delivered).toHaveLength(1);
    expect(c!.delivered).toHaveLength(1);
    expect(c!.transport.stats().queued).toBe(1); // c's frame waits for a link a refuses
  });

  it("drops a removed peer's queued frames, counting them", async () => {
    const a = makeNode(sockets, 'a', await freePort(), { z: url(await freePort()) });
    await a.transport.start();
    for (let i = 1; i <= 3; i++) a.transport.send(requestVote('a', 'z', i));
    expect(a.transport.stats()).toMatchObject({ queued: 3, dropped: 0 });
    a.transport.setPeers({});
    expect(a.transport.stats()).toMatchObject({ queued: 0, dropped: 3 });
    expect(a.transport.peers()).toEqual({});
  });

  it('replaces the link of a peer that moved to a new URL', async () => {
    const nodes = await startCluster(sockets, ['a', 'b']);
    const [a, b] = [node(nodes, 'a'), node(nodes, 'b')];
    a.transport.send(requestVote('a', 'b', 1));
    await waitFor('a reaches b', () => b.delivered.length === 1);
    await b.transport.stop();
    const moved = makeNode(sockets, 'b', await freePort(), { a: url(a.port) });
    await moved.transport.start();

    a.transport.setPeers({ b: url(moved.port) });
    a.transport.send(requestVote('a', 'b', 2));
    moved.transport.send(requestVote('b', 'a', 2));
    await waitFor('a and the moved b linked', () => moved.delivered.length === 1 && a.delivered.length === 1);
    expect(moved.delivered[0]).toEqual(requestVote('a', 'b', 2));
    expect(a.logger.lines).toContainEqual(
      expect.objectContaining({
        message: 'peers changed',
        details: { node: 'a', added: [], removed: [], moved: ['b'] },
      }),
    );
  });

  it('links peers set before start once it starts', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const a = makeNode(sockets, 'a', portA, {});
    const b = makeNode(sockets, 'b', portB, { a: url(portA) });
    a.transport.setPeers({ b: url(portB) });
    a.transport.send(requestVote('a', 'b', 1)); // queued until the link is up
    await Promise.all([a.transport.start(), b.transport.start()]);
    b.transport.send(requestVote('b', 'a', 1));
    await waitFor('both ways', () => a.delivered.length === 1 && b.delivered.length === 1);
  });

  it('refuses a bad peer set and changes nothing', async () => {
    const nodes = await startCluster(sockets, ['a', 'b']);
    const { transport } = node(nodes, 'a');
    const before = transport.peers();
    expect(() => transport.setPeers({ a: 'ws://127.0.0.1:1', c: 'ws://127.0.0.1:2' })).toThrow(
      /setPeers must list the other nodes only, but it includes "a"/,
    );
    expect(() => transport.setPeers({ c: 'http://127.0.0.1:2' })).toThrow(ConfigError);
    expect(() => transport.setPeers({ '': 'ws://127.0.0.1:2' })).toThrow(ConfigError);
    expect(transport.peers()).toEqual(before);
  });

  it('has no effect once the transport is closed', async () => {
    const nodes = await startCluster(sockets, ['a', 'b']);
    const { transport } = node(nodes, 'a');
    await transport.stop();
    transport.setPeers({ c: 'ws://127.0.0.1:2' });
    expect(Object.keys(transport.peers())).toEqual(['b']);
  });

  it('is detected by hasDynamicPeers on the WebSocket transport only', async () => {
    const a = makeNode(sockets, 'a', await freePort(), {});
    const plain: Transport = { listen: () => {}, send: () => {}, close: () => {} };
    expect(hasDynamicPeers(a.transport)).toBe(true);
    expect(hasDynamicPeers(plain)).toBe(false);
  });
});
