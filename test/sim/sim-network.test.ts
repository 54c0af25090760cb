/** The simulated network against the course's labrpc semantics, driven on a simulated clock. */
import { describe, expect, it } from 'vitest';
import type {
  AppendEntries,
  NodeId,
  RaftMessage,
  RaftReply,
  RaftRequest,
  RequestVote,
} from '../../machines/index.js';
import { isRequest } from '../../machines/index.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import { SimClock } from '../../src/sim/sim-clock.js';
import type { SimEndpoint, WireCodec } from '../../src/sim/sim-network.js';
import { SimNetwork } from '../../src/sim/sim-network.js';

interface Received {
  readonly at: number;
  readonly message: RaftMessage;
}

interface TestNode {
  readonly endpoint: SimEndpoint;
  readonly inbox: Received[];
}

function setup(seed = 1, codec?: WireCodec) {
  const clock = new SimClock();
  const network = new SimNetwork(clock, new SeededRandom(seed, 'network'), codec);
  return { clock, network };
}

/** Attaches a new incarnation of `id` that records what it receives (and answers, if asked). */
function join(
  network: SimNetwork,
  clock: SimClock,
  id: NodeId,
  options: { server?: boolean; autoReply?: boolean } = {},
): TestNode {
  const endpoint = network.attach(id);
  const inbox: Received[] = [];
  endpoint.listen((message) => {
    inbox.push({ at: clock.now(), message });
    if (options.autoReply && isRequest(message)) endpoint.send(replyTo(message));
  });
  if (options.server ?? true) network.addServer(endpoint);
  return { endpoint, inbox };
}

function linkBoth(network: SimNetwork, a: NodeId, b: NodeId): void {
  network.setLink(a, b, true);
  network.setLink(b, a, true);
}

let rpcIds = 1;

function vote(from: NodeId, to: NodeId, rpcId = rpcIds++): RequestVote {
  return { type: 'RequestVote', from, to, term: 3, rpcId, lastLogIndex: 7, lastLogTerm: 2 };
}

function replyTo(request: RaftRequest, overrides: Partial<RaftReply> = {}): RaftReply {
  return {
    type: 'RequestVoteReply',
    from: request.to,
    to: request.from,
    term: request.term,
    inReplyTo: request.rpcId,
    voteGranted: true,
    ...overrides,
  } as RaftReply;
}

function bytes(message: RaftMessage): number {
  return Buffer.byteLength(JSON.stringify(message));
}

/** Lets the network deliver what is due now (reliable mode delivers after 0 ms). */
async function flush(clock: SimClock): Promise<void> {
  await clock.runFor(1);
}

function messages(node: TestNode): RaftMessage[] {
  return node.inbox.map((r) => r.message);
}

describe('requests', () => {
  it('reach the server over an enabled link, as a copy', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b');
    linkBoth(network, 'a', 'b');
    const request: AppendEntries = {
      type: 'AppendEntries',
      from: 'a',
      to: 'b',
      term: 2,
      rpcId: 41,
      prevLogIndex: 1,
      prevLogTerm: 1,
      entries: [{ term: 2, command: { key: 'x', value: [1, 2] } }],
      leaderCommit: 1,
    };
    a.endpoint.send(request);
    expect(b.inbox).toEqual([]); // fire and forget: nothing is delivered inside send
    await flush(clock);
    expect(messages(b)).toEqual([request]);
    const delivered = b.inbox[0]!.message as AppendEntries;
    expect(delivered).not.toBe(request);
    expect(delivered.entries).not.toBe(request.entries);
    expect(delivered.entries[0]).not.toBe(request.entries[0]);
    expect(b.inbox[0]!.at).toBe(0); // a reliable network adds no delay
    expect(a.inbox).toEqual([]);
    expect(network.totalCount).toBe(1);
    expect(network.totalBytes).toBe(bytes(request));
    expect(network.rpcCount('b')).toBe(1);
    expect(network.rpcCount('a')).toBe(0);
  });

  it('are encoded when sent: later changes to the sender object do not reach the receiver', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b');
    linkBoth(network, 'a', 'b');
    const entries = [{ term: 1, command: 'x' }];
    const request: AppendEntries = {
      type: 'AppendEntries',
      from: 'a',
      to: 'b',
      term: 1,
      rpcId: 1,
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries,
      leaderCommit: 0,
    };
    a.endpoint.send(request);
    entries.push({ term: 1, command: 'y' });
    await flush(clock);
    expect((b.inbox[0]!.message as AppendEntries).entries).toEqual([{ term: 1, command: 'x' }]);
  });

  it('only use the sender-to-server direction of a link', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b');
    network.setLink('b', 'a', true); // b -> a only
    a.endpoint.send(vote('a', 'b'));
    b.endpoint.send(vote('b', 'a'));
    await flush(clock);
    expect(b.inbox).toEqual([]);
    expect(a.inbox).toHaveLength(1);
    expect(network.rpcCount('a')).toBe(1);
    expect(network.rpcCount('b')).toBe(0);
  });

  it('over a disabled link are counted but not delivered', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b');
    const first = vote('a', 'b');
    a.endpoint.send(first); // links start disabled
    linkBoth(network, 'a', 'b');
    network.setLink('a', 'b', false);
    const second = vote('a', 'b');
    a.endpoint.send(second);
    await clock.runFor(10_000);
    expect(b.inbox).toEqual([]);
    expect(network.totalCount).toBe(2);
    expect(network.totalBytes).toBe(bytes(first) + bytes(second));
    expect(network.rpcCount('b')).toBe(0);
  });

  it('to a node with no server are counted but not delivered', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b', { server: false });
    linkBoth(network, 'a', 'b');
    const request = vote('a', 'b');
    a.endpoint.send(request);
    const nowhere = vote('a', 'nobody');
    network.setLink('a', 'nobody', true);
    a.endpoint.send(nowhere);
    await clock.runFor(10_000);
    expect(b.inbox).toEqual([]);
    expect(network.totalCount).toBe(2);
    expect(network.totalBytes).toBe(bytes(request) + bytes(nowhere));
    expect(network.rpcCount('b')).toBe(0);
    expect(network.rpcCount('nobody')).toBe(0);
  });

  it('to a deleted server are counted but not delivered', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b');
    linkBoth(network, 'a', 'b');
    a.endpoint.send(vote('a', 'b'));
    await flush(clock);
    expect(network.rpcCount('b')).toBe(1);
    network.deleteServer('b');
    expect(network.rpcCount('b')).toBe(0);
    const request = vote('a', 'b');
    a.endpoint.send(request);
    await clock.runFor(10_000);
    expect(b.inbox).toHaveLength(1);
    expect(network.totalCount).toBe(2);
    expect(network.rpcCount('b')).toBe(0);
    network.deleteServer('b'); // deleting again is harmless
    network.deleteServer('never-existed');
    expect(network.totalCount).toBe(2);
  });

  it('are refused when the message does not come from the sending endpoint', () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    join(network, clock, 'b');
    linkBoth(network, 'a', 'b');
    expect(() => a.endpoint.send(vote('c', 'b'))).toThrow(/cannot send as c/);
    expect(network.totalCount).toBe(0);
  });

  it('count bytes with the network codec', async () => {
    const padded: WireCodec = {
      encode: (message) => JSON.stringify(message) + ' '.repeat(100),
      decode: (encoded) => JSON.parse(encoded) as RaftMessage,
    };
    const { clock, network } = setup(1, padded);
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b', { autoReply: true });
    linkBoth(network, 'a', 'b');
    const request = vote('a', 'b');
    a.endpoint.send(request);
    await flush(clock);
    expect(messages(b)).toEqual([request]);
    expect(network.totalBytes).toBe(bytes(request) + 100 + bytes(replyTo(request)) + 100);
  });
});

describe('rpcCount', () => {
  it('counts requests dispatched to a server, not those lost on the way', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    const c = join(network, clock, 'c');
    join(network, clock, 'b');
    network.setLink('a', 'b', true);
    for (let i = 0; i < 3; i++) a.endpoint.send(vote('a', 'b'));
    for (let i = 0; i < 4; i++) c.endpoint.send(vote('c', 'b')); // c -> b is disabled
    await flush(clock);
    expect(network.rpcCount('b')).toBe(3);
    expect(network.totalCount).toBe(7);
  });

  it('counts a dispatched request whose reply is lost', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b');
    linkBoth(network, 'a', 'b');
    const request = vote('a', 'b');
    a.endpoint.send(request);
    await flush(clock);
    network.setLink('a', 'b', false);
    b.endpoint.send(replyTo(request));
    await flush(clock);
    expect(a.inbox).toEqual([]);
    expect(network.rpcCount('b')).toBe(1);
  });

  it('restarts at 0 for a new server incarnation', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    join(network, clock, 'b');
    linkBoth(network, 'a', 'b');
    for (let i = 0; i < 5; i++) a.endpoint.send(vote('a', 'b'));
    await flush(clock);
    expect(network.rpcCount('b')).toBe(5);

    network.deleteServer('b');
    const b2 = join(network, clock, 'b');
    expect(network.rpcCount('b')).toBe(0);
    network.setLink('a', 'b', true);
    for (let i = 0; i < 2; i++) a.endpoint.send(vote('a', 'b'));
    await flush(clock);
    expect(b2.inbox).toHaveLength(2);
    expect(network.rpcCount('b')).toBe(2);

    network.addServer(b2.endpoint); // the same endpoint as a new server object
    expect(network.rpcCount('b')).toBe(0);
  });
});

describe('replies', () => {
  it('reach the caller as a copy, and their bytes are counted', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b');
    linkBoth(network, 'a', 'b');
    const request = vote('a', 'b');
    a.endpoint.send(request);
    await flush(clock);
    const reply = replyTo(request);
    b.endpoint.send(reply);
    expect(a.inbox).toEqual([]);
    await flush(clock);
    expect(messages(a)).toEqual([reply]);
    expect(a.inbox[0]!.message).not.toBe(reply);
    expect(network.totalCount).toBe(1); // replies are not calls
    expect(network.totalBytes).toBe(bytes(request) + bytes(reply));
    expect(network.strayReplies).toBe(0);
  });

  it('need only the caller-to-server link: the server-to-caller direction does not matter', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    join(network, clock, 'b', { autoReply: true });
    network.setLink('a', 'b', true);
    const request = vote('a', 'b');
    a.endpoint.send(request);
    await flush(clock);
    expect(messages(a)).toEqual([replyTo(request)]);
  });

  it('are lost when the caller-to-server link was disabled before the reply', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b');
    linkBoth(network, 'a', 'b');
    const request = vote('a', 'b');
    a.endpoint.send(request);
    await flush(clock);
    expect(b.inbox).toHaveLength(1);
    network.setLink('a', 'b', false);
    b.endpoint.send(replyTo(request));
    await clock.runFor(10_000);
    expect(a.inbox).toEqual([]);
    expect(network.totalBytes).toBe(bytes(request));
    expect(network.strayReplies).toBe(0);
  });

  it('are lost when the server was deleted meanwhile', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b');
    linkBoth(network, 'a', 'b');
    const request = vote('a', 'b');
    a.endpoint.send(request);
    await flush(clock);
    network.deleteServer('b');
    b.endpoint.send(replyTo(request));
    await clock.runFor(10_000);
    expect(a.inbox).toEqual([]);
    expect(network.totalBytes).toBe(bytes(request));
  });

  it('are lost when the server was replaced meanwhile, even by the same endpoint', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b');
    linkBoth(network, 'a', 'b');
    const request = vote('a', 'b');
    a.endpoint.send(request);
    await flush(clock);
    network.addServer(b.endpoint);
    b.endpoint.send(replyTo(request));
    await clock.runFor(10_000);
    expect(a.inbox).toEqual([]);
    expect(network.totalBytes).toBe(bytes(request));
  });

  it('are lost when a new incarnation of the server answers a call made to the old one', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b');
    linkBoth(network, 'a', 'b');
    const request = vote('a', 'b');
    a.endpoint.send(request);
    await flush(clock);
    const b2 = join(network, clock, 'b');
    linkBoth(network, 'a', 'b');
    b.endpoint.send(replyTo(request)); // the old incarnation is closed: this goes nowhere
    b2.endpoint.send(replyTo(request));
    await clock.runFor(10_000);
    expect(a.inbox).toEqual([]);
    expect(network.totalBytes).toBe(bytes(request));
  });

  it('are lost when the caller restarted: the call belongs to its old incarnation', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b');
    linkBoth(network, 'a', 'b');
    const old = vote('a', 'b', 1);
    a.endpoint.send(old);
    await flush(clock);
    const a2 = join(network, clock, 'a');
    linkBoth(network, 'a', 'b');
    const fresh = vote('a', 'b', 1); // a restarted node reuses rpcIds
    a2.endpoint.send(fresh);
    await flush(clock);
    expect(b.inbox).toHaveLength(2);
    // b answers in order: the first reply matches the old incarnation's call, the second the new one's.
    b.endpoint.send(replyTo(old, { voteGranted: false } as Partial<RaftReply>));
    b.endpoint.send(replyTo(fresh));
    await flush(clock);
    expect(a.inbox).toEqual([]);
    expect(messages(a2)).toEqual([replyTo(fresh)]);
    expect(network.strayReplies).toBe(0);
    expect(network.totalBytes).toBe(bytes(old) + bytes(fresh) + bytes(replyTo(fresh)));
  });

  it('that match no pending call are counted as stray, not delivered and not counted in bytes', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b');
    const c = join(network, clock, 'c');
    linkBoth(network, 'a', 'b');
    linkBoth(network, 'a', 'c');
    const request = vote('a', 'b');
    a.endpoint.send(request);
    await flush(clock);
    const bytesBefore = network.totalBytes;

    b.endpoint.send(replyTo(request, { inReplyTo: request.rpcId + 1000 })); // unknown rpcId
    expect(network.strayReplies).toBe(1);
    c.endpoint.send(replyTo(request, { from: 'c' })); // the call went to b, not c
    expect(network.strayReplies).toBe(2);
    b.endpoint.send(replyTo(request, { to: 'c' })); // the call came from a, not c
    expect(network.strayReplies).toBe(3);
    await flush(clock);
    expect(a.inbox).toEqual([]);
    expect(c.inbox).toEqual([]);
    expect(network.totalBytes).toBe(bytesBefore);

    b.endpoint.send(replyTo(request)); // the real reply still matches
    b.endpoint.send(replyTo(request)); // a second reply to one call is stray
    await flush(clock);
    expect(messages(a)).toEqual([replyTo(request)]);
    expect(network.strayReplies).toBe(4);
  });

  it('to calls that were never made are stray even between linked nodes', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b');
    linkBoth(network, 'a', 'b');
    b.endpoint.send(replyTo(vote('a', 'b')));
    await flush(clock);
    expect(a.inbox).toEqual([]);
    expect(network.strayReplies).toBe(1);
    expect(network.totalCount).toBe(0);
    expect(network.totalBytes).toBe(0);
  });

  it('match their calls by rpcId, whatever the order they are sent in', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b');
    linkBoth(network, 'a', 'b');
    const requests = [vote('a', 'b'), vote('a', 'b'), vote('a', 'b')];
    for (const request of requests) a.endpoint.send(request);
    await flush(clock);
    for (const request of [...requests].reverse()) b.endpoint.send(replyTo(request));
    await flush(clock);
    expect(messages(a)).toEqual([...requests].reverse().map((request) => replyTo(request)));
    expect(network.strayReplies).toBe(0);
  });
});

describe('endpoints', () => {
  it('a newer attach closes the old endpoint for good', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b');
    linkBoth(network, 'a', 'b');
    const a2 = join(network, clock, 'a');
    expect(a.endpoint.closed).toBe(true);
    expect(a2.endpoint.closed).toBe(false);
    expect(a.endpoint.linkEnabled('b')).toBe(false);
    a.endpoint.send(vote('a', 'b'));
    a.endpoint.setLink('b', true); // a closed endpoint cannot be re-enabled
    expect(a.endpoint.linkEnabled('b')).toBe(false);
    a.endpoint.send(vote('a', 'b'));
    await clock.runFor(10_000);
    expect(b.inbox).toEqual([]);
    expect(network.totalCount).toBe(0);
    expect(network.totalBytes).toBe(0);
  });

  it('a new incarnation starts with its links disabled', async () => {
    const { clock, network } = setup();
    join(network, clock, 'a');
    const b = join(network, clock, 'b');
    linkBoth(network, 'a', 'b');
    const a2 = join(network, clock, 'a');
    expect(a2.endpoint.linkEnabled('b')).toBe(false);
    a2.endpoint.send(vote('a', 'b'));
    await flush(clock);
    expect(b.inbox).toEqual([]);
    expect(network.totalCount).toBe(1);
    network.setLink('a', 'b', true);
    expect(a2.endpoint.linkEnabled('b')).toBe(true);
    a2.endpoint.send(vote('a', 'b'));
    await flush(clock);
    expect(b.inbox).toHaveLength(1);
  });

  it('an old incarnation no longer receives: requests go to the current server', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b');
    linkBoth(network, 'a', 'b');
    const b2 = join(network, clock, 'b');
    a.endpoint.send(vote('a', 'b'));
    await flush(clock);
    expect(b.inbox).toEqual([]);
    expect(b2.inbox).toHaveLength(1);
  });

  it('a request in flight to a server that restarts is not received by the closed endpoint', async () => {
    const { clock, network } = setup();
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b');
    linkBoth(network, 'a', 'b');
    network.setReliable(false); // requests take 0-26 ms
    for (let i = 0; i < 20; i++) a.endpoint.send(vote('a', 'b'));
    network.deleteServer('b');
    const b2 = join(network, clock, 'b');
    await clock.runFor(100);
    expect(b.inbox).toEqual([]);
    expect(b2.inbox).toEqual([]);
    expect(network.rpcCount('b')).toBe(0);
  });
});

describe('unreliable mode', () => {
  const calls = 5000;

  async function unreliableRun(seed: number) {
    const { clock, network } = setup(seed);
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b', { autoReply: true });
    linkBoth(network, 'a', 'b');
    network.setReliable(false);
    const requests = Array.from({ length: calls }, () => vote('a', 'b'));
    for (const request of requests) a.endpoint.send(request);
    await clock.runFor(1000);
    return { network, a, b, requests };
  }

  it('drops about 10% of requests and 10% of the remaining replies', async () => {
    const { network, a, b } = await unreliableRun(17);
    const dispatched = b.inbox.length;
    const answered = a.inbox.length;
    expect(dispatched / calls).toBeGreaterThan(0.87);
    expect(dispatched / calls).toBeLessThan(0.93);
    expect(answered / dispatched).toBeGreaterThan(0.87);
    expect(answered / dispatched).toBeLessThan(0.93);
    expect(network.rpcCount('b')).toBe(dispatched);
    expect(network.totalCount).toBe(calls);
  });

  it('counts the bytes of every request but only of delivered replies', async () => {
    const { network, a, requests } = await unreliableRun(18);
    const requestBytes = requests.reduce((sum, request) => sum + bytes(request), 0);
    const replyBytes = a.inbox.reduce((sum, received) => sum + bytes(received.message), 0);
    expect(a.inbox.length).toBeLessThan(calls);
    expect(network.totalBytes).toBe(requestBytes + replyBytes);
  });

  it('delays requests by 0-26 ms, every delay in that range occurring', async () => {
    const { a, b } = await unreliableRun(19);
    const delays = b.inbox.map((received) => received.at); // every request was sent at t=0
    expect(Math.min(...delays)).toBe(0);
    expect(Math.max(...delays)).toBe(26);
    expect(new Set(delays).size).toBe(27);
    const mean = delays.reduce((sum, d) => sum + d, 0) / delays.length;
    expect(mean).toBeGreaterThan(12);
    expect(mean).toBeLessThan(14);
    // Replies are not delayed without long reordering: each arrives when its request was handled.
    const handledAt = new Map(b.inbox.map((r) => [(r.message as RaftRequest).rpcId, r.at]));
    for (const received of a.inbox) {
      expect(received.at).toBe(handledAt.get((received.message as RaftReply).inReplyTo));
    }
  });

  it('is deterministic for a seed', async () => {
    const first = await unreliableRun(20);
    const second = await unreliableRun(20);
    const third = await unreliableRun(21);
    const summary = (run: typeof first) =>
      run.b.inbox.map((r) => `${r.at}`).join(',') + `|${run.a.inbox.length}`;
    expect(summary(second)).toBe(summary(first));
    expect(summary(third)).not.toBe(summary(first));
  });

  it('becomes reliable again with setReliable(true)', async () => {
    const { clock, network } = setup(22);
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b', { autoReply: true });
    linkBoth(network, 'a', 'b');
    network.setReliable(false);
    network.setReliable(true);
    for (let i = 0; i < 500; i++) a.endpoint.send(vote('a', 'b'));
    await flush(clock);
    expect(b.inbox).toHaveLength(500);
    expect(a.inbox).toHaveLength(500);
    expect(b.inbox.every((r) => r.at === 0)).toBe(true);
  });
});

describe('long reordering', () => {
  it('delays about 2/3 of replies by 200-2199 ms, skewed toward the low end', async () => {
    const { clock, network } = setup(31);
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b', { autoReply: true });
    linkBoth(network, 'a', 'b');
    network.setLongReordering(true);
    const calls = 3000;
    for (let i = 0; i < calls; i++) a.endpoint.send(vote('a', 'b'));
    await clock.runFor(3000);
    expect(b.inbox).toHaveLength(calls); // requests are not delayed or lost
    expect(b.inbox.every((r) => r.at === 0)).toBe(true);
    expect(a.inbox).toHaveLength(calls); // nor are replies lost
    const delays = a.inbox.map((r) => r.at);
    const late = delays.filter((d) => d > 0);
    expect(delays.filter((d) => d === 0)).toHaveLength(calls - late.length);
    expect(late.length / calls).toBeGreaterThan(0.62);
    expect(late.length / calls).toBeLessThan(0.71);
    expect(Math.min(...late)).toBeGreaterThanOrEqual(200);
    expect(Math.max(...late)).toBeLessThanOrEqual(2199);
    expect(Math.min(...late)).toBeLessThan(210);
    expect(Math.max(...late)).toBeGreaterThan(1500);
    const mean = late.reduce((sum, d) => sum + d, 0) / late.length;
    expect(mean).toBeGreaterThan(620); // 200 + E[uniform(0..uniform(0..1999))] = about 700
    expect(mean).toBeLessThan(780);
    expect(late.filter((d) => d < 1200).length).toBeGreaterThan(2 * late.filter((d) => d >= 1200).length);
  });

  it('reorders replies relative to the order of the calls', async () => {
    const { clock, network } = setup(32);
    const a = join(network, clock, 'a');
    join(network, clock, 'b', { autoReply: true });
    linkBoth(network, 'a', 'b');
    network.setLongReordering(true);
    const requests = Array.from({ length: 50 }, () => vote('a', 'b'));
    for (const request of requests) a.endpoint.send(request);
    await clock.runFor(3000);
    const order = a.inbox.map((r) => (r.message as RaftReply).inReplyTo);
    expect([...order].sort((x, y) => x - y)).toEqual(requests.map((r) => r.rpcId));
    expect(order).not.toEqual(requests.map((r) => r.rpcId));
  });

  it('counts the bytes of a late reply only when it is delivered', async () => {
    const { clock, network } = setup(33);
    const a = join(network, clock, 'a');
    join(network, clock, 'b', { autoReply: true });
    linkBoth(network, 'a', 'b');
    network.setLongReordering(true);
    const requests = Array.from({ length: 300 }, () => vote('a', 'b'));
    for (const request of requests) a.endpoint.send(request);
    const requestBytes = requests.reduce((sum, request) => sum + bytes(request), 0);
    const deliveredBytes = () => a.inbox.reduce((sum, received) => sum + bytes(received.message), 0);
    const checkpoints: number[] = [];
    for (let t = 0; t < 2400; t += 100) {
      await clock.runFor(100);
      checkpoints.push(a.inbox.length);
      expect(network.totalBytes).toBe(requestBytes + deliveredBytes());
    }
    // Some replies were still in flight at the first checkpoints, and all arrived in the end.
    expect(checkpoints[0]).toBeLessThan(200);
    expect(checkpoints.at(-1)).toBe(300);
  });

  it('still loses the replies of a disabled link, late or not', async () => {
    const { clock, network } = setup(34);
    const a = join(network, clock, 'a');
    const b = join(network, clock, 'b');
    linkBoth(network, 'a', 'b');
    network.setLongReordering(true);
    for (let i = 0; i < 20; i++) a.endpoint.send(vote('a', 'b'));
    await flush(clock);
    network.setLink('a', 'b', false);
    for (const received of b.inbox) b.endpoint.send(replyTo(received.message as RaftRequest));
    await clock.runFor(3000);
    expect(a.inbox).toEqual([]);
  });
});
