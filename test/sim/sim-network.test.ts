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
import type { NetworkDropped, SimEndpoint, WireCodec } from '../../src/sim/sim-network.js';
import { SimNetwork } from '../../src/sim/sim-network.js';

interface Received {
  readonly at: number;
  readonly message: RaftMessage;
}

interface TestNode {
  readonly endpoint: SimEndpoint;
  readonly inbox: Received[];
}

interface JoinOptions {
  /** Register the endpoint as the server for its id (default true). */
  readonly server?: boolean;
  /** Answer every request with a granted vote at once. */
  readonly autoReply?: boolean;
}

function setup(seed = 1, codec?: WireCodec) {
  const clock = new SimClock();
  const network = new SimNetwork(clock, new SeededRandom(seed, 'network'), codec);
  return { clock, network };
}

/** Attaches a new incarnation of `id` that records what it receives (and answers, if asked). */
function join(network: SimNetwork, id: NodeId, options: JoinOptions = {}): TestNode {
  const endpoint = network.attach(id);
  const inbox: Received[] = [];
  endpoint.listen((message) => {
    inbox.push({ at: network.clock.now(), message });
    if (options.autoReply && isRequest(message)) endpoint.send(replyTo(message));
  });
  if (options.server ?? true) network.addServer(endpoint);
  return { endpoint, inbox };
}

function linkBoth(network: SimNetwork, a: NodeId, b: NodeId): void {
  network.setLink(a, b, true);
  network.setLink(b, a, true);
}

/** Servers a and b on a fresh network (b joined with `options.b`), every link still disabled. */
function pair(options: { seed?: number; codec?: WireCodec; b?: JoinOptions } = {}) {
  const { clock, network } = setup(options.seed, options.codec);
  const a = join(network, 'a');
  const b = join(network, 'b', options.b);
  return { clock, network, a, b };
}

/** Like `pair`, with a and b linked both ways. */
function linkedPair(options: Parameters<typeof pair>[0] = {}) {
  const nodes = pair(options);
  linkBoth(nodes.network, 'a', 'b');
  return nodes;
}

let rpcIds = 1;

function vote(from: NodeId, to: NodeId, rpcId = rpcIds++): RequestVote {
  return { type: 'RequestVote', from, to, term: 3, rpcId, lastLogIndex: 7, lastLogTerm: 2 };
}

/** An AppendEntries from a to b carrying `entries`; other fields default to a first heartbeat's. */
function appendEntries(
  entries: AppendEntries['entries'],
  fields: Partial<AppendEntries> = {},
): AppendEntries {
  const base = { from: 'a', to: 'b', term: 1, rpcId: rpcIds++, prevLogIndex: 0, prevLogTerm: 0 };
  return { type: 'AppendEntries', ...base, entries, leaderCommit: 0, ...fields };
}

/** A granted vote answering `request`, with `overrides` applied. */
function replyTo(request: RaftRequest, overrides: Partial<RaftReply> = {}): RaftReply {
  const { from: caller, to: server, term, rpcId } = request;
  const reply = { type: 'RequestVoteReply', from: server, to: caller, term, inReplyTo: rpcId };
  return { ...reply, voteGranted: true, ...overrides } as RaftReply;
}

/** `caller` sends a fresh RequestVote to `to`, which the network has yet to deliver. */
function sendVote(caller: TestNode, to: NodeId = 'b'): RequestVote {
  const request = vote(caller.endpoint.id, to);
  caller.endpoint.send(request);
  return request;
}

/** `caller` sends `count` fresh RequestVotes to `to`, in order. */
function sendVotes(caller: TestNode, count: number, to: NodeId = 'b'): RequestVote[] {
  return Array.from({ length: count }, () => sendVote(caller, to));
}

/** `caller` sends a fresh RequestVote to `to` and the network delivers what is due. */
async function callVote(clock: SimClock, caller: TestNode, to: NodeId = 'b'): Promise<RequestVote> {
  const request = sendVote(caller, to);
  await flush(clock);
  return request;
}

function bytes(message: RaftMessage): number {
  return Buffer.byteLength(JSON.stringify(message));
}

function totalBytes(sent: readonly RaftMessage[]): number {
  return sent.reduce((sum, message) => sum + bytes(message), 0);
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Lets the network deliver what is due now (reliable mode delivers after 0 ms). */
async function flush(clock: SimClock): Promise<void> {
  await clock.runFor(1);
}

/** Lets far more time pass than any delay the network adds. */
async function settle(network: SimNetwork): Promise<void> {
  await network.clock.runFor(10_000);
}

function messages(node: TestNode): RaftMessage[] {
  return node.inbox.map((r) => r.message);
}

/** After the network settles, `caller` got no reply: only the bytes of `request` were counted. */
async function expectReplyLost(network: SimNetwork, caller: TestNode, request: RaftRequest): Promise<void> {
  await settle(network);
  expect(caller.inbox).toEqual([]);
  expect(network.totalBytes).toBe(bytes(request));
}

describe('requests', () => {
  it('reach the server over an enabled link, as a copy', async () => {
    const { clock, network, a, b } = linkedPair();
    const fields = { term: 2, rpcId: 41, prevLogIndex: 1, prevLogTerm: 1, leaderCommit: 1 };
    const request = appendEntries([{ term: 2, command: { key: 'x', value: [1, 2] } }], fields);
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
    const { clock, a, b } = linkedPair();
    const entries = [{ term: 1, command: 'x' }];
    a.endpoint.send(appendEntries(entries, { rpcId: 1 }));
    entries.push({ term: 1, command: 'y' });
    await flush(clock);
    expect((b.inbox[0]!.message as AppendEntries).entries).toEqual([{ term: 1, command: 'x' }]);
  });

  it('only use the sender-to-server direction of a link', async () => {
    const { clock, network, a, b } = pair();
    network.setLink('b', 'a', true); // b -> a only
    sendVote(a, 'b');
    sendVote(b, 'a');
    await flush(clock);
    expect(b.inbox).toEqual([]);
    expect(a.inbox).toHaveLength(1);
    expect(network.rpcCount('a')).toBe(1);
    expect(network.rpcCount('b')).toBe(0);
  });

  it('over a disabled link are counted but not delivered', async () => {
    const { network, a, b } = pair();
    const first = sendVote(a); // links start disabled
    linkBoth(network, 'a', 'b');
    network.setLink('a', 'b', false);
    const second = sendVote(a);
    await settle(network);
    expect(b.inbox).toEqual([]);
    expect(network.totalCount).toBe(2);
    expect(network.totalBytes).toBe(bytes(first) + bytes(second));
    expect(network.rpcCount('b')).toBe(0);
  });

  it('to a node with no server are counted but not delivered', async () => {
    const { network, a, b } = linkedPair({ b: { server: false } });
    const request = sendVote(a);
    network.setLink('a', 'nobody', true);
    const nowhere = sendVote(a, 'nobody');
    await settle(network);
    expect(b.inbox).toEqual([]);
    expect(network.totalCount).toBe(2);
    expect(network.totalBytes).toBe(bytes(request) + bytes(nowhere));
    expect(network.rpcCount('b')).toBe(0);
    expect(network.rpcCount('nobody')).toBe(0);
  });

  it('to a deleted server are counted but not delivered', async () => {
    const { clock, network, a, b } = linkedPair();
    await callVote(clock, a);
    expect(network.rpcCount('b')).toBe(1);
    network.deleteServer('b');
    expect(network.rpcCount('b')).toBe(0);
    sendVote(a);
    await settle(network);
    expect(b.inbox).toHaveLength(1);
    expect(network.totalCount).toBe(2);
    expect(network.rpcCount('b')).toBe(0);
    network.deleteServer('b'); // deleting again is harmless
    network.deleteServer('never-existed');
    expect(network.totalCount).toBe(2);
  });

  it('are refused when the message does not come from the sending endpoint', () => {
    const { network, a } = linkedPair();
    expect(() => a.endpoint.send(vote('c', 'b'))).toThrow(/cannot send as c/);
    expect(network.totalCount).toBe(0);
  });

  it('count bytes with the network codec', async () => {
    const padded: WireCodec = {
      encode: (message) => JSON.stringify(message) + ' '.repeat(100),
      decode: (encoded) => JSON.parse(encoded) as RaftMessage,
    };
    const { clock, network, a, b } = linkedPair({ codec: padded, b: { autoReply: true } });
    const request = await callVote(clock, a);
    expect(messages(b)).toEqual([request]);
    expect(network.totalBytes).toBe(bytes(request) + 100 + bytes(replyTo(request)) + 100);
  });
});

describe('rpcCount', () => {
  it('counts requests dispatched to a server, not those lost on the way', async () => {
    const { clock, network } = setup();
    const a = join(network, 'a');
    const c = join(network, 'c');
    join(network, 'b');
    network.setLink('a', 'b', true);
    sendVotes(a, 3);
    sendVotes(c, 4); // c -> b is disabled
    await flush(clock);
    expect(network.rpcCount('b')).toBe(3);
    expect(network.totalCount).toBe(7);
  });

  it('counts a dispatched request whose reply is lost', async () => {
    const { clock, network, a, b } = linkedPair();
    const request = await callVote(clock, a);
    network.setLink('a', 'b', false);
    b.endpoint.send(replyTo(request));
    await flush(clock);
    expect(a.inbox).toEqual([]);
    expect(network.rpcCount('b')).toBe(1);
  });

  it('restarts at 0 for a new server incarnation', async () => {
    const { clock, network, a } = linkedPair();
    sendVotes(a, 5);
    await flush(clock);
    expect(network.rpcCount('b')).toBe(5);

    network.deleteServer('b');
    const b2 = join(network, 'b');
    expect(network.rpcCount('b')).toBe(0);
    network.setLink('a', 'b', true);
    sendVotes(a, 2);
    await flush(clock);
    expect(b2.inbox).toHaveLength(2);
    expect(network.rpcCount('b')).toBe(2);

    network.addServer(b2.endpoint); // the same endpoint as a new server object
    expect(network.rpcCount('b')).toBe(0);
  });
});

describe('replies', () => {
  it('reach the caller as a copy, and their bytes are counted', async () => {
    const { clock, network, a, b } = linkedPair();
    const request = await callVote(clock, a);
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
    const { clock, network, a } = pair({ b: { autoReply: true } });
    network.setLink('a', 'b', true);
    const request = await callVote(clock, a);
    expect(messages(a)).toEqual([replyTo(request)]);
  });

  it('are lost when the caller-to-server link was disabled before the reply', async () => {
    const { clock, network, a, b } = linkedPair();
    const request = await callVote(clock, a);
    expect(b.inbox).toHaveLength(1);
    network.setLink('a', 'b', false);
    b.endpoint.send(replyTo(request));
    await expectReplyLost(network, a, request);
    expect(network.strayReplies).toBe(0);
  });

  it('are lost when the server was deleted meanwhile', async () => {
    const { clock, network, a, b } = linkedPair();
    const request = await callVote(clock, a);
    network.deleteServer('b');
    b.endpoint.send(replyTo(request));
    await expectReplyLost(network, a, request);
  });

  it('are lost when the server was replaced meanwhile, even by the same endpoint', async () => {
    const { clock, network, a, b } = linkedPair();
    const request = await callVote(clock, a);
    network.addServer(b.endpoint);
    b.endpoint.send(replyTo(request));
    await expectReplyLost(network, a, request);
  });

  it('are lost when a new incarnation of the server answers a call made to the old one', async () => {
    const { clock, network, a, b } = linkedPair();
    const request = await callVote(clock, a);
    const b2 = join(network, 'b');
    linkBoth(network, 'a', 'b');
    b.endpoint.send(replyTo(request)); // the old incarnation is closed: this goes nowhere
    b2.endpoint.send(replyTo(request));
    await expectReplyLost(network, a, request);
  });

  it('are lost when the caller restarted: the call belongs to its old incarnation', async () => {
    const { clock, network, a, b } = linkedPair();
    const old = vote('a', 'b', 1);
    a.endpoint.send(old);
    await flush(clock);
    const a2 = join(network, 'a');
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
    const { clock, network, a, b } = linkedPair();
    const c = join(network, 'c');
    linkBoth(network, 'a', 'c');
    const request = await callVote(clock, a);
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
    const { clock, network, a, b } = linkedPair();
    b.endpoint.send(replyTo(vote('a', 'b')));
    await flush(clock);
    expect(a.inbox).toEqual([]);
    expect(network.strayReplies).toBe(1);
    expect(network.totalCount).toBe(0);
    expect(network.totalBytes).toBe(0);
  });

  it('match their calls by rpcId, whatever the order they are sent in', async () => {
    const { clock, network, a, b } = linkedPair();
    const requests = sendVotes(a, 3);
    await flush(clock);
    for (const request of [...requests].reverse()) b.endpoint.send(replyTo(request));
    await flush(clock);
    expect(messages(a)).toEqual([...requests].reverse().map((request) => replyTo(request)));
    expect(network.strayReplies).toBe(0);
  });
});

describe('endpoints', () => {
  it('a newer attach closes the old endpoint for good', async () => {
    const { network, a, b } = linkedPair();
    const a2 = join(network, 'a');
    expect(a.endpoint.closed).toBe(true);
    expect(a2.endpoint.closed).toBe(false);
    expect(a.endpoint.linkEnabled('b')).toBe(false);
    sendVote(a);
    a.endpoint.setLink('b', true); // a closed endpoint cannot be re-enabled
    expect(a.endpoint.linkEnabled('b')).toBe(false);
    sendVote(a);
    await settle(network);
    expect(b.inbox).toEqual([]);
    expect(network.totalCount).toBe(0);
    expect(network.totalBytes).toBe(0);
  });

  it('a new incarnation starts with its links disabled', async () => {
    const { clock, network, b } = linkedPair();
    const a2 = join(network, 'a');
    expect(a2.endpoint.linkEnabled('b')).toBe(false);
    sendVote(a2);
    await flush(clock);
    expect(b.inbox).toEqual([]);
    expect(network.totalCount).toBe(1);
    network.setLink('a', 'b', true);
    expect(a2.endpoint.linkEnabled('b')).toBe(true);
    sendVote(a2);
    await flush(clock);
    expect(b.inbox).toHaveLength(1);
  });

  it('an old incarnation no longer receives: requests go to the current server', async () => {
    const { clock, network, a, b } = linkedPair();
    const b2 = join(network, 'b');
    await callVote(clock, a);
    expect(b.inbox).toEqual([]);
    expect(b2.inbox).toHaveLength(1);
  });

  it('a request in flight to a server that restarts is not received by the closed endpoint', async () => {
    const { clock, network, a, b } = linkedPair();
    network.setReliable(false); // requests take 0-26 ms
    sendVotes(a, 20);
    network.deleteServer('b');
    const b2 = join(network, 'b');
    await clock.runFor(100);
    expect(b.inbox).toEqual([]);
    expect(b2.inbox).toEqual([]);
    expect(network.rpcCount('b')).toBe(0);
  });
});

describe('unreliable mode', () => {
  const calls = 5000;

  async function unreliableRun(seed: number) {
    const { clock, network, a, b } = linkedPair({ seed, b: { autoReply: true } });
    network.setReliable(false);
    const requests = sendVotes(a, calls);
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
    expect(a.inbox.length).toBeLessThan(calls);
    expect(network.totalBytes).toBe(totalBytes(requests) + totalBytes(messages(a)));
  });

  it('delays requests by 0-26 ms, every delay in that range occurring', async () => {
    const { a, b } = await unreliableRun(19);
    const delays = b.inbox.map((received) => received.at); // every request was sent at t=0
    expect(Math.min(...delays)).toBe(0);
    expect(Math.max(...delays)).toBe(26);
    expect(new Set(delays).size).toBe(27);
    expect(mean(delays)).toBeGreaterThan(12);
    expect(mean(delays)).toBeLessThan(14);
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
    const { clock, network, a, b } = linkedPair({ seed: 22, b: { autoReply: true } });
    network.setReliable(false);
    network.setReliable(true);
    sendVotes(a, 500);
    await flush(clock);
    expect(b.inbox).toHaveLength(500);
    expect(a.inbox).toHaveLength(500);
    expect(b.inbox.every((r) => r.at === 0)).toBe(true);
  });
});

describe('long reordering', () => {
  /** a and b (b answering every call) on a network with long reordering on. */
  function reorderingPair(seed: number, b: JoinOptions = { autoReply: true }) {
    const nodes = linkedPair({ seed, b });
    nodes.network.setLongReordering(true);
    return nodes;
  }

  it('delays about 2/3 of replies by 200-2199 ms, skewed toward the low end', async () => {
    const { clock, a, b } = reorderingPair(31);
    const calls = 3000;
    sendVotes(a, calls);
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
    expect(mean(late)).toBeGreaterThan(620); // 200 + E[uniform(0..uniform(0..1999))] = about 700
    expect(mean(late)).toBeLessThan(780);
    expect(late.filter((d) => d < 1200).length).toBeGreaterThan(2 * late.filter((d) => d >= 1200).length);
  });

  it('reorders replies relative to the order of the calls', async () => {
    const { clock, a } = reorderingPair(32);
    const requests = sendVotes(a, 50);
    await clock.runFor(3000);
    const order = a.inbox.map((r) => (r.message as RaftReply).inReplyTo);
    expect([...order].sort((x, y) => x - y)).toEqual(requests.map((r) => r.rpcId));
    expect(order).not.toEqual(requests.map((r) => r.rpcId));
  });

  it('counts the bytes of a late reply only when it is delivered', async () => {
    const { clock, network, a } = reorderingPair(33);
    const requestBytes = totalBytes(sendVotes(a, 300));
    const checkpoints: number[] = [];
    for (let t = 0; t < 2400; t += 100) {
      await clock.runFor(100);
      checkpoints.push(a.inbox.length);
      expect(network.totalBytes).toBe(requestBytes + totalBytes(messages(a)));
    }
    // Some replies were still in flight at the first checkpoints, and all arrived in the end.
    expect(checkpoints[0]).toBeLessThan(200);
    expect(checkpoints.at(-1)).toBe(300);
  });

  it('still loses the replies of a disabled link, late or not', async () => {
    const { clock, network, a, b } = reorderingPair(34, { autoReply: false });
    sendVotes(a, 20);
    await flush(clock);
    network.setLink('a', 'b', false);
    for (const received of b.inbox) b.endpoint.send(replyTo(received.message as RaftRequest));
    await clock.runFor(3000);
    expect(a.inbox).toEqual([]);
  });
});

/** Every event of `network`, in order, as `phase id from->to type` with its times. */
function recordEvents(network: SimNetwork) {
  const log: string[] = [];
  const drops: NetworkDropped[] = [];
  const line = (phase: string, id: number, message: RaftMessage, rest: string) =>
    log.push(`${phase} ${id} ${message.from}->${message.to} ${message.type}${rest}`);
  network.on('sent', ({ id, at, message, deliverAt }) =>
    line('sent', id, message, ` @${at} due ${deliverAt}`),
  );
  network.on('delivered', ({ id, at, message }) => line('delivered', id, message, ` @${at}`));
  network.on('dropped', (drop) => {
    drops.push(drop);
    line('dropped', drop.id, drop.message, ` @${drop.at} ${drop.reason}`);
  });
  return { log, drops };
}

describe('events', () => {
  it('a call: the request and its reply are each sent, then delivered, under ids counted from 1', async () => {
    const { clock, network, a, b } = linkedPair({ b: { autoReply: true } });
    const { log } = recordEvents(network);
    await callVote(clock, a);
    expect(b.inbox).toHaveLength(1);
    expect(log).toEqual([
      'sent 1 a->b RequestVote @0 due 0',
      'delivered 1 a->b RequestVote @0',
      'sent 2 b->a RequestVoteReply @0 due 0',
      'delivered 2 b->a RequestVoteReply @0',
    ]);
  });

  it('a delivered event comes before the receiver handles the message', async () => {
    const { clock, network, a, b } = linkedPair();
    const order: string[] = [];
    network.on('delivered', () => order.push(`delivered (inbox ${b.inbox.length})`));
    await callVote(clock, a);
    expect(order).toEqual(['delivered (inbox 0)']);
  });

  it('says why a message is dropped: link down, node down, lost, reply lost, stray', async () => {
    const { clock, network, a, b } = pair();
    const { drops } = recordEvents(network);
    sendVote(a); // links start disabled
    linkBoth(network, 'a', 'b');
    network.setLink('a', 'nobody', true);
    sendVote(a, 'nobody');
    b.endpoint.send(replyTo(vote('a', 'b'))); // answers no call
    const answered = await callVote(clock, a);
    network.setLink('a', 'b', false);
    b.endpoint.send(replyTo(answered)); // the call's link is down now
    network.setReliable(false);
    linkBoth(network, 'a', 'b');
    sendVotes(a, 200);
    await clock.runFor(100);
    for (const received of b.inbox.slice(1)) b.endpoint.send(replyTo(received.message as RaftRequest));
    await clock.runFor(100);
    const reasons = drops.map((drop) => drop.reason);
    expect(reasons.slice(0, 4)).toEqual(['linkDown', 'nodeDown', 'stray', 'linkDown']);
    expect(reasons).toContain('lost');
    expect(reasons).toContain('replyLost');
    // Each drop names the message dropped and happens at the time it was decided.
    expect(drops[1]!.message.to).toBe('nobody');
    expect(drops.every((drop) => drop.at <= clock.now())).toBe(true);
  });

  it('a dropped message was sent with no due time; a delivered one at its due time', async () => {
    const { network, a } = linkedPair({ seed: 5, b: { autoReply: true } });
    const sent = new Map<number, number | null>();
    const delivered = new Map<number, number>();
    const dropped = new Set<number>();
    network.on('sent', ({ id, deliverAt }) => sent.set(id, deliverAt));
    network.on('delivered', ({ id, at }) => delivered.set(id, at));
    network.on('dropped', ({ id }) => dropped.add(id));
    network.setReliable(false);
    network.setLongReordering(true);
    sendVotes(a, 300);
    await settle(network);
    expect(dropped.size).toBeGreaterThan(0);
    for (const [id, deliverAt] of sent) {
      if (dropped.has(id)) expect(deliverAt).toBeNull();
      else expect(delivered.get(id)).toBe(deliverAt);
    }
    expect(delivered.size + dropped.size).toBe(sent.size);
  });

  it('a message in flight to a node that restarts is dropped on arrival (node down)', async () => {
    const { clock, network, a } = linkedPair();
    network.setLatency({ minMs: 10, maxMs: 10 });
    const { log } = recordEvents(network);
    sendVote(a);
    join(network, 'b'); // b restarts: the message flies to its closed endpoint
    await clock.runFor(20);
    expect(log).toEqual(['sent 1 a->b RequestVote @0 due 10', 'dropped 1 a->b RequestVote @10 nodeDown']);
  });
});

describe('latency', () => {
  it('delays every request and reply by min-max ms, every value occurring, on top of other delays', async () => {
    const { clock, network, a, b } = linkedPair({ seed: 9, b: { autoReply: true } });
    network.setLatency({ minMs: 10, maxMs: 30 });
    sendVotes(a, 2000);
    await clock.runFor(100);
    const requestDelays = b.inbox.map((r) => r.at); // all sent at t=0
    expect(Math.min(...requestDelays)).toBe(10);
    expect(Math.max(...requestDelays)).toBe(30);
    expect(new Set(requestDelays).size).toBe(21);
    const handledAt = new Map(b.inbox.map((r) => [(r.message as RaftRequest).rpcId, r.at]));
    const replyDelays = a.inbox.map((r) => r.at - handledAt.get((r.message as RaftReply).inReplyTo)!);
    expect(Math.min(...replyDelays)).toBe(10);
    expect(Math.max(...replyDelays)).toBe(30);
    expect(a.inbox).toHaveLength(2000);
  });

  it('a fixed latency draws nothing: the unreliable network loses the same messages as without it', async () => {
    const run = async (latency: number) => {
      const { clock, network, a, b } = linkedPair({ seed: 23, b: { autoReply: true } });
      network.setReliable(false);
      network.setLatency({ minMs: latency, maxMs: latency });
      sendVotes(a, 500);
      await clock.runFor(200);
      return { handled: b.inbox.map((r) => r.at - latency), answered: a.inbox.length };
    };
    expect(await run(7)).toEqual(await run(0));
  });

  it('refuses latencies that are not whole, ordered, non-negative milliseconds', () => {
    const { network } = setup();
    for (const [minMs, maxMs] of [
      [-1, 5],
      [10, 5],
      [1.5, 3],
      [0, Infinity],
    ] as const) {
      expect(() => network.setLatency({ minMs, maxMs })).toThrow(RangeError);
    }
    expect(network.latency).toEqual({ minMs: 0, maxMs: 0 });
  });
});

describe('duplication', () => {
  it('at rate 1 delivers every request twice: the handler runs twice and both replies reach the caller', async () => {
    const { clock, network, a, b } = linkedPair({ seed: 41, b: { autoReply: true } });
    network.setDuplication(1);
    const { log } = recordEvents(network);
    const requests = sendVotes(a, 200);
    await clock.runFor(1000);
    expect(b.inbox).toHaveLength(400);
    expect(network.rpcCount('b')).toBe(400);
    expect(network.totalCount).toBe(200); // a copy is the network's doing, not a request sent
    // Each of the two handlings is answered, and each answer is delivered twice.
    expect(a.inbox).toHaveLength(800);
    expect(network.strayReplies).toBe(0);
    for (const request of requests) {
      const handled = b.inbox.filter((r) => (r.message as RaftRequest).rpcId === request.rpcId);
      expect(handled.map((r) => r.message)).toEqual([request, request]);
      expect(handled[0]!.at).toBe(0);
      expect(handled[1]!.at).toBeLessThanOrEqual(100);
    }
    // A copy is a message of its own: its own id, sent and then delivered.
    const ids = new Set(log.filter((line) => line.startsWith('sent')).map((line) => line.split(' ')[1]));
    expect(ids.size).toBe(200 * 2 + 800);
    expect(log.filter((line) => line.startsWith('delivered'))).toHaveLength(1200);
  });

  it('copies follow the original 0-100 ms later, every delay occurring', async () => {
    const { clock, network, a, b } = linkedPair({ seed: 42 });
    network.setDuplication(1);
    sendVotes(a, 3000);
    await clock.runFor(200);
    expect(b.inbox).toHaveLength(6000);
    const arrivals = new Map<number, number[]>();
    for (const { at, message } of b.inbox) {
      const rpcId = (message as RaftRequest).rpcId;
      arrivals.set(rpcId, [...(arrivals.get(rpcId) ?? []), at]);
    }
    expect([...arrivals.values()].every((times) => times.length === 2 && times[0] === 0)).toBe(true);
    const delays = [...arrivals.values()].map((times) => times[1]!);
    expect(Math.min(...delays)).toBe(0);
    expect(Math.max(...delays)).toBe(100);
    expect(new Set(delays).size).toBe(101);
  });

  it('at rate 0.2 duplicates about a fifth of the messages, the same ones for a seed', async () => {
    const run = async (seed: number) => {
      const { clock, network, a, b } = linkedPair({ seed });
      network.setDuplication(0.2);
      const first = sendVotes(a, 5000)[0]!.rpcId;
      await clock.runFor(200);
      return b.inbox.map((r) => `${(r.message as RaftRequest).rpcId - first}@${r.at}`);
    };
    const first = await run(43);
    expect(first.length / 5000).toBeGreaterThan(1.18);
    expect(first.length / 5000).toBeLessThan(1.22);
    expect(await run(43)).toEqual(first);
    expect(await run(44)).not.toEqual(first);
  });

  it('is off by default and draws nothing at rate 0: an unreliable run is the same as without it', async () => {
    const run = async (duplication: number | undefined) => {
      const { clock, network, a, b } = linkedPair({ seed: 45, b: { autoReply: true } });
      expect(network.duplication).toBe(0);
      network.setReliable(false);
      if (duplication !== undefined) network.setDuplication(duplication);
      sendVotes(a, 500);
      await clock.runFor(200);
      return { handled: b.inbox.map((r) => r.at), answered: a.inbox.length };
    };
    expect(await run(0)).toEqual(await run(undefined));
    const { clock, network, a, b } = linkedPair({ seed: 46 });
    network.setDuplication(0.5);
    network.setDuplication(0);
    sendVotes(a, 100);
    await clock.runFor(200);
    expect(b.inbox).toHaveLength(100);
  });

  it('copies nothing that is dropped, and a copy to a node that went down is dropped on arrival', async () => {
    const { clock, network, a, b } = linkedPair({ seed: 47 });
    network.setDuplication(1);
    network.setLatency({ minMs: 10, maxMs: 10 });
    network.setLink('a', 'b', false);
    sendVotes(a, 10); // link down: dropped at send, no copy
    network.setLink('a', 'b', true);
    const { log, drops } = recordEvents(network);
    sendVote(a);
    await clock.runFor(10); // the original arrives at 10 ms; its copy 10-110 ms
    const early = b.inbox.length;
    expect(early).toBeGreaterThanOrEqual(1);
    join(network, 'b'); // b restarts: a copy still in flight finds its endpoint closed
    await clock.runFor(200);
    expect(b.inbox).toHaveLength(early);
    expect(drops.map((drop) => drop.reason)).toEqual(early === 1 ? ['nodeDown'] : []);
    expect(log.filter((line) => line.startsWith('sent'))).toHaveLength(2);
  });

  it('refuses a rate outside [0, 1]', () => {
    const { network } = setup();
    for (const rate of [-0.1, 1.5, Number.NaN])
      expect(() => network.setDuplication(rate)).toThrow(RangeError);
    expect(network.duplication).toBe(0);
  });
});
