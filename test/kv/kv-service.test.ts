/**
 * KvService on the simulator: each node runs a KvStore under a real RaftNode, and the
 * service is driven as the HTTP API drives it.
 */
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../machines/index.js';
import { InvalidCommandError, NodeStoppedError, NotLeaderError, ReadTimeoutError } from '../../src/errors.js';
import type { KvCommand, KvResult } from '../../src/kv/kv-command.js';
import {
  InvalidKeyError,
  InvalidSessionError,
  InvalidValueError,
  SequenceReusedError,
  StaleSequenceError,
} from '../../src/kv/kv-errors.js';
import { KvService } from '../../src/kv/kv-service.js';
import { KvStore } from '../../src/kv/kv-store.js';
import { SimCluster } from '../../src/sim/sim-cluster.js';
import { replayable, testSeeds } from '../support/seeds.js';

const REPLAY = 'npx vitest run test/kv/kv-service.test.ts';

/** A cluster of KvStores, with the service of each node's current incarnation. */
function kvCluster(seed: number, options: { size?: number; snapshotEvery?: number } = {}) {
  const stores = new Map<NodeId, KvStore>();
  const cluster = new SimCluster<KvCommand, KvResult>({
    seed,
    size: options.size ?? 3,
    ...(options.snapshotEvery === undefined ? {} : { snapshotEvery: options.snapshotEvery }),
    proposalTimeoutMs: 2_000,
    stateMachine: (id) => {
      const store = new KvStore();
      stores.set(id, store);
      return store;
    },
  });
  const service = (id: NodeId) => new KvService(cluster.node(id)!, stores.get(id)!);
  const store = (id: NodeId) => stores.get(id)!;
  /** Waits (virtual time) until one node leads, other than `not`, and returns it. */
  const leader = async (not?: NodeId): Promise<NodeId> => {
    for (let waited = 0; waited < 10_000; waited += 50) {
      const id = cluster.ids.find((i) => i !== not && cluster.status(i)?.role === 'leader');
      if (id !== undefined) return id;
      await cluster.clock.sleep(50);
    }
    throw new Error(`no leader (other than ${not}) after 10 s`);
  };
  const until = async (what: string, condition: () => boolean): Promise<void> => {
    for (let waited = 0; !condition(); waited += 10) {
      if (waited > 10_000) throw new Error(`waited 10 s for ${what}`);
      await cluster.clock.sleep(10);
    }
  };
  return { cluster, service, store, leader, until };
}

async function withCluster(
  seed: number,
  options: { size?: number; snapshotEvery?: number },
  body: (kv: ReturnType<typeof kvCluster>) => Promise<void>,
): Promise<void> {
  const kv = kvCluster(seed, options);
  await kv.cluster.startAll();
  try {
    await kv.cluster.run(() => body(kv));
  } finally {
    kv.cluster.stopAll();
  }
}

describe('KvService writes', () => {
  for (const seed of testSeeds(2)) {
    it(`go through the leader, answer { index, result }, and reach every replica (seed ${seed})`, () =>
      replayable(seed, REPLAY, () =>
        withCluster(seed, {}, async ({ cluster, service, store, leader, until }) => {
          const id = await leader();
          const kv = service(id);
          const put = await kv.put('k', 'a');
          expect(put.result).toEqual({ kv: 'put' });
          const append = await kv.append('k', 'b');
          expect(append).toEqual({ index: put.index + 1, result: { kv: 'append' } });
          expect((await kv.cas('k', 'zz', 'c')).result).toEqual({ kv: 'cas', swapped: false, value: 'ab' });
          expect((await kv.cas('k', 'ab', 'c')).result).toEqual({ kv: 'cas', swapped: true, value: 'c' });
          expect((await kv.cas('new', null, 'n')).result).toEqual({ kv: 'cas', swapped: true, value: 'n' });
          expect((await kv.delete('new')).result).toEqual({ kv: 'delete', existed: true });
          const last = await kv.delete('new');
          expect(last.result).toEqual({ kv: 'delete', existed: false });
          // A read through the log, on the leader.
          expect(await kv.get('k', { consistency: 'log' })).toEqual({ value: 'c', index: last.index + 1 });
          // Every replica applies the same; a serializable read is local and says how far it is.
          await until('the followers to apply', () =>
            cluster.ids.every((i) => store(i).appliedIndex >= last.index),
          );
          for (const i of cluster.ids) {
            expect(await service(i).get('k', { consistency: 'serializable' })).toEqual({
              value: 'c',
              index: store(i).appliedIndex,
            });
            expect(store(i).get('new')).toBeNull();
          }
        }),
      ));
  }

  it('a follower refuses writes and log reads with NotLeaderError naming the leader', () =>
    withCluster(1, {}, async ({ cluster, service, leader }) => {
      const id = await leader();
      await service(id).put('k', 'v');
      const follower = service(cluster.ids.find((i) => i !== id)!);
      for (const attempt of [
        () => follower.put('k', 'w'),
        () => follower.append('k', 'w'),
        () => follower.delete('k'),
        () => follower.cas('k', 'v', 'w'),
        () => follower.get('k', { consistency: 'log' }),
      ]) {
        const error: unknown = await attempt().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(NotLeaderError);
        expect((error as NotLeaderError).leaderHint).toBe(id);
      }
    }));

  it('refuses a bad key, value or session before anything reaches the log', () =>
    withCluster(2, {}, async ({ cluster, service, leader }) => {
      const id = await leader();
      const kv = service(id);
      await kv.put('k', 'v');
      const lastLogIndex = cluster.status(id)!.lastLogIndex;
      await expect(kv.put('', 'v')).rejects.toThrow(InvalidKeyError);
      await expect(kv.put('a\tb', 'v')).rejects.toThrow(/control character U\+0009/);
      await expect(kv.get('x'.repeat(1025), { consistency: 'serializable' })).rejects.toThrow(
        InvalidKeyError,
      );
      await expect(kv.append('k', 5 as unknown as string)).rejects.toThrow(InvalidValueError);
      await expect(kv.cas('k', 7 as unknown as string, 'v')).rejects.toThrow(InvalidValueError);
      await expect(kv.delete('k', { client: 'c', seq: 0 })).rejects.toThrow(InvalidSessionError);
      await expect(kv.get('k', { consistency: 'eventual' as 'log' })).rejects.toThrow(
        /consistency is "eventual": use one of linearizable, log, serializable/,
      );
      // Too large for the node (maxCommandBytes): the node's own error, nothing proposed either.
      await expect(kv.put('k', 'x'.repeat(1 << 20))).rejects.toThrow(InvalidCommandError);
      expect(cluster.status(id)!.lastLogIndex).toBe(lastLogIndex);
    }));

  it('maps a stale session to StaleSequenceError and a reused seq to SequenceReusedError; a failed cas is a result', () =>
    withCluster(3, {}, async ({ service, store, leader }) => {
      const id = await leader();
      const kv = service(id);
      await kv.put('k', 'v2', { client: 'c', seq: 2 });
      const stale: unknown = await kv.put('k', 'v1', { client: 'c', seq: 1 }).catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(StaleSequenceError);
      expect(stale).toMatchObject({ client: 'c', seq: 1, lastSeq: 2 });
      expect((stale as Error).message).toMatch(/number new requests above 2/);
      await expect(kv.get('k', { consistency: 'log', session: { client: 'c', seq: 1 } })).rejects.toThrow(
        StaleSequenceError,
      );
      await expect(kv.delete('k', { client: 'c', seq: 2 })).rejects.toThrow(SequenceReusedError);
      await expect(kv.delete('k', { client: 'c', seq: 2 })).rejects.toThrow(
        /sent a delete at seq 2, but seq 2 .* was a put/,
      );
      expect(store(id).get('k')).toBe('v2');
      const cas = await kv.cas('k', 'other', 'v3', { client: 'c', seq: 3 });
      expect(cas.result).toEqual({ kv: 'cas', swapped: false, value: 'v2' });
    }));
});

describe('KvService exactly once', () => {
  for (const seed of testSeeds(3)) {
    it(`a write retried with the same session after a leader change is applied once (seed ${seed})`, () =>
      replayable(seed, REPLAY, () =>
        withCluster(seed, {}, async ({ cluster, service, store, leader, until }) => {
          const old = await leader();
          await service(old).put('k', '');
          const session = { client: 'clerk-1', seq: 1 };
          // The leader takes the append and sends it out, then crashes before the client hears back.
          const before = Math.max(...cluster.ids.map((i) => cluster.status(i)!.lastLogIndex));
          const lost = service(old)
            .append('k', 'x', session)
            .catch((error: unknown) => error);
          const followers = cluster.ids.filter((i) => i !== old);
          await until('the followers to hold the append', () =>
            followers.every((i) => cluster.status(i)!.lastLogIndex > before),
          );
          cluster.crash(old);
          const outcome = await lost;
          // Either the leader applied it in time (the client just lost the answer) or it was stopped.
          if (outcome instanceof Error) expect(outcome).toBeInstanceOf(NodeStoppedError);
          const next = await leader(old);
          const retry = await service(next).append('k', 'x', session);
          expect(retry.result).toEqual({ kv: 'append' });
          await cluster.start(old);
          cluster.connect(old);
          await until('every replica to apply the retry', () =>
            cluster.ids.every((i) => store(i).appliedIndex >= retry.index),
          );
          for (const i of cluster.ids) {
            expect(store(i).get('k'), `node ${i}`).toBe('x');
            expect(store(i).lastSeq('clerk-1')).toBe(1);
          }
          // The clerk's next request applies as usual.
          await service(next).append('k', 'y', { client: 'clerk-1', seq: 2 });
          expect(store(next).get('k')).toBe('xy');
        }),
      ));
  }

  for (const seed of testSeeds(2)) {
    it(`sessions survive snapshots: a node restored from one still answers a retry from its cache (seed ${seed})`, () =>
      replayable(seed, REPLAY, () =>
        withCluster(seed, { snapshotEvery: 3 }, async ({ cluster, service, store, leader, until }) => {
          const id = await leader();
          const kv = service(id);
          const follower = cluster.ids.find((i) => i !== id)!;
          await kv.append('k', 'a', { client: 'c', seq: 1 });
          for (let i = 0; i < 6; i++) await kv.put(`other${i}`, String(i));
          // Restart a follower: it restores the latest snapshot, which holds c's session.
          await until(
            'a snapshot on the follower',
            () => (cluster.storage(follower).persisted.snapshot?.index ?? 0) >= 3,
          );
          const restored: number[] = [];
          cluster.on('restored', (i, snapshot) => void (i === follower && restored.push(snapshot.index)));
          cluster.crash(follower);
          await cluster.start(follower);
          cluster.connect(follower);
          const caughtUp = store(id).appliedIndex;
          await until('the restarted follower to catch up', () => store(follower).appliedIndex >= caughtUp);
          expect(restored[0]).toBeGreaterThanOrEqual(3);
          // Make the restarted follower the leader: it must answer c's retry from its table.
          cluster.crash(id);
          cluster.spreadElectionTimers(
            cluster.ids.filter((i) => i !== id).sort((a) => (a === follower ? -1 : 1)),
          );
          const next = await leader(id);
          expect(next).toBe(follower);
          const retry = await service(next).append('k', 'a', { client: 'c', seq: 1 });
          expect(retry.result).toEqual({ kv: 'append' });
          expect(store(next).get('k')).toBe('a');
          expect(store(next).size.sessions).toBe(1);
        }),
      ));
  }
});

describe("KvService reads: 'linearizable' through ReadIndex", () => {
  for (const seed of testSeeds(2)) {
    it(`read the latest acknowledged write on the leader and on a follower (seed ${seed})`, () =>
      replayable(seed, REPLAY, () =>
        withCluster(seed, {}, async ({ cluster, service, leader }) => {
          const id = await leader();
          const { index } = await service(id).put('k', 'v1');
          for (const i of cluster.ids) {
            const read = await service(i).get('k');
            expect(read.value, `node ${i}`).toBe('v1');
            expect(read.index).toBeGreaterThanOrEqual(index);
          }
          await service(id).delete('k');
          const follower = cluster.ids.find((i) => i !== id)!;
          expect((await service(follower).get('k', { consistency: 'linearizable' })).value).toBeNull();
        }),
      ));
  }

  for (const seed of testSeeds(2)) {
    it(`a deposed leader cut off in a minority never answers with its stale value (seed ${seed})`, () =>
      replayable(seed, REPLAY, () =>
        withCluster(seed, { size: 5 }, async ({ cluster, service, store, leader }) => {
          const old = await leader();
          await service(old).put('k', 'old');
          const rest = cluster.ids.filter((i) => i !== old);
          cluster.partition([[old, rest[0]!], rest.slice(1)]);
          const next = await leader(old);
          expect(rest.slice(1)).toContain(next);
          await service(next).put('k', 'new');
          // The old side still holds 'old' locally (serializable says so, as documented)...
          expect((await service(old).get('k', { consistency: 'serializable' })).value).toBe('old');
          expect(store(rest[0]!).get('k')).toBe('old');
          // ...but neither node there may answer a linearizable read with it.
          for (const i of [old, rest[0]!]) {
            const outcome: unknown = await service(i)
              .get('k', { timeoutMs: 1_000 })
              .catch((error: unknown) => error);
            expect(outcome, `node ${i}`).toBeInstanceOf(Error);
            expect(
              outcome instanceof NotLeaderError || outcome instanceof ReadTimeoutError,
              `node ${i}: ${String(outcome)}`,
            ).toBe(true);
          }
          // Healed, the old leader learns the new value and reads it linearizably.
          cluster.heal();
          await cluster.clock.sleep(1_000);
          expect((await service(old).get('k')).value).toBe('new');
        }),
      ));
  }
});
