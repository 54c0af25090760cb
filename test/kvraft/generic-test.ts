/**
 * The course's GenericTest and GenericTestSpeed, step for step, on virtual time.
 */
import { HistoryRecorder } from '../../src/check/history-recorder.js';
import type { KvInput, KvOutput } from '../../src/check/kv-model.js';
import { checkClntAppends } from './append-checks.js';
import type { Clerk } from './clerk.js';
import { KvConfig } from './kv-config.js';
import type { OpLog } from './kv-ops.js';
import { append, get, put } from './kv-ops.js';
import { ELECTION_TIMEOUT_MS, ROUND_MS, SPEED_MS_PER_OP, SPEED_OPS } from './kv-timing.js';
import { KvraftFailure } from './kvraft-failure.js';
import { checkLinearizable } from './linearizability.js';

export interface GenericOptions {
  readonly part: '3A' | '3B';
  readonly nclients: number;
  readonly nservers: number;
  readonly unreliable: boolean;
  readonly crash: boolean;
  readonly partitions: boolean;
  /** -1: snapshots must not be used. */
  readonly maxraftstate: number;
  readonly randomkeys: boolean;
}

/** The test's title, as the course builds it. */
export function genericTitle(o: GenericOptions): string {
  return (
    'Test: ' +
    (o.unreliable ? 'unreliable net, ' : '') +
    (o.crash ? 'restarts, ' : '') +
    (o.partitions ? 'partitions, ' : '') +
    (o.maxraftstate !== -1 ? 'snapshots, ' : '') +
    (o.randomkeys ? 'random keys, ' : '') +
    (o.nclients > 1 ? 'many clients' : 'one client') +
    ` (${o.part})`
  );
}

/**
 * 3 rounds of `nclients` concurrent clients for 5 s each, with the partitioner and the
 * crash of every server as asked; after each round every client's appends are checked
 * and the log and snapshot sizes bounded; at the end the whole history must be linearizable.
 */
export function genericTest(name: string, seed: number, o: GenericOptions): Promise<void> {
  return KvConfig.run(
    { n: o.nservers, unreliable: o.unreliable, maxraftstate: o.maxraftstate, seed },
    async (cfg) => {
      cfg.begin(genericTitle(o));
      const opLog: OpLog = new HistoryRecorder<KvInput, KvOutput>({ now: () => cfg.now() });
      const ck = cfg.makeClient(cfg.all());

      for (let round = 0; round < 3; round++) {
        let doneClients = false;
        let donePartitioner = false;
        const clients = spawnClients(cfg, o.nclients, async (cli, myck) => {
          let j = 0;
          let last = ''; // only used when not randomkeys
          if (!o.randomkeys) await put(cfg, myck, String(cli), last, opLog, cli);
          while (!doneClients) {
            const key = o.randomkeys ? String(cfg.randInt(o.nclients)) : String(cli);
            const nv = `x ${cli} ${j} y`;
            if (cfg.randInt(1000) < 500) {
              await append(cfg, myck, key, nv, opLog, cli);
              if (!o.randomkeys) last += nv;
              j++;
            } else if (o.randomkeys && cfg.randInt(1000) < 100) {
              // Only with random keys: it would break the check after a Get below.
              await put(cfg, myck, key, nv, opLog, cli);
              j++;
            } else {
              const v = await get(cfg, myck, key, opLog, cli);
              if (!o.randomkeys && v !== last) {
                throw new KvraftFailure(`get wrong value, key ${key}, wanted:\n${last}\n, got\n${v}\n`);
              }
            }
          }
          return j;
        });

        let partitioner: Promise<void> | undefined;
        if (o.partitions) {
          // Let the clients make some progress without interruption first.
          await cfg.sleep(1000);
          partitioner = runPartitioner(cfg, () => donePartitioner);
        }
        await cfg.sleep(ROUND_MS);
        doneClients = true;
        donePartitioner = true;

        if (partitioner !== undefined) {
          await partitioner;
          // A request stuck in a minority finishes once its server sees the new term.
          cfg.connectAll();
          await cfg.sleep(ELECTION_TIMEOUT_MS);
        }

        if (o.crash) {
          for (let i = 0; i < o.nservers; i++) cfg.shutdownServer(i);
          await cfg.sleep(ELECTION_TIMEOUT_MS);
          for (let i = 0; i < o.nservers; i++) await cfg.startServer(i);
          cfg.connectAll();
        }

        for (let i = 0; i < o.nclients; i++) {
          const j = await clients[i]!;
          const v = await get(cfg, ck, String(i), opLog, 0);
          if (!o.randomkeys) checkClntAppends(i, v, j);
        }

        if (o.maxraftstate > 0) {
          // After the servers processed every request and had time to snapshot.
          const sz = cfg.logSize();
          if (sz > 8 * o.maxraftstate) {
            throw new KvraftFailure(`logs were not trimmed (${sz} > 8*${o.maxraftstate})`);
          }
        }
        if (o.maxraftstate < 0) {
          const ssz = cfg.snapshotSize();
          if (ssz > 0) {
            throw new KvraftFailure(
              `snapshot too large (${ssz}), should not be used when maxraftstate = ${o.maxraftstate}`,
            );
          }
        }
      }

      checkLinearizable(`${name} seed=${seed}`, opLog.operations());
      cfg.end();
    },
  );
}

/**
 * Starts `ncli` clients, each with its own new clerk connected to every server; each
 * promise is what its client returns. A client that fails fails the run at once.
 */
function spawnClients(
  cfg: KvConfig,
  ncli: number,
  fn: (cli: number, ck: Clerk) => Promise<number>,
): Promise<number>[] {
  return Array.from({ length: ncli }, (_, cli) => {
    const done = fn(cli, cfg.makeClient(cfg.all()));
    done.catch((error: unknown) => cfg.cluster.clock.fail(error));
    return done;
  });
}

/** Until told to stop: each server into one of two groups at random (one may be empty), for 1-1.2 s. */
async function runPartitioner(cfg: KvConfig, done: () => boolean): Promise<void> {
  while (!done()) {
    const a = cfg.all().map(() => cfg.randInt(2));
    const pa = [0, 1].map((g) => cfg.all().filter((j) => a[j] === g));
    cfg.partition(pa[0]!, pa[1]!);
    await cfg.sleep(ELECTION_TIMEOUT_MS + cfg.randInt(200));
  }
}

/** 1000 sequential appends by one clerk on a reliable 3-server cluster, at most 33.3 ms each. */
export function genericTestSpeed(seed: number, part: '3A' | '3B', maxraftstate: number): Promise<void> {
  return KvConfig.run({ n: 3, unreliable: false, maxraftstate, seed }, async (cfg) => {
    const ck = cfg.makeClient(cfg.all());
    cfg.begin(`Test: ops complete fast enough (${part})`);
    // Wait until the first op completes: a leader is elected and the servers serve.
    await ck.get('x');
    const start = cfg.now();
    for (let i = 0; i < SPEED_OPS; i++) await ck.append('x', `x 0 ${i} y`);
    const dur = cfg.now() - start;
    const v = await ck.get('x');
    checkClntAppends(0, v ?? '', SPEED_OPS);
    if (process.env.RAFT_VERBOSE)
      console.log(`${part} speed: ${(dur / SPEED_OPS).toFixed(2)} ms/op (virtual)`);
    if (dur > SPEED_OPS * SPEED_MS_PER_OP) {
      throw new KvraftFailure(
        `Operations completed too slowly ${(dur / SPEED_OPS).toFixed(3)}ms/op > ${SPEED_MS_PER_OP.toFixed(3)}ms/op`,
      );
    }
    cfg.end();
  });
}
