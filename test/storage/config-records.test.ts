/**
 * Membership in storage: configuration entries and a snapshot's configuration survive a
 * restart, file and memory storage alike, counted the same; plain entries and snapshot files
 * written without a configuration keep their old bytes and still load; a torn configuration
 * entry is cut as any torn write, and a malformed one refuses to open.
 */
import { appendFile, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterConfig, LogEntry, SnapshotRecord } from '../../machines/index.js';
import type { StorageBatch } from '../../src/node/providers.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { decodeSnapshotFile, encodeSnapshotFile } from '../../src/storage/snapshot-file.js';
import { entrySize, hardStateSize, snapshotMetaSize } from '../../src/storage/state-size.js';
import { encodeBatch, RecordKind } from '../../src/storage/wal-frame.js';
import {
  cleanUp,
  entries,
  expectCorrupted,
  openStorage,
  reopen,
  SEGMENT_1,
  size,
  tempDir,
} from './fixtures.js';

afterEach(cleanUp);

const THREE: ClusterConfig = { voters: ['a', 'b', 'c'], learners: [], addresses: {} };
const FOUR: ClusterConfig = {
  voters: ['a', 'b', 'c'],
  learners: ['d'],
  addresses: { a: 'ws://127.0.0.1:7001', d: 'ws://127.0.0.1:7004' },
};

function configEntry(term: number, config: ClusterConfig): LogEntry {
  return { term, command: null, config };
}

/** cmd1, the config FOUR at 2, cmd3, cmd4: a log with a configuration entry among commands. */
function mixedLog(): LogEntry[] {
  return [...entries(1, 1), configEntry(1, FOUR), ...entries(3, 1, 2)];
}

describe('configuration entries', () => {
  it('round trip through a FileStorage restart, counted as MemoryStorage counts them', async () => {
    const dir = await tempDir();
    const { storage } = await openStorage(dir);
    const memory = new MemoryStorage();
    const batches: StorageBatch[] = [
      { hardState: { currentTerm: 2, votedFor: 'a' }, log: { from: 1, entries: mixedLog() } },
      // A truncation that drops a configuration entry, and a new one after it.
      { log: { from: 4, entries: [configEntry(2, THREE), ...entries(5, 2)] } },
    ];
    for (const batch of batches) await Promise.all([storage.write(batch), memory.write(batch)]);
    const expected = [...mixedLog().slice(0, 3), configEntry(2, THREE), ...entries(5, 2)];
    expect(await storage.load()).toEqual(await memory.load());
    expect((await memory.load()).entries).toEqual(expected);
    expect(storage.stateBytes).toBe(memory.stateBytes);
    const again = await reopen(storage, dir);
    expect(await again.storage.load()).toEqual({
      hardState: { currentTerm: 2, votedFor: 'a' },
      entries: expected,
    });
    expect(again.storage.stateBytes).toBe(memory.stateBytes);
    expect(again.warnings).toEqual([]);
  });

  it('write a plain entry as [term, command] and a configuration entry as [term, command, config]', async () => {
    const dir = await tempDir();
    const { storage } = await openStorage(dir);
    await storage.write({ log: { from: 1, entries: mixedLog().slice(0, 2) } });
    const wal = (await readFile(join(dir, SEGMENT_1))).toString('latin1');
    expect(wal).toContain('[1,"cmd1"]');
    expect(wal).toContain(
      '[1,null,{"voters":["a","b","c"],"learners":["d"],"addresses":{"a":"ws://127.0.0.1:7001","d":"ws://127.0.0.1:7004"}}]',
    );
  });

  it('are counted by entrySize as their record, config included', () => {
    const plain: LogEntry = { term: 1, command: null };
    const withConfig = configEntry(1, THREE);
    const configText = '{"voters":["a","b","c"],"learners":[],"addresses":{}}';
    expect(entrySize(plain)).toBe('[1,null]'.length);
    expect(entrySize(withConfig)).toBe(`[1,null,${configText}]`.length);
    // A config with its fields in another order, or extra ones, counts (and is stored) the same.
    const shuffled = { addresses: {}, extra: 1, learners: [], voters: ['a', 'b', 'c'] } as ClusterConfig;
    expect(entrySize(configEntry(1, shuffled))).toBe(entrySize(withConfig));
  });

  it('round trip through a MemoryStorage crash and restart, with the same byte count', async () => {
    const memory = new MemoryStorage();
    await memory.write({
      hardState: { currentTerm: 1, votedFor: null },
      log: { from: 1, entries: mixedLog() },
    });
    const restarted = new MemoryStorage(memory.crash());
    expect((await restarted.load()).entries).toEqual(mixedLog());
    expect(restarted.stateBytes).toBe(memory.stateBytes);
    expect(restarted.stateBytes).toBe(
      hardStateSize({ currentTerm: 1, votedFor: null }) +
        mixedLog().reduce((sum, e) => sum + entrySize(e), 0),
    );
    // Dropping the configuration entry gives its bytes back.
    await restarted.write({ log: { from: 2, entries: [] } });
    expect(restarted.stateBytes).toBe(
      hardStateSize({ currentTerm: 1, votedFor: null }) + entrySize(mixedLog()[0]!),
    );
  });

  it('a torn configuration entry is cut as any torn write, keeping the batches before it', async () => {
    const dir = await tempDir();
    const { storage } = await openStorage(dir);
    await storage.write({ log: { from: 1, entries: entries(1, 1) } });
    const before = await size(join(dir, SEGMENT_1));
    await storage.write({ log: { from: 2, entries: [configEntry(1, FOUR)] } });
    await storage.close();
    await truncate(join(dir, SEGMENT_1), (await size(join(dir, SEGMENT_1))) - 4);
    const again = await openStorage(dir);
    expect((await again.storage.load()).entries).toEqual(entries(1, 1));
    expect(again.warnings).toEqual([
      expect.objectContaining({ message: expect.stringContaining('torn write') as unknown }),
    ]);
    expect(await size(join(dir, SEGMENT_1))).toBe(before);
  });

  it.each([
    ['voters not a list', '[1,null,{"voters":"a","learners":[],"addresses":{}}]'],
    ['a learner not a string', '[1,null,{"voters":["a"],"learners":[7],"addresses":{}}]'],
    ['an address not a string', '[1,null,{"voters":["a"],"learners":[],"addresses":{"a":1}}]'],
    ['no addresses', '[1,null,{"voters":["a"],"learners":[]}]'],
    ['an extra field', '[1,null,{"voters":["a"],"learners":[],"addresses":{},"x":1}]'],
    ['a fourth element', '[1,null,{"voters":["a"],"learners":[],"addresses":{}},0]'],
  ])('a whole entry record with %s refuses to open as corruption', async (_name, body) => {
    const dir = await tempDir();
    const { storage } = await openStorage(dir);
    await storage.write({ log: { from: 1, entries: entries(1, 1) } });
    await storage.close();
    const offset = await size(join(dir, SEGMENT_1));
    await appendFile(join(dir, SEGMENT_1), encodeBatch([{ kind: RecordKind.entry, body }]));
    const error = await expectCorrupted(dir, join(dir, SEGMENT_1), offset);
    expect(error.message).toContain('a malformed record');
  });
});

describe('a snapshot with its configuration', () => {
  it('round trips through a FileStorage restart, counted as MemoryStorage counts it', async () => {
    const dir = await tempDir();
    const { storage } = await openStorage(dir);
    const memory = new MemoryStorage();
    const snapshot: SnapshotRecord = { index: 4, term: 2, data: 'state@4', config: FOUR };
    const batch: StorageBatch = { snapshot, log: { from: 5, entries: [configEntry(2, THREE)] } };
    await Promise.all([storage.write(batch), memory.write(batch)]);
    expect(storage.stateBytes).toBe(memory.stateBytes);
    const again = await reopen(storage, dir);
    const state = await again.storage.load();
    expect(state.snapshot).toEqual(snapshot);
    expect(state.entries).toEqual([configEntry(2, THREE)]);
    expect(again.storage.stateBytes).toBe(memory.stateBytes);
    expect(snapshotMetaSize(snapshot)).toBeGreaterThan(snapshotMetaSize({ index: 4, term: 2, data: '' }));
  });

  it('round trips through a MemoryStorage crash and restart', async () => {
    const memory = new MemoryStorage();
    const snapshot: SnapshotRecord = { index: 4, term: 2, data: 'state@4', config: THREE };
    await memory.write({ snapshot, log: { from: 5, entries: [] } });
    const restarted = new MemoryStorage(memory.crash());
    expect((await restarted.load()).snapshot).toEqual(snapshot);
    expect(restarted.stateBytes).toBe(memory.stateBytes);
  });

  it('a snapshot file in the old layout, [index, term] only, still loads, without a configuration', async () => {
    // Built by hand, byte for byte as files were written before configurations were recorded.
    const meta = Buffer.from('[4,2]');
    const body = Buffer.concat([Buffer.alloc(4), meta, Buffer.from('state@4')]);
    body.writeUInt32LE(meta.length, 0);
    const old = Buffer.concat([Buffer.alloc(4), body]);
    old.writeUInt32LE(crc32(body), 0);
    expect(decodeSnapshotFile(old)).toEqual({ index: 4, term: 2, data: 'state@4' });
    expect(encodeSnapshotFile({ index: 4, term: 2, data: 'state@4' })).toEqual(old);

    // And through a restart: a data directory whose snapshot file is replaced by the old bytes.
    const dir = await tempDir();
    const { storage } = await openStorage(dir);
    await storage.write({
      snapshot: { index: 4, term: 2, data: 'state@4', config: THREE },
      log: { from: 5, entries: [] },
    });
    await storage.close();
    const snapFile = join(dir, 'snap-0000000000000001.snap');
    expect(decodeSnapshotFile(await readFile(snapFile))).toMatchObject({ config: THREE });
    await writeFile(snapFile, old);
    const again = await openStorage(dir);
    const state = await again.storage.load();
    expect(state.snapshot).toEqual({ index: 4, term: 2, data: 'state@4' });
    expect(state.snapshot).not.toHaveProperty('config');
  });

  it('a snapshot file with a malformed configuration is refused', () => {
    const good = encodeSnapshotFile({ index: 4, term: 2, data: 'd', config: THREE });
    const text = good.toString('utf8', 8).replace('"learners":[]', '"learners":{}');
    const body = Buffer.concat([Buffer.alloc(4), Buffer.from(text)]);
    body.writeUInt32LE(good.readUInt32LE(4), 0);
    const bad = Buffer.concat([Buffer.alloc(4), body]);
    bad.writeUInt32LE(crc32(body), 0);
    expect(decodeSnapshotFile(good)).toEqual({ index: 4, term: 2, data: 'd', config: THREE });
    expect(decodeSnapshotFile(bad)).toEqual({ problem: 'a snapshot file whose configuration is malformed' });
  });
});
