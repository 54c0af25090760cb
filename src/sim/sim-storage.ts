/**
 * Storage for a simulated node that, like a disk, takes time to make a write durable: each
 * write completes after a seeded delay of virtual time (in issue order), and a crash loses
 * every write not yet reported durable. So a crash can land between a write and its
 * durability, and a node that sends a reply before what the reply vouches for is durable
 * can be caught contradicting it after the crash.
 *
 * A torn write is not modelled apart: file storage writes a turn as one checksummed frame
 * and its recovery cuts a torn last frame off, so a torn write recovers as a lost one.
 * The oldest write in flight at the crash may still survive whole (seeded): it reached the
 * disk, only the report of it was lost.
 */
import type { HardState } from '../../machines/index.js';
import type { PersistedState, Storage, StorageBatch } from '../node/providers.js';
import { MemoryStorage } from '../storage/memory-storage.js';
import type { SimClock } from './sim-clock.js';
import type { SeededRandom } from './seeded-random.js';
import { ConfigError } from '../errors.js';

/**
 * How long a simulated write takes to become durable: 'instant' (it is durable when
 * issued, as MemoryStorage), or a uniform delay in [minMs, maxMs] of virtual time.
 */
export type SimDurability = 'instant' | { readonly minMs: number; readonly maxMs: number };

/** About a real fdatasync of a small append on an SSD, in whole virtual milliseconds. */
export const SIM_DURABILITY: SimDurability = { minMs: 0, maxMs: 2 };

interface PendingWrite {
  readonly batch: StorageBatch;
  readonly resolve: () => void;
}

export function checkDurability(durability: SimDurability): void {
  if (durability === 'instant') return;
  const { minMs, maxMs } = durability;
  if (!Number.isInteger(minMs) || !Number.isInteger(maxMs) || minMs < 0 || maxMs < minMs) {
    throw new ConfigError(
      `durability needs whole milliseconds with 0 <= minMs <= maxMs, got minMs=${minMs} maxMs=${maxMs}`,
    );
  }
}

export class SimStorage implements Storage {
  /** What a restart recovers: the writes reported durable, in order. */
  readonly durable: MemoryStorage;
  readonly #clock: SimClock;
  readonly #random: SeededRandom;
  readonly #durability: SimDurability;
  readonly #pending: PendingWrite[] = [];
  #lastDue = 0;
  #dead = false;

  /** `onDurable` sees every hardState as it becomes durable (for the invariant checker). */
  constructor(
    initial: PersistedState | undefined,
    clock: SimClock,
    random: SeededRandom,
    durability: SimDurability,
    onDurable?: (hardState: HardState) => void,
  ) {
    checkDurability(durability);
    this.durable = new MemoryStorage(initial, onDurable);
    this.#clock = clock;
    this.#random = random;
    this.#durability = durability;
  }

  load(): Promise<PersistedState> {
    return this.durable.load();
  }

  write(batch: StorageBatch): Promise<void> {
    // A crashed node's handle never completes a write, so nothing that depends on it leaves.
    if (this.#dead) return new Promise<void>(() => {});
    if (this.#durability === 'instant') return this.durable.write(batch);
    const { minMs, maxMs } = this.#durability;
    const now = this.#clock.now();
    // In issue order: never due before the write ahead of it (same due, later timer).
    const due = Math.max(this.#lastDue, now + minMs + this.#random.int(maxMs - minMs));
    this.#lastDue = due;
    return new Promise<void>((resolve) => {
      this.#pending.push({ batch, resolve });
      this.#clock.setTimeout(() => this.#completeOldest(), due - now);
    });
  }

  /** Writes issued but not yet reported durable. */
  get inFlight(): number {
    return this.#pending.length;
  }

  /**
   * The crash: this handle dies; every write in flight is lost, except that the oldest may
   * have reached the disk whole (seeded). Returns what a restart recovers.
   */
  crash(): PersistedState {
    if (!this.#dead && this.#pending.length > 0 && this.#random.chance(1, 2)) {
      void this.durable.write(this.#pending[0]!.batch);
    }
    this.#dead = true;
    this.#pending.length = 0;
    return this.durable.crash();
  }

  #completeOldest(): void {
    const write = this.#pending.shift();
    if (this.#dead || write === undefined) return;
    void this.durable.write(write.batch);
    write.resolve();
  }
}
