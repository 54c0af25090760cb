/**
 * What a data directory may look like (docs/storage.md): with no raftchart file it is a new
 * node; the leftovers of a crash are repaired; every other shape is refused as corruption
 * and left as it is, since starting on it could lose the node's term, vote or entries.
 */
import { copyFile, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PersistedState } from '../../src/node/providers.js';
import { segmentName, snapshotName } from '../../src/storage/data-dir.js';
import {
  cleanUp,
  EMPTY,
  entries,
  expectCorrupted,
  files,
  openStorage,
  reopen,
  SEGMENT_1,
  size,
  tempDir,
} from './fixtures.js';

afterEach(cleanUp);

// Two single-entry batches fit a segment, a third starts the next one.
const SEGMENT_BYTES = 60;

const segment = segmentName;
const snapshotFile = snapshotName;

/** Entries 1..count, one batch each, over segments 1, 2, ...; returns the state. */
async function plainLog(dir: string, count: number): Promise<PersistedState> {
  const { storage } = await openStorage(dir, { segmentBytes: SEGMENT_BYTES });
  await storage.write({ hardState: { currentTerm: 1, votedFor: 'n1' } });
  for (let i = 1; i <= count; i++) await storage.write({ log: { from: i, entries: entries(i, 1) } });
  const state = await storage.load();
  await storage.close();
  return state;
}

/**
 * Six entries over segments 1-3, then a snapshot at index 4 starting segment 4 (which
 * removes segments 1-3); `more` entries after it may roll over to later segments. Returns
 * the states before and after the snapshot, and copies of the files before it.
 */
async function checkpointLog(
  dir: string,
  more = 0,
): Promise<{ stateBefore: PersistedState; state: PersistedState; before: Map<string, Buffer> }> {
  const stateBefore = await plainLog(dir, 6);
  const before = new Map<string, Buffer>();
  for (const name of await files(dir)) before.set(name, await readFile(join(dir, name)));
  const { storage } = await openStorage(dir, { segmentBytes: SEGMENT_BYTES });
  await storage.write({
    snapshot: { index: 4, term: 1, data: 'S4' },
    log: { from: 5, entries: entries(5, 1, 1) },
  });
  for (let i = 7; i < 7 + more; i++) await storage.write({ log: { from: i, entries: entries(i, 1) } });
  const state = await storage.load();
  await storage.close();
  expect((await files(dir)).slice(0, 2)).toEqual([snapshotFile(4), segment(4)]);
  return { stateBefore, state, before };
}

async function restore(dir: string, saved: Map<string, Buffer>, names: readonly string[]): Promise<void> {
  for (const name of names) await writeFile(join(dir, name), saved.get(name)!);
}

describe('a new node', () => {
  it('is a directory with no raftchart files; other files in it are left alone', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'notes.txt'), 'not ours');
    await writeFile(join(dir, 'wal-1.log'), 'not a segment name either');
    const { storage, warnings } = await openStorage(dir);
    expect(await storage.load()).toEqual(EMPTY);
    expect(await files(dir)).toEqual(['notes.txt', SEGMENT_1, 'wal-1.log']);
    expect(warnings).toEqual([]);
  });
});

describe('crash leftovers that are repaired', () => {
  it('wal-1 empty and an unrecorded snap-1.snap (a crash between rename and record): discarded with a warning', async () => {
    const dir = await tempDir();
    const first = await openStorage(dir);
    await first.storage.write({
      hardState: { currentTerm: 3, votedFor: 'n2' },
      snapshot: { index: 5, term: 3, data: 'installed' },
      log: { from: 6, entries: [] },
    });
    await first.storage.close();
    expect(await files(dir)).toEqual([snapshotFile(1), SEGMENT_1]);
    await truncate(join(dir, SEGMENT_1), 0);
    const { storage, warnings } = await openStorage(dir);
    expect(await storage.load()).toEqual(EMPTY);
    expect(warnings).toMatchObject([
      { message: expect.stringContaining('never recorded'), details: { file: join(dir, snapshotFile(1)) } },
    ]);
    expect(await files(dir)).toEqual([SEGMENT_1]);
  });

  it('an unrecorded snapshot for the next segment, which was never created: discarded with a warning', async () => {
    const dir = await tempDir();
    const { stateBefore, before } = await checkpointLog(dir);
    // As if the crash came after the snapshot's rename, before its segment was created.
    await rm(join(dir, segment(4)));
    await restore(dir, before, [...before.keys()]);
    const again = await openStorage(dir, { segmentBytes: SEGMENT_BYTES });
    expect(await again.storage.load()).toEqual(stateBefore);
    expect(again.warnings).toMatchObject([{ message: expect.stringContaining('never recorded') }]);
    expect(await files(dir)).toEqual([segment(1), segment(2), segment(3)]);
  });

  it('segments before the checkpoint, even with gaps (a crash while removing them): removed quietly', async () => {
    const dir = await tempDir();
    const { state, before } = await checkpointLog(dir, 3);
    await restore(dir, before, [segment(1), segment(3)]);
    const { storage, warnings } = await openStorage(dir, { segmentBytes: SEGMENT_BYTES });
    expect(await storage.load()).toEqual(state);
    expect(warnings).toEqual([]);
    expect(await files(dir)).not.toContain(segment(1));
    expect(await files(dir)).not.toContain(segment(3));
    const again = await reopen(storage, dir);
    expect(await again.storage.load()).toEqual(state);
  });
});

describe('damage that is refused', () => {
  it('snapshot files but no segment: the log with the term and vote is gone, so this is no new node', async () => {
    const dir = await tempDir();
    await checkpointLog(dir, 3);
    for (const name of await files(dir)) if (name.startsWith('wal-')) await rm(join(dir, name));
    await copyFile(join(dir, snapshotFile(4)), join(dir, snapshotFile(2)));
    const error = await expectCorrupted(dir, join(dir, snapshotFile(2)), 0);
    expect(error.problem).toMatch(/no log segment/);
  });

  it('only a snapshot being written (.tmp) and no segment', async () => {
    const dir = await tempDir();
    const tmp = join(dir, `${snapshotFile(7)}.tmp`);
    await writeFile(tmp, 'half a snapshot');
    const error = await expectCorrupted(dir, tmp, 0);
    expect(error.problem).toMatch(/no log segment/);
  });

  it('segments not starting at 1, without a checkpoint: the first segment is missing', async () => {
    const dir = await tempDir();
    await plainLog(dir, 6);
    await rm(join(dir, segment(1)));
    const error = await expectCorrupted(dir, join(dir, segment(2)), 0);
    expect(error.problem).toMatch(/segments before it are missing/);
  });

  it('a missing middle segment', async () => {
    const dir = await tempDir();
    await plainLog(dir, 6);
    await rm(join(dir, segment(2)));
    const error = await expectCorrupted(dir, join(dir, segment(3)), 0);
    expect(error.problem).toContain(`segment ${segment(2)} before it is missing`);
  });

  it('an emptied middle segment', async () => {
    const dir = await tempDir();
    await plainLog(dir, 6);
    await truncate(join(dir, segment(2)), 0);
    const error = await expectCorrupted(dir, join(dir, segment(2)), 0);
    expect(error.problem).toMatch(/empty/);
  });

  it('the checkpoint segment emptied, with no segment before it (alone, or with later ones)', async () => {
    const dir = await tempDir();
    await checkpointLog(dir);
    await truncate(join(dir, segment(4)), 0);
    const alone = await expectCorrupted(dir, join(dir, segment(4)), 0);
    expect(alone.problem).toMatch(/segments before it are missing/);

    const other = await tempDir();
    await checkpointLog(other, 4);
    expect(await files(other)).toContain(segment(6));
    await truncate(join(other, segment(4)), 0);
    await expectCorrupted(other, join(other, segment(4)), 0);
  });

  it('the checkpoint segment whose snapshot batch is cut short, with no segment before it', async () => {
    const dir = await tempDir();
    await checkpointLog(dir);
    const path = join(dir, segment(4));
    await truncate(path, (await size(path)) - 3);
    const error = await expectCorrupted(dir, path, 0);
    expect(error.problem).toMatch(/segments before it are missing/);
  });

  it('an unrecorded snapshot past the next segment: segments that recorded it are missing', async () => {
    const dir = await tempDir();
    const source = await tempDir();
    await checkpointLog(source);
    await plainLog(dir, 6);
    await copyFile(join(source, snapshotFile(4)), join(dir, snapshotFile(9)));
    const error = await expectCorrupted(dir, join(dir, snapshotFile(9)), 0);
    expect(error.problem).toMatch(/log does not record/);
  });

  it('an unrecorded snapshot for the last segment, which holds records', async () => {
    const dir = await tempDir();
    const source = await tempDir();
    await checkpointLog(source);
    await plainLog(dir, 6);
    await copyFile(join(source, snapshotFile(4)), join(dir, snapshotFile(3)));
    const error = await expectCorrupted(dir, join(dir, snapshotFile(3)), 0);
    expect(error.problem).toMatch(/log does not record/);
  });
});
