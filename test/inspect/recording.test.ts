/**
 * Record and replay: every node of a simulated cluster with crashes, partitions, snapshots
 * and proposals is recorded from each of its starts, and each recording replays through the
 * pure machine step for step; an edited recording is caught at the step that was edited.
 */
import { describe, expect, it } from 'vitest';
import { MemorySink, RecorderTooLateError, recordInputs } from '../../src/inspect/recorder.js';
import type { RecordedInput, RecordingHeader } from '../../src/inspect/recording.js';
import { parseRecording } from '../../src/inspect/recording.js';
import { describeDivergence, replayRecording } from '../../src/inspect/replay.js';
import { SimCluster } from '../../src/sim/sim-cluster.js';
import { replayable, testSeeds } from '../support/seeds.js';
import { RecordedCluster, faultyRun } from './recording-cluster.js';

const COMMAND = 'npx vitest run test/inspect/recording.test.ts';

describe('recording a simulated cluster', () => {
  for (const seed of testSeeds(3)) {
    it(`every node's recording replays through the pure machine, step for step (seed ${seed})`, () =>
      replayable(seed, COMMAND, async () => {
        const recorded = await faultyRun(seed);
        const { cluster } = recorded;
        try {
          let restarted = 0;
          for (const id of cluster.ids) {
            const recording = parseRecording(recorded.text(id), `${id}.jsonl`);
            expect(recording.node).toBe(id);
            expect(recording.sections).toHaveLength(recorded.starts(id));
            if (recorded.starts(id) > 1) restarted++;
            const result = replayRecording(recording);
            if (!result.ok) throw new Error(describeDivergence(result.divergence!));
            expect(result.replayed).toBe(recorded.inputs(id));
            // The replay ends where the node is: same role, term, vote, log and commit index.
            const end = result.sections.at(-1)!.final!;
            const status = cluster.status(id)!;
            expect({
              role: end.role,
              term: end.context.currentTerm,
              votedFor: end.context.votedFor,
              commitIndex: end.context.commitIndex,
              lastLogIndex: end.context.log.lastIndex,
            }).toEqual({
              role: status.role,
              term: status.term,
              votedFor: status.votedFor,
              commitIndex: status.commitIndex,
              lastLogIndex: status.lastLogIndex,
            });
          }
          expect(restarted).toBe(1);
          // What the run covered: every kind of input, snapshots sent and installed.
          const types = new Set(
            cluster.ids.flatMap((id) =>
              parseRecording(recorded.text(id)).sections.flatMap((s) => s.inputs.map((i) => i.event.type)),
            ),
          );
          for (const type of [
            'xstate.init',
            'RequestVote',
            'AppendEntries',
            'Propose',
            'Flush',
            'LogPersisted',
          ]) {
            expect(types).toContain(type);
          }
          expect([...types].some((t) => t.startsWith('xstate.after.electionTimeout'))).toBe(true);
          expect([...types].some((t) => t.startsWith('xstate.after.heartbeatInterval'))).toBe(true);
          expect(types).toContain('Snapshot');
          expect(types).toContain('InstallSnapshot');
        } finally {
          cluster.stopAll();
        }
      }));
  }

  it('a restarted node starts a new section whose header holds what it recovered', async () => {
    const recorded = await faultyRun(1);
    recorded.cluster.stopAll();
    const restarted = recorded.cluster.ids.find((id) => recorded.starts(id) === 2)!;
    const [first, second] = parseRecording(recorded.text(restarted)).sections;
    expect(first!.header.recovered).toEqual({ hardState: { currentTerm: 0, votedFor: null }, entries: [] });
    expect(second!.header.recovered.hardState.currentTerm).toBeGreaterThan(0);
    expect(
      second!.header.recovered.snapshot?.index ?? second!.header.recovered.entries.length,
    ).toBeGreaterThan(0);
    expect(second!.inputs[0]!.event).toEqual({ type: 'xstate.init' });
    // The start's election timeout is recorded, and it is the timer the node set.
    for (const section of [first!, second!]) {
      const drawn = section.inputs[0]!.electionTimeoutMs!;
      expect(drawn).toBeGreaterThanOrEqual(300);
      expect(drawn).toBeLessThanOrEqual(600);
    }
  });

  it('the header says who the node is and how it was configured', async () => {
    const recorded = new RecordedCluster({ seed: 2, size: 3, noopOnElection: false });
    await recorded.startAll();
    await recorded.cluster.runFor(100);
    recorded.cluster.stopAll();
    const header: RecordingHeader = parseRecording(recorded.text('1')).sections[0]!.header;
    expect(header).toMatchObject({
      type: 'recording',
      version: 1,
      node: '1',
      peers: ['0', '2'],
      timing: recorded.cluster.timing,
      noopOnElection: false,
      limits: { maxEntriesPerMessage: 512 },
    });
    expect(header.timeOrigin).toBeUndefined();
  });

  it('a recorder attached after start() is refused, saying to attach it before', async () => {
    const cluster = new SimCluster({ seed: 1, size: 1 });
    await cluster.startAll();
    try {
      const node = cluster.node('0')!;
      expect(() => recordInputs(node, new MemorySink())).toThrow(RecorderTooLateError);
      expect(() => recordInputs(node, new MemorySink())).toThrow(/attach the recorder .* before start\(\)/);
    } finally {
      cluster.stopAll();
    }
  });

  it('a closed recorder writes nothing more', async () => {
    const recorded = new RecordedCluster({ seed: 3, size: 1 });
    const sink = new MemorySink();
    const cluster = recorded.cluster;
    const started = cluster.start('0');
    const recorder = recordInputs(cluster.node('0')!, sink);
    await started;
    await cluster.runFor(1_000);
    await recorder.close();
    const length = sink.text.length;
    expect(recorder.inputs).toBeGreaterThan(2);
    expect(recorder.bytes).toBe(length);
    await cluster.runFor(1_000);
    expect(sink.text.length).toBe(length);
    cluster.stopAll();
  });
});

describe('an edited recording', () => {
  /** A node's recording, as lines, that has a line for which `has` holds (and that line's index). */
  async function recordingWith(has: (line: string) => boolean): Promise<{ lines: string[]; index: number }> {
    const recorded = await faultyRun(2);
    recorded.cluster.stopAll();
    for (const id of recorded.cluster.ids) {
      const lines = recorded.text(id).split('\n');
      const index = lines.findIndex(has);
      if (index >= 0) return { lines, index };
    }
    throw new Error('no recording has such a line');
  }

  it('a changed message is a divergence at exactly that step', async () => {
    const { lines, index } = await recordingWith((line) =>
      line.includes('"messages":[{"type":"RequestVoteReply"'),
    );
    const input = JSON.parse(lines[index]!) as RecordedInput;
    const edited = { ...input, messages: input.messages.map((m) => ({ ...m, term: m.term + 7 })) };
    lines[index] = JSON.stringify(edited);
    const result = replayRecording(parseRecording(lines.join('\n'), 'edited.jsonl'));
    expect(result.ok).toBe(false);
    const divergence = result.divergence!;
    expect(divergence).toMatchObject({ kind: 'messages', line: index + 1, recording: 'edited.jsonl' });
    expect(divergence.expected).toEqual(edited.messages);
    expect(divergence.got).toEqual(input.messages);
    expect(describeDivergence(divergence)).toMatch(
      new RegExp(`^edited\\.jsonl:${index + 1}: node \\S+'s input \\d+ of start 1 .*message 1 differs`),
    );
    // Every step before it replayed; the section stops there.
    expect(result.sections[divergence.section]!.replayed).toBe(divergence.input);
  });

  it('a dropped log edit, a changed draw and an unknown timer are divergences too', async () => {
    const { lines } = await recordingWith((line) => line.includes('"event":{"type":"Flush"}'));
    const at = (predicate: (input: RecordedInput) => boolean) =>
      lines.findIndex(
        (line) => line.startsWith('{"type":"input"') && predicate(JSON.parse(line) as RecordedInput),
      );
    const replayEdited = (index: number, edit: (input: RecordedInput) => object) => {
      const copy = [...lines];
      copy[index] = JSON.stringify(edit(JSON.parse(copy[index]!) as RecordedInput));
      return replayRecording(parseRecording(copy.join('\n'))).divergence;
    };
    const edited = at((i) => i.edits.length > 0);
    expect(replayEdited(edited, (i) => ({ ...i, edits: [] }))).toMatchObject({
      kind: 'edits',
      line: edited + 1,
    });
    const drew = at((i) => i.electionTimeoutMs !== null && i.event.type !== 'xstate.init');
    expect(replayEdited(drew, (i) => ({ ...i, electionTimeoutMs: null }))).toMatchObject({
      kind: 'draw',
      line: drew + 1,
    });
    const flush = at((i) => i.event.type === 'Flush');
    expect(
      replayEdited(flush, (i) => ({
        ...i,
        event: { type: 'xstate.after.heartbeatInterval.raft.leader.nowhere' },
      })),
    ).toMatchObject({ kind: 'timer', line: flush + 1 });
  });
});
