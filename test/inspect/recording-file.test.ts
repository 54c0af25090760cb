/**
 * The recording on disk: appended (a section per start, on a line of its own even after a
 * crash cut the file mid-line), written out in full on close, and a write failure stops the
 * recording, never the node.
 */
import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RaftNode } from '../../src/api/raft-node.js';
import type { Recorder } from '../../src/inspect/recorder.js';
import { RecorderTooLateError } from '../../src/inspect/recorder.js';
import type { RecordNodeOptions } from '../../src/inspect/recording-file.js';
import { RecordingFileError, recordNode } from '../../src/inspect/recording-file.js';
import { parseRecording } from '../../src/inspect/recording.js';
import { replayRecording } from '../../src/inspect/replay.js';
import { SimCluster } from '../../src/sim/sim-cluster.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'raftchart-recording-file-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts node 0 of a one-node cluster recorded to `path`, runs it a while, stops it. */
async function recordedRun(
  cluster: SimCluster,
  path: string,
  options?: RecordNodeOptions,
): Promise<{ recorder: Recorder; node: RaftNode }> {
  const started = cluster.start('0');
  const node = cluster.node('0')!;
  const recorder = recordNode(node, path, options);
  await started;
  await cluster.runFor(2_000);
  return { recorder, node };
}

describe('recordNode', () => {
  it('appends a section per start; close writes out every line', async () => {
    const path = join(dir, 'a.jsonl');
    const cluster = new SimCluster({ seed: 1, size: 1 });
    const first = await recordedRun(cluster, path);
    await first.recorder.close();
    const second = await recordedRun(cluster, path);
    await second.recorder.close();
    cluster.stopAll();
    const text = await readFile(path, 'utf8');
    expect(text.length).toBe(first.recorder.bytes + second.recorder.bytes);
    const recording = parseRecording(text, path);
    expect(recording.sections.map((s) => s.inputs.length)).toEqual([
      first.recorder.inputs,
      second.recorder.inputs,
    ]);
    expect(replayRecording(recording).ok).toBe(true);
  });

  it('after a crash cut the file mid-line, the next start begins on a line of its own', async () => {
    const path = join(dir, 'b.jsonl');
    const cluster = new SimCluster({ seed: 2, size: 1 });
    await (await recordedRun(cluster, path)).recorder.close();
    await appendFile(path, '{"type":"input","at":2001,"ev');
    await (await recordedRun(cluster, path)).recorder.close();
    cluster.stopAll();
    const recording = parseRecording(await readFile(path, 'utf8'));
    expect(recording.sections).toHaveLength(2);
    expect(recording.sections[0]!.tornLine).toBe(recording.sections[1]!.headerLine - 1);
    expect(replayRecording(recording).ok).toBe(true);
  });

  it('refuses a node that has started, touching no file', async () => {
    const cluster = new SimCluster({ seed: 3, size: 1 });
    await cluster.startAll();
    const path = join(dir, 'late.jsonl');
    expect(() => recordNode(cluster.node('0')!, path)).toThrow(RecorderTooLateError);
    expect(existsSync(path)).toBe(false);
    cluster.stopAll();
  });

  it('refuses a file it cannot open, saying what to do', () => {
    const cluster = new SimCluster({ seed: 3, size: 1 });
    void cluster.start('0');
    expect(() => recordNode(cluster.node('0')!, join(dir, 'missing', 'c.jsonl'))).toThrow(
      /cannot write the recording .*missing\/c\.jsonl: ENOENT.*record to a writable file/,
    );
    cluster.stopAll();
  });

  it.skipIf(!existsSync('/dev/full'))(
    'a failed write stops the recording and says why; the node carries on',
    async () => {
      const cluster = new SimCluster({ seed: 4, size: 1 });
      const errors: RecordingFileError[] = [];
      const { recorder, node } = await recordedRun(cluster, '/dev/full', { onError: (e) => errors.push(e) });
      await expect(recorder.close()).rejects.toBeInstanceOf(RecordingFileError);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message).toMatch(/cannot write the recording \/dev\/full: ENOSPC/);
      expect(node.status().role).toBe('leader');
      cluster.stopAll();
      // Closed while the failing write is still under way: close says so all the same.
      const again = new SimCluster({ seed: 5, size: 1 });
      const started = again.start('0');
      const early = recordNode(again.node('0')!, '/dev/full');
      await started;
      await expect(early.close()).rejects.toBeInstanceOf(RecordingFileError);
      again.stopAll();
    },
  );
});
