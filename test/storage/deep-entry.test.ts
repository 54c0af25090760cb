/**
 * An entry nested far deeper than JSON.stringify can go, already in a WAL (written by a
 * version before commands were checked at the door): the node must open, keep it, write
 * after it and reopen, never crash-loop over it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkJsonValue } from '../../machines/index.js';
import { FileStorage } from '../../src/storage/file-storage.js';
import { RecordKind, encodeBatch } from '../../src/storage/wal-frame.js';
import { SEGMENT_1, cleanUp, tempDir } from './fixtures.js';

afterEach(cleanUp);

const DEPTH = 200_000;
const deepText = '['.repeat(DEPTH) + ']'.repeat(DEPTH);

describe('a WAL holding an entry 200,000 levels deep', () => {
  it('opens, keeps the entry whole, appends after it and reopens', async () => {
    const dir = await tempDir();
    // What an older version wrote: hardState, then the entry, as one batch.
    await writeFile(
      join(dir, SEGMENT_1),
      encodeBatch([
        { kind: RecordKind.hardState, body: '[1,"a"]' },
        { kind: RecordKind.entry, body: `[1,${deepText}]` },
      ]),
    );
    const storage = await FileStorage.open(dir, { warn: () => {} });
    const state = await storage.load();
    expect(state.hardState).toEqual({ currentTerm: 1, votedFor: 'a' });
    expect(state.entries).toHaveLength(1);
    expect(checkJsonValue(state.entries[0]!.command)).toMatchObject({ ok: true, depth: DEPTH });
    expect(storage.stateBytes).toBeGreaterThan(2 * DEPTH);

    // The node writes after it, and rewrites it with the rest of a snapshot's tail.
    const deep = state.entries[0]!;
    await storage.write({ log: { from: 2, entries: [{ term: 1, command: 'next' }] } });
    await storage.write({ log: { from: 1, entries: [deep, { term: 2, command: 'again' }] } });
    await storage.close();

    const reopened = await FileStorage.open(dir, { warn: () => {} });
    const after = await reopened.load();
    expect(after.entries.map((e) => e.term)).toEqual([1, 2]);
    expect(checkJsonValue(after.entries[0]!.command)).toMatchObject({ ok: true, depth: DEPTH });
    await reopened.close();
  });
});
