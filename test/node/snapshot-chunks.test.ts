/** InstallSnapshot chunking and reassembly, apart from the host that uses them. */
import { describe, expect, it } from 'vitest';
import type { InstallSnapshot } from '../../machines/index.js';
import { jsonStringBytes } from '../../machines/index.js';
import { SnapshotAssembler, chunkSnapshot } from '../../src/node/snapshot-chunks.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';

function snapshotMessage(data: string, overrides: Partial<InstallSnapshot> = {}): InstallSnapshot {
  return {
    type: 'InstallSnapshot',
    from: 'a',
    to: 'b',
    term: 3,
    rpcId: 7,
    lastIncludedIndex: 40,
    lastIncludedTerm: 2,
    offset: 0,
    data,
    done: true,
    ...overrides,
  };
}

describe('snapshot chunks', () => {
  it('a snapshot that fits leaves whole; a large one as chunks within the limit, last one done', () => {
    expect(chunkSnapshot(snapshotMessage('small'), 64)).toHaveLength(1);
    const data = 'x"é\n'.repeat(100);
    const chunks = chunkSnapshot(snapshotMessage(data), 64);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(jsonStringBytes(chunk.data) - 2).toBeLessThanOrEqual(64);
    expect(chunks.map((c) => c.done)).toEqual(chunks.map((_, i) => i === chunks.length - 1));
    expect(chunks.map((c) => c.data).join('')).toBe(data);
    expect(new Set(chunks.map((c) => c.rpcId))).toEqual(new Set([7]));
  });

  it('reassembles chunks in any order, duplicates and resends (new rpcId) included', () => {
    const data = 'snapshot-data-'.repeat(50);
    const chunks = chunkSnapshot(snapshotMessage(data), 40);
    const random = new SeededRandom(5, 'chunks');
    const shuffled = [...chunks, ...chunks.slice(0, 3).map((c) => ({ ...c, rpcId: 9 }))];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = random.int(i);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    const assembler = new SnapshotAssembler();
    const results = shuffled.map((chunk) => assembler.accept(chunk)).filter((r) => r !== null);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ offset: 0, done: true, data, lastIncludedIndex: 40 });
  });

  it('a chunk of another snapshot replaces what was gathered from that leader', () => {
    const assembler = new SnapshotAssembler();
    const old = chunkSnapshot(snapshotMessage('old-'.repeat(40)), 40);
    const next = chunkSnapshot(snapshotMessage('new-'.repeat(40), { lastIncludedIndex: 50 }), 40);
    expect(assembler.accept(old[0]!)).toBeNull();
    for (const chunk of next.slice(0, -1)) expect(assembler.accept(chunk)).toBeNull();
    // The rest of the old snapshot starts over for it, and does not complete the new one.
    expect(assembler.accept(old.at(-1)!)).toBeNull();
    const results = next.map((chunk) => assembler.accept(chunk));
    expect(results.slice(0, -1)).toEqual(results.slice(0, -1).map(() => null));
    expect(results.at(-1)?.data).toBe('new-'.repeat(40));
  });
});
