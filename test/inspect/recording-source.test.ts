/**
 * Recordings opened as a cluster source: the page's feed, rebuilt from the files alone,
 * is what the nodes' live feed said, step for step, and ends where the nodes ended.
 */
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../machines/index.js';
import type { InspectEvent, NodeSummary } from '../../src/inspect/inspect-event.js';
import { feedFromNode } from '../../src/inspect/node-feed.js';
import { openRecordings } from '../../src/inspect/recording-source.js';
import { ConfigError } from '../../src/errors.js';
import { RecordingParseError } from '../../src/inspect/recording.js';
import { RecordedCluster, faultyRun } from './recording-cluster.js';

type StepSummary = Omit<NodeSummary, 'appliedIndex'>;

function withoutApplied({ appliedIndex: _applied, ...rest }: NodeSummary): StepSummary {
  return rest;
}

describe('openRecordings', () => {
  it("replays several nodes' files into one feed, in time order, ending where the nodes ended", async () => {
    const recorded = await faultyRun(1);
    const { cluster } = recorded;
    const source = openRecordings(
      cluster.ids.map((id) => ({ name: `${id}.jsonl`, text: recorded.text(id) })),
    );
    try {
      expect(source.kind).toBe('recording');
      expect(source.label).toBe('0.jsonl, 1.jsonl, 2.jsonl');
      expect(source.ids).toEqual(['0', '1', '2']);
      expect(source.time).toBeNull();
      expect(source.controls).toEqual({});
      expect(source.replays.every((r) => r.ok)).toBe(true);
      const events: InspectEvent[] = [];
      source.subscribe((event) => events.push(event));
      expect(events).toEqual(source.events);
      for (let i = 1; i < events.length; i++) expect(events[i]!.at).toBeGreaterThanOrEqual(events[i - 1]!.at);
      for (const id of cluster.ids) {
        const mine = events.filter((e) => 'node' in e && e.node === id);
        expect(mine[0]).toMatchObject({ type: 'nodeUp', at: 0, node: id });
        const last = mine.filter((e) => e.type === 'step').at(-1)!;
        const status = cluster.status(id)!;
        expect(last.type === 'step' && last.summary).toMatchObject({
          role: status.role,
          term: status.term,
          votedFor: status.votedFor,
          leaderId: status.leaderId,
          commitIndex: status.commitIndex,
          appliedIndex: status.appliedIndex,
          lastLogIndex: status.lastLogIndex,
        });
        // Timers carry their real deadlines: the start's election timer is the one the node set.
        const firstTimer = mine.find((e) => e.type === 'timer');
        expect(firstTimer).toMatchObject({ type: 'timer', timer: 'electionTimeout' });
      }
      // The restarted node went down and came up again.
      const restarted = cluster.ids.find((id) => recorded.starts(id) === 2)!;
      const ups = events.filter(
        (e) => (e.type === 'nodeUp' || e.type === 'nodeDown') && e.node === restarted,
      );
      expect(ups.map((e) => e.type)).toEqual(['nodeUp', 'nodeDown', 'nodeUp']);
      // Messages: sent, then delivered at the receiver (or dropped: a partition, a lossy network).
      const phases = new Map<string, string[]>();
      for (const e of events)
        if (e.type === 'message') phases.set(e.id, [...(phases.get(e.id) ?? []), e.phase]);
      const kinds = new Set([...phases.values()].map((p) => p.join(',')));
      expect([...kinds].sort()).toEqual(['sent,delivered', 'sent,dropped']);
      const delivered = events.find((e) => e.type === 'message' && e.phase === 'delivered')!;
      const sent = events.find(
        (e) => e.type === 'message' && e.phase === 'sent' && e.id === (delivered as { id: string }).id,
      );
      expect(sent).toMatchObject({ deliverAt: delivered.at });
    } finally {
      cluster.stopAll();
      await source.close();
    }
  });

  it("gives the page, step for step, the summaries the nodes' live feed gave", async () => {
    const recorded = new RecordedCluster({ seed: 5, size: 3, snapshotEvery: 3 });
    const { cluster } = recorded;
    const live = new Map<NodeId, StepSummary[]>();
    const liveTimers = new Map<NodeId, string[]>();
    for (const id of cluster.ids) {
      const started = recorded.start(id);
      live.set(id, []);
      liveTimers.set(id, []);
      feedFromNode(
        cluster.node(id)!,
        (event) => {
          if (event.type === 'step') live.get(id)!.push(withoutApplied(event.summary));
          if (event.type === 'timer' && event.deadline !== null) {
            liveTimers.get(id)!.push(`${event.timer}@${event.deadline}`);
          }
        },
        { now: () => cluster.clock.now(), messages: false },
      );
      await started;
    }
    for (const id of cluster.ids) cluster.connect(id);
    await cluster.run(async () => {
      await cluster.clock.sleep(1_000);
      for (let i = 0; i < 10; i++) {
        const leader = cluster.ids.find((id) => cluster.status(id)?.role === 'leader');
        if (leader !== undefined) cluster.node(leader)!.submit({ i });
        await cluster.clock.sleep(70);
      }
      await cluster.clock.sleep(500);
    });
    cluster.stopAll();
    const source = openRecordings(cluster.ids.map((id) => ({ name: id, text: recorded.text(id) })));
    for (const id of cluster.ids) {
      const replayed = source.events.flatMap((e) =>
        (e.type === 'step' || e.type === 'nodeUp') && e.node === id ? [withoutApplied(e.summary)] : [],
      );
      expect(replayed).toEqual(live.get(id));
      // Every timer set, with the deadline the node's clock gave it.
      const timers = source.events.flatMap((e) =>
        e.type === 'timer' && e.node === id && e.deadline !== null ? [`${e.timer}@${e.deadline}`] : [],
      );
      expect(timers).toEqual(liveTimers.get(id));
    }
  });

  it('refuses two files of one node, and a file that is not a recording', async () => {
    const recorded = new RecordedCluster({ seed: 1, size: 1 });
    await recorded.startAll();
    await recorded.cluster.runFor(500);
    recorded.cluster.stopAll();
    const text = recorded.text('0');
    expect(() =>
      openRecordings([
        { name: 'a', text },
        { name: 'b', text },
      ]),
    ).toThrow(ConfigError);
    expect(() =>
      openRecordings([
        { name: 'a', text },
        { name: 'b', text },
      ]),
    ).toThrow(/a and b both record node 0/);
    expect(() => openRecordings([{ name: 'notes.txt', text: 'hello' }])).toThrow(RecordingParseError);
  });
});
