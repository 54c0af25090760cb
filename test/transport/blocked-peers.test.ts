/**
 * setBlocked over real sockets on 127.0.0.1: a blocked peer's frames are dropped both ways
 * (or one way) and counted, while the connections stay up, so unblocking is instant.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { Sockets, node, requestVote, sleep, startCluster, waitFor } from './helpers.js';

const sockets = new Sockets();
afterEach(() => sockets.cleanup());

/** How many times the transport connected to or accepted a peer. */
const connections = (lines: readonly { message: string }[]) =>
  lines.filter((line) => line.message.startsWith('peer connected')).length;

describe('setBlocked', () => {
  it('drops every frame to and from a blocked peer, counts them, and heals at once', async () => {
    const nodes = await startCluster(sockets, ['a', 'b', 'c']);
    const [a, b, c] = ['a', 'b', 'c'].map((id) => node(nodes, id));
    a!.transport.send(requestVote('a', 'b', 1));
    b!.transport.send(requestVote('b', 'a', 1));
    await waitFor('the links up', () => a!.delivered.length === 1 && b!.delivered.length === 1);
    await waitFor('every link up both ways', () => connections(a!.logger.lines) === 4);

    a!.transport.setBlocked(['b']);
    expect(a!.transport.blocked()).toEqual({ outbound: ['b'], inbound: ['b'] });
    a!.transport.send(requestVote('a', 'b', 2));
    b!.transport.send(requestVote('b', 'a', 2));
    a!.transport.send(requestVote('a', 'c', 2)); // c is not blocked
    await waitFor('c gets its message', () => c!.delivered.length === 1);
    await waitFor("b's frame reaches a and is dropped", () => a!.transport.stats().blocked === 2);
    await sleep(50);
    expect(a!.delivered).toHaveLength(1);
    expect(b!.delivered).toHaveLength(1);
    expect(b!.transport.stats().blocked).toBe(0); // b sent it; a dropped it

    a!.transport.setBlocked([]);
    a!.transport.send(requestVote('a', 'b', 3));
    b!.transport.send(requestVote('b', 'a', 3));
    await waitFor('both ways again', () => a!.delivered.length === 2 && b!.delivered.length === 2);
    expect(connections(a!.logger.lines)).toBe(4); // no reconnect was needed
  });

  it('blocks one direction on its own', async () => {
    const nodes = await startCluster(sockets, ['a', 'b']);
    const [a, b] = ['a', 'b'].map((id) => node(nodes, id));
    a!.transport.setBlocked({ outbound: ['b'] });
    expect(a!.transport.blocked()).toEqual({ outbound: ['b'], inbound: [] });
    a!.transport.send(requestVote('a', 'b', 1));
    b!.transport.send(requestVote('b', 'a', 1));
    await waitFor('b to a passes', () => a!.delivered.length === 1);
    expect(a!.transport.stats().blocked).toBe(1);
    expect(b!.delivered).toHaveLength(0);

    // `peers` and a direction add up; each call replaces the sets.
    b!.transport.setBlocked({ peers: [], inbound: ['a'] });
    expect(b!.transport.blocked()).toEqual({ outbound: [], inbound: ['a'] });
  });

  it('refuses an id that is not a peer', async () => {
    const nodes = await startCluster(sockets, ['a', 'b']);
    const { transport } = node(nodes, 'a');
    expect(() => transport.setBlocked(['z'])).toThrow(ConfigError);
    expect(() => transport.setBlocked(['z'])).toThrow(/"z": it is not a peer of this node \(peers: b\)/);
    expect(transport.blocked()).toEqual({ outbound: [], inbound: [] });
  });
});
