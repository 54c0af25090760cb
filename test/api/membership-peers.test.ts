/** A transport's peer links follow the configuration in force (src/api/membership-peers.ts). */
import { describe, expect, it } from 'vitest';
import type { ClusterConfig, RaftMessage } from '../../machines/index.js';
import { peersFor, transportFollower } from '../../src/api/membership-peers.js';
import { hasDynamicPeers } from '../../src/transport/dynamic-peers.js';
import type { Transport } from '../../src/node/providers.js';

const config = (
  voters: string[],
  learners: string[] = [],
  addresses: Record<string, string> = {},
): ClusterConfig => ({
  voters,
  learners,
  addresses,
});

class FakeTransport implements Transport {
  current: Record<string, string>;
  readonly calls: Record<string, string>[] = [];
  constructor(initial: Record<string, string>) {
    this.current = { ...initial };
  }
  listen(_deliver: (message: RaftMessage) => void): void {}
  send(_message: RaftMessage): void {}
  close(): void {}
  setPeers(peers: Readonly<Record<string, string>>): void {
    this.current = { ...peers };
    this.calls.push({ ...peers });
  }
  peers(): Readonly<Record<string, string>> {
    return this.current;
  }
}

describe('peersFor', () => {
  const known = { b: 'ws://b', c: 'ws://c' };

  it('links every other member, learners too, from the configuration or else the known addresses', () => {
    expect(peersFor(config(['a', 'b', 'c'], ['d'], { d: 'ws://d' }), 'a', known)).toEqual({
      b: 'ws://b',
      c: 'ws://c',
      d: 'ws://d',
    });
  });

  it('drops removed members and members with no address anywhere', () => {
    expect(peersFor(config(['a', 'b'], ['e']), 'a', known)).toEqual({ b: 'ws://b' });
  });

  it("changes nothing for a joining node's empty configuration", () => {
    expect(peersFor(config([]), 'd', known)).toBeNull();
  });
});

describe('transportFollower', () => {
  it('links a member as soon as a configuration names it, and unlinks a removed one only once its removal commits', () => {
    const transport = new FakeTransport({ b: 'ws://b', c: 'ws://c' });
    expect(hasDynamicPeers(transport)).toBe(true);
    const follow = transportFollower(transport, 'a');
    const added = config(['a', 'b', 'c'], ['d'], { d: 'ws://d' });
    follow.inForce(added);
    expect(transport.current).toEqual({ b: 'ws://b', c: 'ws://c', d: 'ws://d' });
    const removed = config(['a', 'b', 'd'], [], { d: 'ws://d' });
    follow.inForce(removed);
    expect(transport.current).toEqual({ b: 'ws://b', c: 'ws://c', d: 'ws://d' }); // c still reachable
    follow.committed(removed);
    expect(transport.current).toEqual({ b: 'ws://b', d: 'ws://d' });
    // Added back without an address: the one known before.
    follow.committed(config(['a', 'b', 'c', 'd'], [], {}));
    expect(transport.current).toEqual({ b: 'ws://b', c: 'ws://c', d: 'ws://d' });
  });

  it('leaves a transport without setPeers alone', () => {
    const plain: Transport = { listen: () => {}, send: () => {}, close: () => {} };
    expect(hasDynamicPeers(plain)).toBe(false);
  });
});
