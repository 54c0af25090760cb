/** Snapshots through the host: restart from a snapshot, chunked InstallSnapshot, the apply order. */
import { describe, expect, it } from 'vitest';
import type { InstallSnapshot } from '../../machines/index.js';
import { jsonStringBytes } from '../../machines/index.js';
import { ApplyQueue } from '../../src/node/apply-queue.js';
import { SimCluster } from '../../src/sim/sim-cluster.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';

type Delivered = { entry: number } | { snapshot: number; data: string };

/** A cluster whose every node records what its application was handed, in order. */
function recordingCluster(options: { seed: number; unreliable?: boolean; maxSnapshotChunk?: number }) {
  const delivered = new Map<string, Delivered[]>();
  const push = (id: string, item: Delivered) => void delivered.set(id, [...(delivered.get(id) ?? []), item]);
  const cluster = new SimCluster({
    size: 3,
    noopOnElection: false, // the assertions name exact indexes
    ...options,
    stateMachine: (id) => ({
      apply: (_command, index) => push(id, { entry: index }),
      restore: (data, { index }) => push(id, { snapshot: index, data }),
      snapshot: () => `app@${id}`,
    }),
  });
  return { cluster, delivered };
}

const leaderOf = (cluster: SimCluster) => cluster.ids.find((id) => cluster.status(id)?.role === 'leader')!;

describe('snapshots through the node host', () => {
  it('a lagging follower gets a large snapshot in chunks, reassembled, then the entries after it', async () => {
    for (const unreliable of [false, true]) {
      const { cluster, delivered } = recordingCluster({ seed: 3, unreliable, maxSnapshotChunk: 64 });
      await cluster.startAll();
      try {
        await cluster.run(async () => {
          await cluster.clock.sleep(1_000);
          const leader = leaderOf(cluster);
          const lagging = cluster.ids.find((id) => id !== leader)!;
          cluster.disconnect(lagging);
          const chunks: InstallSnapshot[] = [];
          cluster.node(leader)!.on('sent', (m) => void (m.type === 'InstallSnapshot' && chunks.push(m)));
          for (let i = 0; i < 20; i++) cluster.node(leader)!.submit(`c${i}`);
          await cluster.clock.sleep(1_000);
          // Quotes, control characters and accents: its JSON text is 2.75 times its length.
          const big = 'S"\u0001é'.repeat(250);
          expect(cluster.node(leader)!.saveSnapshot(15, big)).toBe(true);
          delivered.delete(lagging);
          cluster.connect(lagging);
          await cluster.clock.sleep(5_000);
          expect(delivered.get(lagging)?.[0]).toEqual({ snapshot: 15, data: big });
          expect(delivered.get(lagging)?.slice(1)).toEqual([16, 17, 18, 19, 20].map((entry) => ({ entry })));
          expect(chunks.filter((c) => c.offset === 0).length).toBeGreaterThanOrEqual(1);
          // Each chunk fits 64 bytes as JSON (quotes aside), so 2,750 bytes take at least 43.
          for (const chunk of chunks) expect(jsonStringBytes(chunk.data) - 2).toBeLessThanOrEqual(64);
          expect(new Set(chunks.map((c) => c.offset)).size).toBeGreaterThanOrEqual(Math.ceil(2_750 / 64));
        });
      } finally {
        cluster.stopAll();
      }
    }
  });

  it('a restarted node hands its application the snapshot first, then only entries after it', async () => {
    const { cluster, delivered } = recordingCluster({ seed: 5 });
    await cluster.startAll();
    try {
      await cluster.run(async () => {
        await cluster.clock.sleep(1_000);
        const leader = leaderOf(cluster);
        for (let i = 0; i < 12; i++) cluster.node(leader)!.submit(i);
        await cluster.clock.sleep(500);
        const follower = cluster.ids.find((id) => id !== leader)!;
        expect(cluster.node(follower)!.saveSnapshot(10, 'app@10')).toBe(true);
        await cluster.clock.sleep(10);
        // The snapshot's data and meta (its configuration included), and the hardState.
        expect(cluster.storage(follower).stateBytes).toBeLessThan(120);
        delivered.delete(follower);
        await cluster.start(follower);
        cluster.connect(follower);
        await cluster.clock.sleep(1_000);
        expect(delivered.get(follower)).toEqual([
          { snapshot: 10, data: 'app@10' },
          { entry: 11 },
          { entry: 12 },
        ]);
      });
    } finally {
      cluster.stopAll();
    }
  });

  it('refuses a snapshot index that is not a positive integer', async () => {
    const { cluster } = recordingCluster({ seed: 1 });
    await cluster.startAll();
    expect(() => cluster.node('0')!.saveSnapshot(0, 'x')).toThrow(/positive integer/);
    expect(cluster.node('0')!.saveSnapshot(1, 'x')).toBe(false); // nothing committed yet
    cluster.stopAll();
  });
});

describe('ApplyQueue and snapshots', () => {
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('drops queued entries a snapshot covers, delivers it next, and never goes back', async () => {
    const seen: string[] = [];
    let release: () => void = () => {};
    const queue = new ApplyQueue(
      {
        apply: (e) => {
          seen.push(`e${e.index}`);
          return new Promise<void>((resolve) => (release = resolve));
        },
        restore: (s) => void seen.push(`s${s.index}`),
      },
      0,
      () => {},
    );
    queue.push(1, [
      { term: 1, command: 'a' },
      { term: 1, command: 'b' },
      { term: 1, command: 'c' },
    ]);
    await settle();
    queue.pushSnapshot({ index: 5, term: 1, data: '' });
    queue.pushSnapshot({ index: 4, term: 1, data: '' }); // older: ignored
    queue.push(6, [{ term: 1, command: 'f' }]);
    release();
    await settle();
    release();
    await settle();
    expect(seen).toEqual(['e1', 's5', 'e6']);
    expect(queue.lastQueued).toBe(6);
  });
});

describe('MemoryStorage and snapshots', () => {
  it('writes a snapshot and its tail atomically, shrinking the persisted state', async () => {
    const storage = new MemoryStorage();
    const entries = Array.from({ length: 10 }, (_, i) => ({ term: 1, command: 1_000_000 + i }));
    await storage.write({ hardState: { currentTerm: 1, votedFor: 'a' }, log: { from: 1, entries } });
    const before = storage.stateBytes;
    await storage.write({
      snapshot: { index: 8, term: 1, data: 'x'.repeat(50) },
      log: { from: 9, entries: entries.slice(8) },
    });
    expect(storage.stateBytes).toBeLessThan(before / 3);
    expect(storage.snapshotBytes).toBe(50);
    const loaded = await storage.load();
    expect(loaded.snapshot).toEqual({ index: 8, term: 1, data: 'x'.repeat(50) });
    expect(loaded.entries).toEqual(entries.slice(8));
    await storage.write({ log: { from: 10, entries: [{ term: 2, command: 'y' }] } });
    expect((await storage.load()).entries).toEqual([entries[8], { term: 2, command: 'y' }]);
    expect(new MemoryStorage(await storage.load()).stateBytes).toBe(storage.stateBytes);
  });
});
