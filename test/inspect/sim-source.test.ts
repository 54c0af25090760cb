/**
 * The page's simulation source: a SimCluster in real time, watched through InspectEvents
 * and broken through its controls. Frames and real time are driven by hand here (a fake
 * `now` and a frame scheduler the test fires), so every run is exact.
 */
import { describe, expect, it, vi } from 'vitest';
import type { NodeId } from '../../machines/index.js';
import type { InspectEvent, NodeSummary } from '../../src/inspect/inspect-event.js';
import type { SimSource, SimSourceOptions } from '../../src/inspect/sim-source.js';
import { NoLeaderError, SimulationClosedError, createSimSource } from '../../src/inspect/sim-source.js';
import { MAX_FRAME_MS } from '../../src/inspect/sim-source-pacer.js';

const SPEED = 10;

interface Harness {
  readonly source: SimSource;
  readonly events: InspectEvent[];
  /** Lets `ms` of virtual time pass, in frames of at most MAX_FRAME_MS real ms. */
  run(ms: number): Promise<void>;
  /** One frame after `realMs` of real time. */
  frame(realMs: number): Promise<void>;
  /** Each node's latest summary (nodeUp or step), as the page would draw it. */
  summaries(): Map<NodeId, NodeSummary>;
  leader(): NodeId | undefined;
  /** The events from `from` (an index into `events`) on. */
  since(from: number): InspectEvent[];
}

function harness(options: Partial<SimSourceOptions> & { seed: number }): Harness {
  let real = 0;
  let pending: (() => void) | null = null;
  const source = createSimSource({
    nodes: 5,
    speed: SPEED,
    ...options,
    now: () => real,
    frame: (callback) => {
      pending = callback;
      return () => {
        if (pending === callback) pending = null;
      };
    },
  });
  const events: InspectEvent[] = [];
  source.subscribe((event) => events.push(event));
  const frame = async (realMs: number) => {
    real += realMs;
    const callback = pending;
    pending = null;
    callback?.();
    await source.idle();
    // The next frame is asked for once the slice ends: let that happen.
    for (let i = 0; i < 10 && pending === null && callback !== null; i++) await Promise.resolve();
  };
  const summaries = () => latestSummaries(events);
  return {
    source,
    events,
    frame,
    async run(ms) {
      for (let left = ms; left > 0; left -= MAX_FRAME_MS * SPEED) {
        await frame(Math.min(left, MAX_FRAME_MS * SPEED) / SPEED);
      }
    },
    summaries,
    leader() {
      const leaders = [...summaries()].filter(([id, s]) => s.role === 'leader' && source.isConnected(id));
      return leaders.sort(([, a], [, b]) => b.term - a.term)[0]?.[0];
    },
    since: (from) => events.slice(from),
  };
}

function latestSummaries(events: readonly InspectEvent[]): Map<NodeId, NodeSummary> {
  const latest = new Map<NodeId, NodeSummary>();
  for (const event of events) {
    if (event.type === 'nodeUp' || event.type === 'step') latest.set(event.node, event.summary);
    if (event.type === 'nodeDown') latest.delete(event.node);
  }
  return latest;
}

const steps = (events: readonly InspectEvent[]) =>
  events.filter((e): e is Extract<InspectEvent, { type: 'step' }> => e.type === 'step');

/** Runs until a connected node leads, and returns it. */
async function elected(h: Harness): Promise<NodeId> {
  for (let i = 0; i < 20 && h.leader() === undefined; i++) await h.run(500);
  const leader = h.leader();
  if (leader === undefined) throw new Error('no leader within 10 s');
  return leader;
}

describe('the simulation source', () => {
  it('is a simulation labelled with its seed; a subscriber hears each node come up, then a leader elected', async () => {
    const h = harness({ seed: 1 });
    expect(h.source).toMatchObject({ kind: 'simulation', label: 'seed 1', ids: ['0', '1', '2', '3', '4'] });
    expect(h.events.map((e) => e.type)).toEqual(Array(5).fill('nodeDown')); // not started yet
    const leader = await elected(h);
    const ups = h.events.filter((e) => e.type === 'nodeUp');
    expect(ups.map((e) => e.node)).toEqual(h.source.ids);
    // A fresh node has heard no leader yet, but its lease runs from its start.
    expect(ups.every((e) => e.type === 'nodeUp' && e.summary.state === 'follower.waiting.leased')).toBe(true);
    const won = steps(h.events).find((e) => e.summary.role === 'leader')!;
    expect(won).toMatchObject({ node: leader, summary: { leaderId: leader, state: 'leader.heartbeating' } });
    // Its election is there: a pre-candidate's PreVotes, then a candidate's RequestVotes.
    const sent = h.events.filter((e) => e.type === 'message' && e.phase === 'sent');
    const kinds = sent.map((e) => (e.type === 'message' ? e.message.type : ''));
    expect(kinds.indexOf('PreVote')).toBeGreaterThanOrEqual(0);
    expect(kinds.indexOf('RequestVote')).toBeGreaterThan(kinds.indexOf('PreVote'));
    expect(steps(h.events).some((e) => e.node === leader && e.summary.role === 'preCandidate')).toBe(true);
    expect(
      h.events.some((e) => e.type === 'timer' && e.node === leader && e.timer === 'heartbeatInterval'),
    ).toBe(true);
    await h.source.close();
  });

  it('messages fly with the latency: sent with deliverAt, delivered then', async () => {
    const h = harness({ seed: 2, nodes: 3 });
    await h.run(1_000);
    const due = new Map<string, number>();
    for (const e of h.events) {
      if (e.type !== 'message') continue;
      if (e.phase === 'sent' && e.deliverAt !== undefined) due.set(e.id, e.deliverAt);
      if (e.phase === 'delivered') {
        expect(e.at).toBe(due.get(e.id));
        expect(
          e.at - (h.events.find((s) => s.type === 'message' && s.id === e.id)?.at ?? 0),
        ).toBeGreaterThanOrEqual(10);
      }
    }
    await h.source.close();
  });

  it('crash the leader: it goes down, and a new leader of a higher term takes over', async () => {
    const h = harness({ seed: 3 });
    const old = await elected(h);
    const term = h.summaries().get(old)!.term;
    const from = h.events.length;
    await h.source.controls.crash(old);
    expect(h.since(from).slice(0, 1)).toEqual([
      { type: 'fault', at: h.source.time.now(), description: `crash ${old}` },
    ]);
    expect(h.since(from).at(-1)).toEqual({
      type: 'nodeDown',
      at: h.source.time.now(),
      node: old,
      reason: 'crashed',
    });
    const fresh = await elected(h);
    expect(fresh).not.toBe(old);
    expect(h.summaries().get(fresh)!.term).toBeGreaterThan(term);
    await h.source.controls.restart(old);
    await h.run(1_000);
    expect(h.summaries().get(old)).toMatchObject({ role: 'follower', leaderId: fresh });
    await h.source.close();
  });

  it('propose goes to the leader and commits on every node; with no leader it is refused', async () => {
    const h = harness({ seed: 4 });
    await expect(h.source.controls.propose('too early')).rejects.toBeInstanceOf(NoLeaderError);
    const leader = await elected(h);
    const placed = await h.source.controls.propose({ set: 'x', to: 1 });
    expect(placed.node).toBe(leader);
    await h.run(1_000);
    for (const id of h.source.ids)
      expect(h.summaries().get(id)!.commitIndex).toBeGreaterThanOrEqual(placed.index);
    expect(h.events).toContainEqual(
      expect.objectContaining({ type: 'fault', description: expect.stringMatching(/^propose/) }),
    );
    await h.source.close();
  });

  it('timeoutNow fires the real election timer: the node polls at once, its term unchanged; a leader is refused', async () => {
    const h = harness({ seed: 5 });
    const leader = await elected(h);
    const follower = h.source.ids.find((id) => id !== leader)!;
    const term = h.summaries().get(follower)!.term;
    const from = h.events.length;
    const now = h.source.time.now();
    await h.source.controls.timeoutNow(follower);
    expect(h.source.time.now()).toBe(now);
    const fired = h.since(from).find((e) => e.type === 'timer' && e.node === follower && e.deadline === null);
    expect(fired).toBeDefined();
    expect(steps(h.since(from)).find((e) => e.node === follower)).toMatchObject({
      at: now,
      event: expect.stringMatching(/^xstate\.after\.electionTimeout/),
      summary: { role: 'preCandidate', state: 'preCandidate.polling', term },
    });
    await expect(h.source.controls.timeoutNow(leader)).rejects.toThrow(/no election timer pending/);
    await h.source.close();
  });

  it('without pre-vote, alignTimers after the leader crashes provokes a split vote; spreadTimers lets the first node win', async () => {
    // Pre-vote staggers the campaigns (whoever polls a quorum first campaigns first): the
    // paper's split vote needs it off.
    const h = harness({ seed: 6, features: { preVote: false } });
    const old = await elected(h);
    const term = h.summaries().get(old)!.term;
    await h.source.controls.crash(old);
    await h.run(100); // what the old leader had on the wire lands
    const from = h.events.length;
    await h.source.controls.alignTimers();
    const aligned = h.since(from).filter((e) => e.type === 'timer' && e.deadline !== null);
    expect(new Set(aligned.map((e) => e.type === 'timer' && e.deadline)).size).toBe(1);
    expect(aligned).toHaveLength(4);
    await h.run(3_000);
    const next = steps(h.since(from)).filter((e) => e.summary.term === term + 1);
    const candidates = new Set(next.filter((e) => e.summary.role === 'candidate').map((e) => e.node));
    expect(candidates.size).toBeGreaterThanOrEqual(2);
    expect(next.some((e) => e.summary.role === 'leader')).toBe(false); // split: nobody won that term
    // Spread from the next election: crash the new leader, and node order decides.
    const second = await elected(h);
    await h.source.controls.crash(second);
    await h.run(100);
    const rest = h.source.ids.filter((id) => id !== old && id !== second);
    const spreadFrom = h.events.length;
    await h.source.controls.spreadTimers(rest);
    await h.run(3_000);
    const won = steps(h.since(spreadFrom)).filter((e) => e.summary.role !== 'follower');
    expect(new Set(won.map((e) => e.node))).toEqual(new Set([rest[0]]));
    await h.source.close();
  });

  it('partition: the majority elects a higher-term leader, links are down; heal: one leader, every link up', async () => {
    const h = harness({ seed: 7 });
    const old = await elected(h);
    const term = h.summaries().get(old)!.term;
    const [buddy, ...majority] = h.source.ids.filter((id) => id !== old);
    const from = h.events.length;
    await h.source.controls.partition([[old, buddy!], majority]);
    expect(h.source.isLinkUp(old, majority[0]!)).toBe(false);
    expect(h.source.isLinkUp(old, buddy!)).toBe(true);
    await h.run(3_000);
    const dropped = h.since(from).filter((e) => e.type === 'message' && e.phase === 'dropped');
    expect(dropped.some((e) => e.type === 'message' && e.reason === 'linkDown')).toBe(true);
    const leaders = [...h.summaries()].filter(([, s]) => s.role === 'leader');
    const fresh = leaders.find(([id]) => majority.includes(id));
    expect(fresh?.[1].term).toBeGreaterThan(term);
    await h.source.controls.heal();
    await h.run(2_000);
    expect([...h.summaries()].filter(([, s]) => s.role === 'leader')).toHaveLength(1);
    for (const from of h.source.ids) {
      for (const to of h.source.ids) if (from !== to) expect(h.source.isLinkUp(from, to)).toBe(true);
    }
    expect(
      h.events.filter((e) => e.type === 'fault').map((e) => e.type === 'fault' && e.description),
    ).toEqual([`partition ${old} ${buddy} | ${majority.join(' ')}`, 'heal: every link up']);
    await h.source.close();
  });

  it('disconnect, reconnect and one-way links', async () => {
    const h = harness({ seed: 8, nodes: 3 });
    await elected(h);
    await h.source.controls.disconnect('1');
    expect(h.source.isConnected('1')).toBe(false);
    expect(h.source.isLinkUp('0', '1')).toBe(false);
    await h.source.controls.reconnect('1');
    expect(h.source.isLinkUp('0', '1')).toBe(true);
    await h.source.controls.setLink('0', '1', false);
    expect([h.source.isLinkUp('0', '1'), h.source.isLinkUp('1', '0')]).toEqual([false, true]);
    await h.source.controls.setLink('0', '1', true);
    expect(h.source.isLinkUp('0', '1')).toBe(true);
    await h.source.controls.crash('2');
    await expect(h.source.controls.reconnect('2')).rejects.toThrow(/not running/);
    await expect(h.source.controls.setLink('0', 'nine', false)).rejects.toThrow(/no node "nine"/);
    await h.source.close();
  });

  it('an unreliable network drops messages, and says why', async () => {
    const h = harness({ seed: 9 });
    await elected(h);
    await h.source.controls.setUnreliable(true);
    await h.source.controls.setLongReordering(true);
    const from = h.events.length;
    await h.run(3_000);
    const reasons = new Set(
      h.since(from).flatMap((e) => (e.type === 'message' && e.phase === 'dropped' ? [e.reason] : [])),
    );
    expect(reasons).toEqual(new Set(['lost', 'replyLost']));
    await h.source.controls.setUnreliable(false);
    await h.source.close();
  });

  it('pause stops time; stepOne fires exactly one event (a timer or a message arriving), then stays paused', async () => {
    const h = harness({ seed: 10 });
    await h.run(1_500);
    h.source.time.pause();
    expect(h.source.time.paused).toBe(true);
    const now = h.source.time.now();
    const count = h.events.length;
    await h.frame(50);
    expect(h.source.time.now()).toBe(now);
    expect(h.events).toHaveLength(count);
    // Deadlines of each node's timers, to tell a timer firing from one cancelled.
    const deadlines = new Map<string, number | null>();
    const track = (e: InspectEvent) =>
      e.type === 'timer' && deadlines.set(`${e.node}/${e.timer}`, e.deadline);
    h.events.forEach(track);
    for (let i = 0; i < 40; i++) {
      const from = h.events.length;
      await h.source.time.stepOne();
      const step = h.since(from);
      const at = h.source.time.now();
      expect(step.every((e) => e.at === at)).toBe(true);
      const arrivals = step.filter((e) => e.type === 'message' && e.phase !== 'sent' && !sentIn(step, e.id));
      const firings = step.filter(
        (e) => e.type === 'timer' && e.deadline === null && deadlines.get(`${e.node}/${e.timer}`) === e.at,
      );
      expect(arrivals.length + firings.length).toBe(1);
      step.forEach(track);
    }
    expect(h.source.time.paused).toBe(true);
    h.source.time.resume();
    await h.frame(10);
    expect(h.source.time.now()).toBeGreaterThan(now);
    await h.source.close();
  });

  it('stepping one event at a time gives the same run as running', async () => {
    const stepped = harness({ seed: 11, paused: true });
    for (let i = 0; i < 300; i++) await stepped.source.time.stepOne();
    const end = stepped.source.time.now();
    const ran = harness({ seed: 11 });
    await ran.run(end);
    const before = (events: InspectEvent[]) => JSON.stringify(events.filter((e) => e.at < end));
    expect(before(stepped.events)).toBe(before(ran.events));
    await Promise.all([stepped.source.close(), ran.source.close()]);
  });

  it('same seed and same controls at the same times: the same events, whatever the frames', async () => {
    const scenario = async (frameMs: number) => {
      const h = harness({ seed: 12 });
      const run = async (ms: number) => {
        for (let t = 0; t < ms; t += frameMs * SPEED) await h.frame(frameMs);
      };
      await run(2_000);
      await h.source.controls.crash(h.leader()!);
      await run(2_000);
      await h.source.controls.propose('a');
      await h.source.controls.partition([
        ['0', '1'],
        ['2', '3', '4'],
      ]);
      await h.source.controls.setUnreliable(true);
      await run(2_000);
      await h.source.controls.heal();
      await h.source.controls.alignTimers();
      await h.source.controls.restart('0');
      await run(2_000);
      await h.source.close();
      return h.events;
    };
    const first = await scenario(20);
    expect(first.length).toBeGreaterThan(1_000);
    expect(JSON.stringify(await scenario(20))).toBe(JSON.stringify(first));
    expect(JSON.stringify(await scenario(50))).toBe(JSON.stringify(first)); // frames of 500 ms virtual
    // Without controls, the frames and the speed change nothing at all.
    const plain = async (speed: number, frameMs: number) => {
      const h = harness({ seed: 13, speed });
      for (let t = 0; t < 4_000; t += frameMs * speed) await h.frame(frameMs);
      await h.source.close();
      return JSON.stringify(h.events.filter((e) => e.at < 4_000));
    };
    expect(await plain(3, 7)).toBe(await plain(10, 16));
  });

  it('advance lets exact virtual time pass, paused or not: a scripted scenario replays exactly', async () => {
    const script = async () => {
      const h = harness({ seed: 17, paused: true });
      await h.source.advance(1_500);
      expect(h.source.time.now()).toBe(1_500);
      await h.source.controls.crash(h.leader()!);
      await h.source.advance(1_000);
      await h.source.controls.propose('x');
      await h.source.advance(500);
      await h.source.close();
      return JSON.stringify(h.events);
    };
    expect(await script()).toBe(await script());
    const h = harness({ seed: 17 });
    await expect(h.source.advance(1.5)).rejects.toBeInstanceOf(RangeError);
    await h.source.close();
  });

  it('a late subscriber is brought up to date at once: nodes, timers, messages in flight', async () => {
    const h = harness({ seed: 14 });
    await elected(h);
    await h.source.controls.crash('4');
    await h.run(333);
    const late: InspectEvent[] = [];
    h.source.subscribe((event) => late.push(event));
    const now = h.source.time.now();
    expect(late.every((e) => e.at <= now)).toBe(true);
    expect(latestSummaries(late)).toEqual(h.summaries());
    expect(late.find((e) => e.type === 'nodeDown')).toMatchObject({ node: '4', reason: 'crashed' });
    const timers = late.filter((e) => e.type === 'timer');
    // Per live node: a follower's election timer and its leader lease, the leader's heartbeat.
    expect(timers.map((e) => e.type === 'timer' && e.timer).sort()).toEqual([
      'electionTimeout',
      'electionTimeout',
      'electionTimeout',
      'heartbeatInterval',
      'leaderLease',
      'leaderLease',
      'leaderLease',
    ]);
    const flying = late.filter((e) => e.type === 'message');
    expect(flying.every((e) => e.type === 'message' && e.phase === 'sent' && e.deliverAt! >= now)).toBe(true);
    // From then on it hears what everyone hears.
    const from = h.events.length;
    await h.run(200);
    expect(late.slice(-(h.events.length - from))).toEqual(h.since(from));
    await h.source.close();
  });

  it('speed is validated; close stops the frames and refuses controls', async () => {
    const h = harness({ seed: 15, nodes: 3 });
    expect(() => h.source.time.setSpeed(0)).toThrow(RangeError);
    h.source.time.setSpeed(2);
    expect(h.source.time.speed).toBe(2);
    await h.run(100);
    await h.source.close();
    const now = h.source.time.now();
    await h.frame(100);
    expect(h.source.time.now()).toBe(now);
    await expect(h.source.controls.crash('0')).rejects.toBeInstanceOf(SimulationClosedError);
  });

  it('runs on its own in real time with the platform frames (setTimeout in Node)', async () => {
    const source = createSimSource({ seed: 16, nodes: 3, speed: 20 });
    const events: InspectEvent[] = [];
    source.subscribe((event) => events.push(event));
    try {
      await vi.waitFor(() => expect(steps(events).some((e) => e.summary.role === 'leader')).toBe(true), {
        timeout: 60_000,
        interval: 20,
      });
    } finally {
      await source.close();
    }
    expect(source.time.now()).toBeGreaterThan(0);
  });
});

function sentIn(events: readonly InspectEvent[], id: string): boolean {
  return events.some((e) => e.type === 'message' && e.phase === 'sent' && e.id === id);
}
