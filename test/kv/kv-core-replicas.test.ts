/**
 * Clerks retrying through KvService on a faulty simulated cluster (lost messages, crashes
 * and restarts, snapshots every few entries): every append a clerk was told of, or gave up
 * on and retried, lands exactly once and in order, and every replica ends with the same
 * store, session table included.
 */
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../machines/index.js';
import { NotLeaderError } from '../../src/errors.js';
import type { KvCommand, KvResult } from '../../src/kv/kv-command.js';
import { KvService } from '../../src/kv/kv-service.js';
import { KvStore } from '../../src/kv/kv-store.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import { SimCluster } from '../../src/sim/sim-cluster.js';
import { replayable, testSeeds } from '../support/seeds.js';

const CLERKS = 3;
const RUN_MS = 6_000;

describe('KvService clerks on a faulty cluster', () => {
  for (const seed of testSeeds(3)) {
    it(`apply every append exactly once, in order, and leave identical replicas (seed ${seed})`, () =>
      replayable(seed, 'npx vitest run test/kv/kv-core-replicas.test.ts', async () => {
        const stores = new Map<NodeId, KvStore>();
        const cluster = new SimCluster<KvCommand, KvResult>({
          seed,
          size: 5,
          unreliable: true,
          snapshotEvery: 15,
          proposalTimeoutMs: 1_000,
          stateMachine: (id) => {
            const store = new KvStore();
            stores.set(id, store);
            return store;
          },
        });
        const random = new SeededRandom(seed, 'kv-core-replicas');
        const sleep = (ms: number) => cluster.clock.sleep(ms);
        let stopping = false;
        let retries = 0;
        let restarts = 0;

        /** Sends one request until some node answers it, with the same session every time. */
        async function clerkAppend(clerk: number, seq: number): Promise<void> {
          let target: NodeId = cluster.ids[clerk % cluster.ids.length]!;
          for (;;) {
            const node = cluster.node(target);
            if (node !== null) {
              try {
                const { result } = await new KvService(node, stores.get(target)!).append(
                  `k${clerk}`,
                  `x ${clerk} ${seq} y;`,
                  { client: `clerk-${clerk}`, seq },
                );
                expect(result).toEqual({ kv: 'append' });
                return;
              } catch (error) {
                // Any failure (not leader, timed out, crashed) is retried as is; a stale seq is not.
                expect((error as Error).name).toMatch(/NotLeader|ProposalTimeout|NodeStopped/);
                retries++;
                if (error instanceof NotLeaderError && error.leaderHint !== null) target = error.leaderHint;
                else target = random.pick(cluster.ids);
              }
            } else target = random.pick(cluster.ids);
            await sleep(20 + random.int(30));
          }
        }

        async function clerk(i: number): Promise<number> {
          let seq = 0;
          while (!stopping) await clerkAppend(i, ++seq);
          return seq;
        }

        async function chaos(): Promise<void> {
          while (!stopping) {
            await sleep(400 + random.int(400));
            if (stopping) break;
            const victim = random.pick(cluster.ids);
            if (cluster.node(victim) === null) continue;
            cluster.crash(victim);
            await sleep(100 + random.int(400));
            await cluster.start(victim);
            cluster.connect(victim);
            restarts++;
          }
        }

        await cluster.startAll();
        try {
          await cluster.run(async () => {
            const clerks = Array.from({ length: CLERKS }, (_, i) => clerk(i));
            const faults = chaos();
            await sleep(RUN_MS);
            stopping = true;
            await faults;
            cluster.network.setReliable(true);
            const counts = await Promise.all(clerks);
            await sleep(2_000); // every replica catches up
            for (const [i, count] of counts.entries()) {
              const elements = stores
                .get(cluster.ids[0]!)!
                .get(`k${i}`)!
                .split(';')
                .filter((e) => e !== '');
              expect(elements, `clerk ${i}`).toEqual(
                Array.from({ length: count }, (_, j) => `x ${i} ${j + 1} y`),
              );
            }
            const snapshots = cluster.ids.map((id) => stores.get(id)!.snapshot());
            for (const snapshot of snapshots) expect(snapshot).toBe(snapshots[0]);
            console.log(
              `seed ${seed}: ${counts.join('+')} appends, ${retries} retries, ${restarts} restarts, ` +
                `snapshot ${snapshots[0]!.length} bytes`,
            );
            expect(counts.every((count) => count > 3)).toBe(true);
            expect(retries).toBeGreaterThan(0);
          });
        } finally {
          cluster.stopAll();
        }
      }));
  }
});
