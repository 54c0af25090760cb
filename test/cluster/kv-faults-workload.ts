/**
 * The fault test's clients: each one a KvClient over HTTP making one request at a time,
 * every request recorded in the history the checker reads. Appends (unique values, on the
 * append keys) are what the durability check counts; puts, compare-and-sets, deletes and
 * reads (linearizable, or through the log) on the register keys, and reads of every key,
 * give the linearizability check something to refute.
 *
 * A request that times out is recorded open-ended (it may have taken effect, or not). Now
 * and then a client "crashes": it stops waiting for its request (recorded open-ended, the
 * request left running in the background) and the worker goes on as a new client with a new
 * session id, as a restarted application would.
 */
import type { HistoryRecorder, KvInput, KvOutput } from '../../src/check/index.js';
import { KvHttpError, KvTimeoutError } from '../../src/kv/client-errors.js';
import { KvClient } from '../../src/kv/client.js';
import type { SeededRandom } from '../../src/sim/seeded-random.js';
import type { AppendRecord } from './kv-faults-appends.js';
import { appendToken } from './kv-faults-appends.js';
import { sleep } from './process-cluster.js';

export interface WorkloadOptions {
  /** The nodes' client API base URLs. */
  readonly nodes: readonly string[];
  readonly appendKeys: readonly string[];
  readonly registerKeys: readonly string[];
  readonly recorder: HistoryRecorder<KvInput, KvOutput>;
  /** One seeded stream per worker, so the workers' draws do not depend on how they interleave. */
  readonly randomFor: (worker: number) => SeededRandom;
  readonly workers: number;
  /** A KvClient's deadline for one operation, retries included. */
  readonly clientTimeoutMs: number;
  /** A KvClient's limit on one HTTP request before it tries another node. */
  readonly attemptTimeoutMs: number;
}

export interface WorkloadStats {
  operations: number;
  acknowledged: number;
  /** KvTimeoutError: recorded open-ended. */
  timedOut: number;
  /** Requests given up by a "crashing" client: recorded open-ended. */
  abandoned: number;
  /** KvHttpError or anything else: a final refusal no correct client and server should produce. */
  readonly errors: string[];
}

interface Planned {
  readonly input: KvInput;
  readonly run: (client: KvClient) => Promise<KvOutput>;
  /** For an append: its record, whose outcome is filled in when it ends. */
  readonly append?: { key: string; n: number };
}

export class Workload {
  readonly #options: WorkloadOptions;
  readonly #running: Promise<void>[] = [];
  /** Requests whose clients stopped waiting: settled before the final reads. */
  readonly #abandoned: Promise<unknown>[] = [];
  #stopping = false;
  readonly appends: AppendRecord[] = [];
  readonly stats: WorkloadStats = { operations: 0, acknowledged: 0, timedOut: 0, abandoned: 0, errors: [] };

  constructor(options: WorkloadOptions) {
    this.#options = options;
  }

  start(): void {
    for (let worker = 0; worker < this.#options.workers; worker++) {
      this.#running.push(this.#work(worker, this.#options.randomFor(worker)));
    }
  }

  /** Lets each worker finish the request it is making, then waits for every abandoned one. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#running);
    await Promise.allSettled(this.#abandoned);
  }

  async #work(worker: number, random: SeededRandom): Promise<void> {
    const { recorder } = this.#options;
    for (let generation = 0; !this.#stopping; generation++) {
      const name = `${worker}-${generation}`;
      const client = this.#client(name);
      /** What this client last saw in each register key: what its compare-and-sets expect. */
      const seen = new Map<string, string | null>();
      let appends = 0;
      let writes = 0;
      let crashed = false;
      while (!this.#stopping && !crashed) {
        const planned = this.#plan(
          random,
          name,
          seen,
          () => ++appends,
          () => ++writes,
        );
        const record =
          planned.append === undefined
            ? undefined
            : {
                key: planned.append.key,
                client: name,
                n: planned.append.n,
                outcome: 'unknown' as AppendRecord['outcome'],
              };
        if (record !== undefined) this.appends.push(record);
        // One request in about 150 is abandoned after 20-400 ms, if it has not ended by then.
        const crashAfter = random.chance(1, 150) ? 20 + random.int(380) : null;
        const done = recorder.begin(name, planned.input);
        this.stats.operations++;
        const outcome = planned.run(client).then(
          (output) => ({ ok: true as const, output }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        const ended =
          crashAfter === null
            ? await outcome
            : await Promise.race([outcome, sleep(crashAfter).then(() => 'crashed' as const)]);
        if (ended === 'crashed') {
          done.open();
          this.stats.abandoned++;
          this.#abandoned.push(outcome);
          crashed = true;
        } else if (ended.ok) {
          done(ended.output);
          this.stats.acknowledged++;
          if (record !== undefined) record.outcome = 'acknowledged';
          remember(seen, planned.input, ended.output);
        } else {
          done.open();
          if (ended.error instanceof KvTimeoutError) {
            this.stats.timedOut++;
            if (record !== undefined && !ended.error.mayHaveApplied) record.outcome = 'refused';
          } else {
            const what = ended.error instanceof KvHttpError ? ended.error.message : String(ended.error);
            this.stats.errors.push(`client ${name}: ${JSON.stringify(planned.input)}: ${what}`);
          }
          // What it holds now is unknown: expect the last value seen anyway (a cas may fail).
        }
        if (random.chance(1, 4)) await sleep(random.int(5));
      }
    }
  }

  #client(name: string): KvClient {
    return new KvClient({
      nodes: this.#options.nodes,
      clientId: `kv-faults-${name}`,
      timeoutMs: this.#options.clientTimeoutMs,
      attemptTimeoutMs: this.#options.attemptTimeoutMs,
    });
  }

  /** The next request: half appends, a third reads, the rest writes to register keys. */
  #plan(
    random: SeededRandom,
    name: string,
    seen: ReadonlyMap<string, string | null>,
    nextAppend: () => number,
    nextWrite: () => number,
  ): Planned {
    const { appendKeys, registerKeys } = this.#options;
    const draw = random.int(99);
    if (draw < 50) {
      const key = random.pick(appendKeys);
      const n = nextAppend();
      const value = appendToken(name, n);
      return {
        input: { kv: 'append', key, value },
        run: async (client) => (await client.append(key, value), { kv: 'append' }),
        append: { key, n },
      };
    }
    if (draw < 83) {
      const key = random.chance(2, 3) ? random.pick(appendKeys) : random.pick(registerKeys);
      const consistency = random.chance(1, 5) ? 'log' : 'linearizable';
      return {
        input: { kv: 'get', key },
        run: async (client) => ({ kv: 'get', value: (await client.get(key, { consistency })).value }),
      };
    }
    const key = random.pick(registerKeys);
    const value = `v${name}.${nextWrite()}`;
    const kind = random.int(9);
    if (kind < 3) {
      return {
        input: { kv: 'put', key, value },
        run: async (client) => (await client.put(key, value), { kv: 'put' }),
      };
    }
    if (kind < 8) {
      const expected = seen.get(key) ?? null;
      return {
        input: { kv: 'cas', key, expected, value },
        run: async (client) => {
          const { swapped, value: holds } = await client.cas(key, expected, value);
          return { kv: 'cas', swapped, value: holds };
        },
      };
    }
    return {
      input: { kv: 'delete', key },
      run: async (client) => ({ kv: 'delete', existed: (await client.delete(key)).existed }),
    };
  }
}

/** What a register key holds after an acknowledged request, as far as this client knows. */
function remember(seen: Map<string, string | null>, input: KvInput, output: KvOutput): void {
  if (output.kv === 'get') seen.set(input.key, output.value);
  else if (output.kv === 'cas') seen.set(input.key, output.value);
  else if (input.kv === 'put') seen.set(input.key, input.value);
  else if (input.kv === 'delete') seen.set(input.key, null);
}
