/**
 * Durable file storage: every batch kind round trips and survives a reopen, writes keep
 * their order, segments roll over and go after a snapshot, a torn tail is cut with a
 * warning, damage before it refuses to open, a crash at any point of a snapshot write
 * recovers the old or the new state, and a killed process loses nothing acknowledged.
 */
import { spawn } from 'node:child_process';
import { appendFile, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PersistedState, StorageBatch } from '../../src/node/providers.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import type { FileStorage } from '../../src/storage/file-storage.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { StorageUnavailableError } from '../../src/storage/storage-errors.js';
import { replayable, testSeeds } from '../support/seeds.js';
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

/** Writes each batch to file and memory storage alike, checking they agree after each. */
async function writeBoth(file: FileStorage, memory: MemoryStorage, batches: StorageBatch[]): Promise<void> {
  for (const batch of batches) {
    await Promise.all([file.write(batch), memory.write(batch)]);
    expect(await file.load()).toEqual(await memory.load());
  }
}

describe('FileStorage round trips', () => {
  it('opens a directory it creates as term 0, no vote, no entries, with a first empty segment', async () => {
    const dir = join(await tempDir(), 'data', 'node-a');
    const { storage, warnings } = await openStorage(dir);
    expect(await storage.load()).toEqual(EMPTY);
    expect(await files(dir)).toEqual([SEGMENT_1]);
    expect(await size(join(dir, SEGMENT_1))).toBe(0);
    expect(storage.stateBytes).toBe(new MemoryStorage().stateBytes);
    expect(storage.snapshotBytes).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('round trips hardState, appends, truncations with and without new entries, and empty batches', async () => {
    const dir = await tempDir();
    const { storage } = await openStorage(dir);
    const memory = new MemoryStorage();
    await writeBoth(storage, memory, [
      { hardState: { currentTerm: 1, votedFor: 'a' } },
      { log: { from: 1, entries: entries(1, 1, 1, 1, 1) } },
      { hardState: { currentTerm: 2, votedFor: null }, log: { from: 5, entries: entries(5, 2, 2) } },
      { log: { from: 3, entries: entries(3, 3) } },
      {},
      { log: { from: 4, entries: [] } },
      { log: { from: 3, entries: [] } },
      { hardState: { currentTerm: 4, votedFor: 'b' } },
      { log: { from: 3, entries: entries(3, 4, 4, 4) } },
    ]);
    const expected = await memory.load();
    expect(expected.entries.map((e) => e.term)).toEqual([1, 1, 4, 4, 4]);
    expect(storage.stateBytes).toBe(memory.stateBytes);
    const again = await reopen(storage, dir);
    expect(await again.storage.load()).toEqual(expected);
    expect(again.storage.stateBytes).toBe(memory.stateBytes);
    expect(again.warnings).toEqual([]);
  });

  it('makes a snapshot the log base with the batch edit as the whole tail, across a reopen', async () => {
    const dir = await tempDir();
    const { storage } = await openStorage(dir);
    const memory = new MemoryStorage();
    const data = JSON.stringify({ kv: { k: 'väl "quoted"\nline' }, applied: 3 });
    await writeBoth(storage, memory, [
      { hardState: { currentTerm: 2, votedFor: 'c' }, log: { from: 1, entries: entries(1, 1, 1, 2, 2, 2) } },
      { snapshot: { index: 3, term: 2, data }, log: { from: 4, entries: entries(4, 2, 2, 2) } },
    ]);
    expect(await storage.load()).toEqual({
      hardState: { currentTerm: 2, votedFor: 'c' },
      snapshot: { index: 3, term: 2, data },
      entries: entries(4, 2, 2, 2),
    });
    // An installed snapshot past the log's end, with a new hardState and an empty tail.
    await writeBoth(storage, memory, [
      {
        hardState: { currentTerm: 5, votedFor: null },
        snapshot: { index: 9, term: 5, data: 'installed' },
        log: { from: 10, entries: [] },
      },
      { log: { from: 10, entries: entries(10, 5, 5) } },
      { log: { from: 11, entries: entries(11, 6) } },
    ]);
    expect(storage.stateBytes).toBe(memory.stateBytes);
    expect(storage.snapshotBytes).toBe(memory.snapshotBytes);
    const again = await reopen(storage, dir);
    expect(await again.storage.load()).toEqual(await memory.load());
    expect(again.storage.stateBytes).toBe(memory.stateBytes);
    expect(again.storage.snapshotBytes).toBe(Buffer.byteLength('installed'));
  });

  it('round trips commands of any JSON value', async () => {
    const dir = await tempDir();
    const { storage } = await openStorage(dir);
    const commands = [null, 0, -1.5, 2 ** 40, true, '', 'ünïcødé 🚀\n"\\', [1, [2, {}]], { a: { b: null } }];
    const log = commands.map((command, i) => ({ term: i, command }));
    await storage.write({ log: { from: 1, entries: log } });
    const again = await reopen(storage, dir);
    expect((await again.storage.load()).entries).toEqual(log);
  });

  it('refuses a log edit that does not fit the log, writes nothing for it, and stays usable', async () => {
    const dir = await tempDir();
    const { storage } = await openStorage(dir);
    await storage.write({ log: { from: 1, entries: entries(1, 1, 1, 1) } });
    await storage.write({
      snapshot: { index: 2, term: 1, data: 's' },
      log: { from: 3, entries: entries(3, 1, 1) },
    });
    const before = await storage.load();
    await expect(storage.write({ log: { from: 6, entries: entries(6, 1) } })).rejects.toThrow(RangeError);
    await expect(storage.write({ log: { from: 2, entries: entries(2, 1) } })).rejects.toThrow(/does not fit/);
    await expect(
      storage.write({ snapshot: { index: 4, term: 1, data: 's' }, log: { from: 4, entries: [] } }),
    ).rejects.toThrow(RangeError);
    await expect(storage.write({ hardState: { currentTerm: -1, votedFor: null } })).rejects.toThrow(
      RangeError,
    );
    expect(await storage.load()).toEqual(before);
    await storage.write({ log: { from: 5, entries: entries(5, 2) } });
    const again = await reopen(storage, dir);
    expect((await again.storage.load()).entries).toEqual([...before.entries, ...entries(5, 2)]);
  });
});

describe('FileStorage ordering and durability', () => {
  it('completes concurrent writes in the order issued, and a reopen holds all of them', async () => {
    const dir = await tempDir();
    const { storage } = await openStorage(dir, { segmentBytes: 300 });
    const completed: number[] = [];
    const writes = Array.from({ length: 40 }, (_, i) => {
      const batch: StorageBatch =
        i % 3 === 0
          ? {
              hardState: { currentTerm: i, votedFor: null },
              log: { from: i + 1, entries: entries(i + 1, i) },
            }
          : { log: { from: i + 1, entries: entries(i + 1, i) } };
      return storage.write(batch).then(() => completed.push(i));
    });
    // A snapshot issued behind them all still sees every one of them first.
    const tail = Array.from({ length: 20 }, (_, i) => ({ term: 20 + i, command: `cmd${21 + i}` }));
    const snapshot = storage
      .write({ snapshot: { index: 20, term: 19, data: 'at 20' }, log: { from: 21, entries: tail } })
      .then(() => completed.push(40));
    await Promise.all([...writes, snapshot]);
    expect(completed).toEqual(Array.from({ length: 41 }, (_, i) => i));
    const again = await reopen(storage, dir);
    const state = await again.storage.load();
    expect(state.hardState.currentTerm).toBe(39);
    expect(state.snapshot).toEqual({ index: 20, term: 19, data: 'at 20' });
    expect(state.entries).toEqual(tail);
  });

  it('group commit: writes issued while one is being synced share the next fsync, each acknowledged only after it', async () => {
    const dir = await tempDir();
    let syncs = 0;
    const acknowledged: { index: number; syncsBefore: number }[] = [];
    const later: Promise<void>[] = [];
    const { storage } = await openStorage(dir, {
      onSync: () => {
        syncs += 1;
        // The first write's fsync just finished and it is not yet acknowledged: these ten
        // arrive while it is under way, so they must wait for, and share, the next fsync.
        if (syncs !== 1) return;
        for (let i = 2; i <= 11; i++) {
          later.push(
            storage
              .write({ log: { from: i, entries: entries(i, 1) } })
              .then(() => void acknowledged.push({ index: i, syncsBefore: syncs })),
          );
        }
      },
    });
    await storage.write({ log: { from: 1, entries: entries(1, 1) } });
    expect(syncs).toBe(1);
    expect(acknowledged).toEqual([]);
    await Promise.all(later);
    expect(syncs).toBe(2);
    expect(acknowledged).toEqual(Array.from({ length: 10 }, (_, i) => ({ index: i + 2, syncsBefore: 2 })));
    const again = await reopen(storage, dir);
    expect((await again.storage.load()).entries).toEqual(entries(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1));
  });

  it('group commit: a batch that does not fit is refused alone, and the rest of its group is written', async () => {
    const dir = await tempDir();
    let syncs = 0;
    const { storage } = await openStorage(dir, { onSync: () => void (syncs += 1) });
    const first = storage.write({ log: { from: 1, entries: entries(1, 1) } });
    const misfit = storage.write({ log: { from: 5, entries: entries(5, 1) } });
    const second = storage.write({ log: { from: 2, entries: entries(2, 1) } });
    await expect(misfit).rejects.toThrow(/does not fit/);
    await Promise.all([first, second]);
    expect(syncs).toBe(1);
    const again = await reopen(storage, dir);
    expect((await again.storage.load()).entries).toEqual(entries(1, 1, 1));
  });

  it('loads the state of every write issued before the load, even if not yet awaited', async () => {
    const dir = await tempDir();
    const { storage } = await openStorage(dir);
    void storage.write({ hardState: { currentTerm: 3, votedFor: 'a' } });
    void storage.write({ log: { from: 1, entries: entries(1, 3) } });
    expect(await storage.load()).toEqual({
      hardState: { currentTerm: 3, votedFor: 'a' },
      entries: entries(1, 3),
    });
  });

  it('close waits for the writes issued, and refuses later writes', async () => {
    const dir = await tempDir();
    const { storage } = await openStorage(dir);
    const pending = storage.write({ log: { from: 1, entries: entries(1, 1, 1) } });
    await storage.close();
    await expect(pending).resolves.toBeUndefined();
    await expect(storage.write({ hardState: { currentTerm: 1, votedFor: null } })).rejects.toThrow(
      StorageUnavailableError,
    );
    const again = await openStorage(dir);
    expect((await again.storage.load()).entries).toEqual(entries(1, 1, 1));
  });

  it('a process killed with SIGKILL loses no acknowledged write, and never half a batch', async () => {
    const dir = await tempDir();
    const module = new URL('../../dist/src/storage/file-storage.js', import.meta.url).href;
    const script = join(dir, 'writer.mjs');
    // Write i sets term i and appends entry i (term i, command i) in one batch; every 25th
    // also snapshots at i - 5 and rewrites the tail after it.
    await writeFile(
      script,
      `import { FileStorage } from ${JSON.stringify(module)};
const storage = await FileStorage.open(process.argv[2], { segmentBytes: 2048 });
const entry = (j) => ({ term: j, command: j });
for (let i = 1; ; i++) {
  const hardState = { currentTerm: i, votedFor: null };
  if (i % 25 === 0) {
    const tail = [i - 4, i - 3, i - 2, i - 1, i].map(entry);
    await storage.write({ hardState, snapshot: { index: i - 5, term: i - 5, data: 'state@' + (i - 5) }, log: { from: i - 4, entries: tail } });
  } else {
    await storage.write({ hardState, log: { from: i, entries: [entry(i)] } });
  }
  process.stdout.write(i + '\\n');
}
`,
    );
    const data = join(dir, 'data');
    const child = spawn(process.execPath, [script, data], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acknowledged = 0;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    child.stdout.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line !== '') acknowledged = Number(line);
      if (acknowledged >= 120) child.kill('SIGKILL');
    });
    const signal = await exited;
    expect(stderr).toBe('');
    expect(signal).toBe('SIGKILL');
    expect(acknowledged).toBeGreaterThanOrEqual(120);

    const { storage } = await openStorage(data);
    const state = await storage.load();
    const last = (state.snapshot?.index ?? 0) + state.entries.length;
    expect(state.hardState.currentTerm).toBeGreaterThanOrEqual(acknowledged);
    // Term and last entry were written in one batch: both or neither.
    expect(last).toBe(state.hardState.currentTerm);
    expect(state.snapshot).toMatchObject({
      term: state.snapshot?.index,
      data: `state@${state.snapshot?.index}`,
    });
    state.entries.forEach((entry, i) => {
      const index = (state.snapshot?.index ?? 0) + 1 + i;
      expect(entry).toEqual({ term: index, command: index });
    });
  });
});

describe('FileStorage segments', () => {
  it('rolls over to a new segment when a batch would pass segmentBytes, and replays them all', async () => {
    const dir = await tempDir();
    const { storage } = await openStorage(dir, { segmentBytes: 120 });
    const memory = new MemoryStorage();
    const batches: StorageBatch[] = Array.from({ length: 30 }, (_, i) => ({
      hardState: { currentTerm: i + 1, votedFor: null },
      log: { from: i + 1, entries: entries(i + 1, i + 1) },
    }));
    // One batch larger than a segment gets a segment of its own.
    batches.push({ log: { from: 31, entries: entries(31, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9) } });
    await writeBoth(storage, memory, batches);
    const segments = (await files(dir)).filter((name) => name.startsWith('wal-'));
    expect(segments.length).toBeGreaterThan(5);
    const sizes = await Promise.all(segments.map((name) => size(join(dir, name))));
    expect(sizes.slice(0, -1).every((bytes) => bytes <= 120)).toBe(true);
    expect(sizes.at(-1)).toBeGreaterThan(120);
    const again = await reopen(storage, dir, { segmentBytes: 120 });
    expect(await again.storage.load()).toEqual(await memory.load());
    expect(again.warnings).toEqual([]);
  });

  it('starts a segment with each snapshot and then removes the older segments and snapshot files', async () => {
    const dir = await tempDir();
    const { storage } = await openStorage(dir, { segmentBytes: 100 });
    const memory = new MemoryStorage();
    await writeBoth(
      storage,
      memory,
      Array.from({ length: 12 }, (_, i) => ({ log: { from: i + 1, entries: entries(i + 1, 1) } })),
    );
    const before = (await files(dir)).filter((name) => name.startsWith('wal-'));
    expect(before.length).toBeGreaterThan(2);
    const newest = before.at(-1)!;
    const next = `${Number(newest.slice(4, 20)) + 1}`.padStart(16, '0');
    await writeBoth(storage, memory, [
      { snapshot: { index: 10, term: 1, data: 'first' }, log: { from: 11, entries: entries(11, 1, 1) } },
    ]);
    expect(await files(dir)).toEqual([`snap-${next}.snap`, `wal-${next}.log`]);
    await writeBoth(storage, memory, [
      { log: { from: 13, entries: entries(13, 2, 2, 2) } },
      { log: { from: 16, entries: entries(16, 2, 2, 2) } },
      {
        snapshot: { index: 14, term: 2, data: 'second' },
        log: { from: 15, entries: entries(15, 2, 2, 2, 2) },
      },
    ]);
    const after = await files(dir);
    expect(after).toHaveLength(2);
    expect(after.some((name) => name.includes(next))).toBe(false);
    const again = await reopen(storage, dir, { segmentBytes: 100 });
    expect(await again.storage.load()).toEqual(await memory.load());
    expect(await files(dir)).toEqual(after);
  });
});

/** Five single-entry batches; returns each batch's end offset in the first segment. */
async function fiveBatches(dir: string): Promise<{ memory: MemoryStorage; ends: number[] }> {
  const { storage } = await openStorage(dir);
  const memory = new MemoryStorage();
  const ends: number[] = [];
  for (let i = 1; i <= 5; i++) {
    const batch: StorageBatch = {
      hardState: { currentTerm: i, votedFor: 'n1' },
      log: { from: i, entries: entries(i, i) },
    };
    await Promise.all([storage.write(batch), memory.write(batch)]);
    ends.push(await size(join(dir, SEGMENT_1)));
  }
  await storage.close();
  return { memory, ends };
}

/** The state after the first `count` of fiveBatches' batches. */
function afterBatches(count: number): PersistedState {
  return {
    hardState: { currentTerm: count, votedFor: 'n1' },
    entries: Array.from({ length: count }, (_, i) => ({ term: i + 1, command: `cmd${i + 1}` })),
  };
}

describe('FileStorage recovery of a torn tail', () => {
  it('cuts a last record cut short, with a warning naming file and offset, and keeps every complete batch', async () => {
    const dir = await tempDir();
    const { ends } = await fiveBatches(dir);
    const segment = join(dir, SEGMENT_1);
    await truncate(segment, ends[4]! - 3);
    const { storage, warnings } = await openStorage(dir);
    expect(await storage.load()).toEqual(afterBatches(4));
    expect(warnings).toEqual([
      {
        message: expect.stringContaining('torn write'),
        details: { file: segment, offset: ends[3], bytes: ends[4]! - 3 - ends[3]! },
      },
    ]);
    expect(await size(segment)).toBe(ends[3]);
    // The log goes on from there, and the next open finds nothing to repair.
    await storage.write({ log: { from: 5, entries: entries(5, 7) } });
    const again = await reopen(storage, dir);
    expect(again.warnings).toEqual([]);
    expect((await again.storage.load()).entries).toEqual([...afterBatches(4).entries, ...entries(5, 7)]);
  });

  it('cuts half a record of garbage appended at the end', async () => {
    const dir = await tempDir();
    const { memory } = await fiveBatches(dir);
    const header = Buffer.alloc(8);
    header.writeUInt32LE(1000, 0);
    header.writeUInt32LE(0xdeadbeef, 4);
    await appendFile(join(dir, SEGMENT_1), Buffer.concat([header, Buffer.from('[7,"half')]));
    const { storage, warnings } = await openStorage(dir);
    expect(await storage.load()).toEqual(await memory.load());
    expect(warnings).toHaveLength(1);
  });

  it('cuts a tail of zeros (a file extended but never written)', async () => {
    const dir = await tempDir();
    const { memory, ends } = await fiveBatches(dir);
    await appendFile(join(dir, SEGMENT_1), Buffer.alloc(4096));
    const { storage, warnings } = await openStorage(dir);
    expect(await storage.load()).toEqual(await memory.load());
    expect(warnings).toMatchObject([{ details: { offset: ends[4], bytes: 4096 } }]);
  });

  it('discards a batch whole when its last record never made it, though earlier records did', async () => {
    const dir = await tempDir();
    const first = await openStorage(dir);
    await first.storage.write({
      hardState: { currentTerm: 1, votedFor: null },
      log: { from: 1, entries: entries(1, 1) },
    });
    const boundary = await size(join(dir, SEGMENT_1));
    // One batch of four records: hardState, then three entries of equal encoded size.
    await first.storage.write({
      hardState: { currentTerm: 2, votedFor: 'x' },
      log: { from: 2, entries: entries(2, 2, 2, 2) },
    });
    const end = await size(join(dir, SEGMENT_1));
    await first.storage.close();
    const entryFrame = 8 + 1 + JSON.stringify([2, 'cmd2']).length;
    await truncate(join(dir, SEGMENT_1), end - entryFrame);
    const { storage, warnings } = await openStorage(dir);
    expect(await storage.load()).toEqual({
      hardState: { currentTerm: 1, votedFor: null },
      entries: entries(1, 1),
    });
    expect(warnings).toMatchObject([{ details: { offset: boundary, bytes: end - entryFrame - boundary } }]);
  });
});

describe('FileStorage refuses to open on damage before the tail', () => {
  async function flipByte(path: string, at: number, mask = 0x01): Promise<void> {
    const bytes = await readFile(path);
    bytes[at] = bytes[at]! ^ mask;
    await writeFile(path, bytes);
  }

  it('names the file and offset of a record whose checksum fails', async () => {
    const dir = await tempDir();
    const { ends } = await fiveBatches(dir);
    const segment = join(dir, SEGMENT_1);
    // A byte of the first record of the second batch (its hardState body).
    await flipByte(segment, ends[0]! + 10);
    const error = await expectCorrupted(dir, segment, ends[0]!);
    expect(error.problem).toMatch(/checksum/);
    // Nothing was cut or removed.
    expect(await size(segment)).toBe(ends[4]);
  });

  it('treats a damaged length before the tail as corruption, not as a write cut short', async () => {
    const dir = await tempDir();
    const { ends } = await fiveBatches(dir);
    const segment = join(dir, SEGMENT_1);
    await flipByte(segment, ends[2]! + 2, 0x40);
    await expectCorrupted(dir, segment, ends[2]!);
  });

  it('treats damage at the end of a segment before the last as corruption', async () => {
    const dir = await tempDir();
    const { storage } = await openStorage(dir, { segmentBytes: 60 });
    for (let i = 1; i <= 9; i++) await storage.write({ log: { from: i, entries: entries(i, 1) } });
    await storage.close();
    const segments = (await files(dir)).filter((name) => name.startsWith('wal-'));
    expect(segments.length).toBeGreaterThan(2);
    const second = join(dir, segments[1]!);
    const bytes = await size(second);
    await truncate(second, bytes - 2);
    // Its last record (entry 6) starts one frame before the end.
    const lastFrame = bytes - (8 + 1 + JSON.stringify([1, 'cmd6']).length);
    const error = await expectCorrupted(dir, second, lastFrame);
    expect(error.problem).toMatch(/cut short/);
  });

  it('names a snapshot file whose checksum fails, and one the log records but is missing', async () => {
    const dir = await tempDir();
    const { storage } = await openStorage(dir);
    await storage.write({ log: { from: 1, entries: entries(1, 1, 1) } });
    await storage.write({
      snapshot: { index: 2, term: 1, data: 'snapshot data' },
      log: { from: 3, entries: entries(3, 1) },
    });
    await storage.close();
    const snapshot = (await files(dir)).find((name) => name.startsWith('snap-'))!;
    const path = join(dir, snapshot);
    await flipByte(path, 12);
    const damaged = await expectCorrupted(dir, path, 0);
    expect(damaged.problem).toMatch(/checksum/);
    await rm(path);
    const wal = join(dir, `wal-${snapshot.slice(5, 21)}.log`);
    const missing = await expectCorrupted(dir, wal, 0);
    expect(missing.problem).toContain('is missing');
  });
});

describe('FileStorage after a crash during a snapshot write', () => {
  /** State A over several segments, a copy of its files, then snapshot S written. */
  async function snapshotOver(dir: string) {
    const { storage } = await openStorage(dir, { segmentBytes: 100 });
    for (let i = 1; i <= 10; i++) {
      await storage.write({
        hardState: { currentTerm: i, votedFor: null },
        log: { from: i, entries: entries(i, i) },
      });
    }
    const stateA = await storage.load();
    const copies = new Map<string, Buffer>();
    for (const name of await files(dir)) copies.set(name, await readFile(join(dir, name)));
    await storage.write({
      snapshot: { index: 8, term: 8, data: 'S' },
      log: { from: 9, entries: entries(9, 9, 9) },
    });
    const stateS = await storage.load();
    await storage.close();
    const added = (await files(dir)).filter((name) => !copies.has(name));
    expect(added).toHaveLength(2);
    const [snapshotFile, walFile] = added as [string, string];
    // As if the process died before it removed the old files.
    for (const [name, bytes] of copies) await writeFile(join(dir, name), bytes);
    return { stateA, stateS, oldFiles: [...copies.keys()], snapshotFile, walFile };
  }

  it('renamed into place but not yet recorded: the old state; the unrecorded snapshot and temporary files go', async () => {
    const dir = await tempDir();
    const { stateA, oldFiles, snapshotFile, walFile } = await snapshotOver(dir);
    await truncate(join(dir, walFile), 0);
    await writeFile(join(dir, `${snapshotFile.replace(/\d{16}/, '9'.repeat(16))}.tmp`), 'half a snapshot');
    const { storage, warnings } = await openStorage(dir, { segmentBytes: 100 });
    expect(await storage.load()).toEqual(stateA);
    expect(warnings).toMatchObject([{ message: expect.stringContaining('never recorded') }]);
    expect(await files(dir)).toEqual([...oldFiles, walFile].sort());
    // And the next snapshot goes through.
    await storage.write({
      snapshot: { index: 9, term: 9, data: 'S2' },
      log: { from: 10, entries: entries(10, 10) },
    });
    const again = await reopen(storage, dir);
    expect(await again.storage.load()).toEqual({
      hardState: stateA.hardState,
      snapshot: { index: 9, term: 9, data: 'S2' },
      entries: entries(10, 10),
    });
  });

  it('its log record cut short: the old state, and the snapshot file goes', async () => {
    const dir = await tempDir();
    const { stateA, oldFiles, walFile } = await snapshotOver(dir);
    await truncate(join(dir, walFile), (await size(join(dir, walFile))) - 5);
    const { storage, warnings } = await openStorage(dir);
    expect(await storage.load()).toEqual(stateA);
    expect(warnings.map((w) => w.message)).toEqual([
      expect.stringContaining('torn write'),
      expect.stringContaining('never recorded'),
    ]);
    expect(await files(dir)).toEqual([...oldFiles, walFile].sort());
  });

  it('recorded but the old files not yet removed: the new state, and the old files go at open', async () => {
    const dir = await tempDir();
    const { stateS, snapshotFile, walFile } = await snapshotOver(dir);
    const { storage, warnings } = await openStorage(dir);
    expect(await storage.load()).toEqual(stateS);
    expect(stateS.snapshot).toEqual({ index: 8, term: 8, data: 'S' });
    expect(warnings).toEqual([]);
    expect(await files(dir)).toEqual([snapshotFile, walFile]);
  });
});

describe('FileStorage against MemoryStorage on random batches', () => {
  /** A batch the node could write: a new term or vote, an append, a truncation, a snapshot. */
  async function randomBatch(
    random: SeededRandom,
    memory: MemoryStorage,
    step: number,
  ): Promise<StorageBatch> {
    const state = await memory.load();
    const base = state.snapshot?.index ?? 0;
    const last = base + state.entries.length;
    const term = state.hardState.currentTerm;
    const newEntries = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({
        term,
        command: random.chance(1, 4) ? { step, i } : step * 10 + i,
      }));
    const hardState = random.chance(1, 4)
      ? { hardState: { currentTerm: term + random.int(1), votedFor: random.pick([null, 'a', 'b', 'c']) } }
      : {};
    switch (random.int(9)) {
      case 0:
      case 1: {
        // A snapshot: of the log's own prefix (the tail stays), or installed past its end.
        const index = random.chance(3, 4) ? base + random.int(last - base) : last + 1 + random.int(5);
        const kept = index <= last ? state.entries.slice(index - base) : [];
        const snapTerm = index <= last && index > base ? state.entries[index - base - 1]!.term : term;
        const data = `state@${index}:${'x'.repeat(random.int(200))}`;
        return {
          ...hardState,
          snapshot: { index, term: snapTerm, data },
          log: { from: index + 1, entries: kept },
        };
      }
      case 2:
      case 3: {
        if (last === base) return hardState;
        const from = base + 1 + random.int(last - base - 1);
        return { ...hardState, log: { from, entries: newEntries(from, random.int(3)) } };
      }
      default:
        return { ...hardState, log: { from: last + 1, entries: newEntries(last + 1, random.int(6)) } };
    }
  }

  for (const seed of testSeeds(3)) {
    it(`seed ${seed}: reopened file storage loads what memory storage holds`, async () => {
      await replayable(seed, 'npx vitest run test/storage/file-storage.test.ts', async () => {
        const dir = await tempDir();
        const random = new SeededRandom(seed, 'file-storage');
        const options = { segmentBytes: 512 };
        let { storage } = await openStorage(dir, options);
        const memory = new MemoryStorage();
        let snapshots = 0;
        for (let step = 1; step <= 300; step++) {
          const batch = await randomBatch(random, memory, step);
          if (batch.snapshot !== undefined) snapshots++;
          await Promise.all([storage.write(batch), memory.write(batch)]);
          if (step % 50 === 0 || random.chance(1, 40)) {
            // Half the time as a crash: a second open without closing the first.
            const previous = storage;
            ({ storage } = random.chance(1, 2)
              ? await openStorage(dir, options)
              : await reopen(storage, dir, options));
            await previous.close();
            expect(await storage.load()).toEqual(await memory.load());
          }
        }
        expect(snapshots).toBeGreaterThan(20);
        const again = await reopen(storage, dir, options);
        expect(await again.storage.load()).toEqual(await memory.load());
        expect(again.storage.stateBytes).toBe(memory.stateBytes);
        expect(again.storage.snapshotBytes).toBe(memory.snapshotBytes);
        expect(again.warnings).toEqual([]);
      });
    });
  }
});
