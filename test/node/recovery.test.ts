/** Restart from persisted state: term, vote and log survive a crash; nothing acknowledged is lost. */
import { describe, expect, it } from 'vitest';
import { NodeHost } from '../../src/node/node-host.js';
import type { RaftMessage } from '../../machines/index.js';
import type { Transport } from '../../src/node/providers.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import { SimClock } from '../../src/sim/sim-clock.js';
import { SimCluster } from '../../src/sim/sim-cluster.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { TEST_TIMING, appendEntries, entriesWithTerms, requestVote } from '../machines/machine-harness.js';

const settle = () => new Promise((resolve) => setImmediate(resolve));

async function hostOver(storage: MemoryStorage) {
  const sent: RaftMessage[] = [];
  const transport: Transport = { listen: () => {}, send: (m) => void sent.push(m), close: () => {} };
  const host = await NodeHost.create({
    id: 'a',
    peers: ['b', 'c'],
    timing: TEST_TIMING,
    transport,
    storage,
    clock: new SimClock(),
    random: new SeededRandom(1, 'timers'),
  });
  host.start();
  return { host, sent };
}

describe('recovery', () => {
  it('restores term, vote and log, all of the log counted as durable', async () => {
    const storage = new MemoryStorage();
    const before = await hostOver(storage);
    before.host.receive(requestVote('b', 3));
    before.host.receive(appendEntries('b', 3, { entries: entriesWithTerms(1, 3) }));
    await settle();
    before.host.stop();

    const after = await hostOver(new MemoryStorage(storage.crash()));
    expect(after.host.status()).toMatchObject({ term: 3, votedFor: 'b', lastLogIndex: 2, lastLogTerm: 3 });
    expect(after.host.actorSnapshot().context.persistedIndex).toBe(2);
    expect(after.host.status().commitIndex).toBe(0);
    after.host.stop();
  });

  it('does not vote twice in a term across a crash', async () => {
    const storage = new MemoryStorage();
    const before = await hostOver(storage);
    before.host.receive(requestVote('b', 5));
    await settle();
    expect(before.sent).toMatchObject([{ voteGranted: true, to: 'b' }]);
    before.host.stop();

    const after = await hostOver(new MemoryStorage(storage.crash()));
    after.host.receive(requestVote('c', 5));
    await settle();
    expect(after.sent).toMatchObject([{ voteGranted: false, to: 'c', term: 5 }]);
    after.host.stop();
  });

  it('keeps every acknowledged entry through a crash of the whole cluster, and re-applies them', async () => {
    // Without a leader's no-op, so a new leader commits old entries only with a proposal.
    const cluster = new SimCluster({ seed: 9, size: 3, noopOnElection: false });
    const applied = new Map<string, unknown[]>();
    cluster.on('applied', (id, entry) => applied.set(id, [...(applied.get(id) ?? []), entry.command]));
    await cluster.startAll();
    try {
      await cluster.run(async () => {
        await cluster.clock.sleep(1_000);
        const leader = cluster.ids.find((id) => cluster.status(id)?.role === 'leader')!;
        const node = cluster.node(leader)!;
        const submitted = ['p', 'q', 'r'].map((command) => node.submit(command));
        expect(submitted.at(-1)).toMatchObject({ index: 3, isLeader: true });
        await cluster.clock.sleep(300);
        expect(applied.get(leader)).toEqual(['p', 'q', 'r']);
        applied.clear();
        for (const id of cluster.ids) await cluster.start(id); // crash and restart every node
        for (const id of cluster.ids) cluster.connect(id);
        await cluster.clock.sleep(2_000);
        const leader2 = cluster.ids.find((id) => cluster.status(id)?.role === 'leader')!;
        // A new leader commits its old-term entries only with an entry of its own term.
        expect(cluster.node(leader2)!.submit('s')).toMatchObject({ index: 4, isLeader: true });
        await cluster.clock.sleep(500);
      });
      for (const id of cluster.ids) expect(applied.get(id)).toEqual(['p', 'q', 'r', 's']);
    } finally {
      cluster.stopAll();
    }
  });
});
