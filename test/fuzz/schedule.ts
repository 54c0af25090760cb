/**
 * A fuzz run's whole input, drawn from its seed: the cluster's shape and timing, and a list
 * of fault and workload events over virtual time. It is plain data (JSON), so a shrunk
 * schedule can be printed, saved and replayed without its seed's generator.
 */
import type { NodeId, RaftTiming } from '../../machines/index.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';

/** How long a crash drops writes: each write is durable this long after it is made. */
export type Durability = 'instant' | { readonly minMs: number; readonly maxMs: number };

export interface ClusterShape {
  readonly size: number;
  readonly timing: RaftTiming;
  /** Base latency of every message; the faults may raise it for a while. */
  readonly latency: { readonly minMs: number; readonly maxMs: number };
  readonly durability: Durability;
  /** 0: never snapshot. */
  readonly snapshotEvery: number;
  readonly noopOnElection: boolean;
}

/** One thing done to the cluster. */
export type FuzzAction =
  | { readonly kind: 'crash'; readonly id: NodeId }
  | { readonly kind: 'restart'; readonly id: NodeId }
  | { readonly kind: 'partition'; readonly groups: readonly (readonly NodeId[])[] }
  | { readonly kind: 'cut'; readonly from: NodeId; readonly to: NodeId }
  | { readonly kind: 'uncut'; readonly from: NodeId; readonly to: NodeId }
  | { readonly kind: 'heal' }
  | { readonly kind: 'unreliable'; readonly on: boolean }
  | { readonly kind: 'reorder'; readonly on: boolean }
  | { readonly kind: 'duplicate'; readonly rate: number }
  | { readonly kind: 'latency'; readonly minMs: number; readonly maxMs: number }
  | { readonly kind: 'skew'; readonly id: NodeId; readonly factor: number }
  | { readonly kind: 'timeout'; readonly id: NodeId }
  | { readonly kind: 'propose'; readonly count: number };

/**
 * An action at a moment: virtual time `at`, then up to `steps` single timer firings due
 * within 50 ms after it (so a crash can land between a message's arrival and the write it
 * causes becoming durable, or between two timers due at the same millisecond).
 */
export type FuzzEvent = FuzzAction & { readonly at: number; readonly steps: number };

export interface FuzzSchedule {
  readonly seed: number;
  readonly shape: ClusterShape;
  /** Virtual ms of faults; then everything heals and liveness is checked. */
  readonly durationMs: number;
  /** In time order. */
  readonly events: readonly FuzzEvent[];
}

export interface GenerateOptions {
  readonly durationMs: number;
}

/** The schedule of `seed`: same seed, same schedule. */
export function generateSchedule(seed: number, { durationMs }: GenerateOptions): FuzzSchedule {
  const random = new SeededRandom(seed, 'fuzz-schedule');
  const shape = drawShape(random);
  const ids = Array.from({ length: shape.size }, (_, i) => String(i));
  const down = new Set<NodeId>();
  const events: FuzzEvent[] = [];
  // Faults come every 50-1500 ms on average; a run gets a few dozen.
  const meanGap = 50 + random.int(1450);
  for (let at = random.int(meanGap); at < durationMs; at += 1 + random.int(2 * meanGap)) {
    const steps = random.chance(1, 3) ? 1 + random.int(4) : 0;
    events.push({ ...drawAction(random, ids, down, shape), at, steps });
  }
  // Proposals: a steady trickle, in bursts, on whichever node leads at the time.
  const proposalGap = 20 + random.int(480);
  for (let at = random.int(proposalGap); at < durationMs; at += 1 + random.int(2 * proposalGap)) {
    events.push({ kind: 'propose', count: 1 + random.int(random.chance(1, 5) ? 9 : 2), at, steps: 0 });
  }
  events.sort((a, b) => a.at - b.at || a.steps - b.steps);
  return { seed, shape, durationMs, events };
}

function drawShape(random: SeededRandom): ClusterShape {
  const size = random.pick([3, 3, 3, 3, 5, 5, 5, 5, 1, 7]);
  const heartbeatIntervalMs = 20 + random.int(80);
  const electionTimeoutMinMs = heartbeatIntervalMs * (3 + random.int(3)) + random.int(100);
  const electionTimeoutMaxMs = electionTimeoutMinMs + 50 + random.int(350);
  const maxLatency = random.chance(1, 3) ? 0 : 1 + random.int(Math.floor(heartbeatIntervalMs / 2) - 1);
  const minLatency = random.int(maxLatency);
  const durability: Durability = random.chance(1, 4)
    ? 'instant'
    : { minMs: random.int(2), maxMs: 2 + random.int(random.chance(1, 3) ? 40 : 10) };
  return {
    size,
    timing: { heartbeatIntervalMs, electionTimeoutMinMs, electionTimeoutMaxMs },
    latency: { minMs: minLatency, maxMs: maxLatency },
    durability,
    snapshotEvery: random.chance(1, 2) ? 0 : 2 + random.int(40),
    noopOnElection: !random.chance(1, 8),
  };
}

function drawAction(
  random: SeededRandom,
  ids: readonly NodeId[],
  down: Set<NodeId>,
  shape: ClusterShape,
): FuzzAction {
  const node = () => random.pick(ids);
  const other = (id: NodeId) => random.pick(ids.filter((x) => x !== id));
  const weights: [number, () => FuzzAction | undefined][] = [
    [
      4,
      () => {
        const up = ids.filter((id) => !down.has(id));
        if (up.length === 0) return undefined;
        const id = random.pick(up);
        down.add(id);
        return { kind: 'crash', id };
      },
    ],
    [
      4,
      () => {
        // Mostly a crashed node comes back; sometimes a live one is crashed and restarted at once.
        const id = down.size > 0 && !random.chance(1, 5) ? random.pick([...down]) : node();
        down.delete(id);
        return { kind: 'restart', id };
      },
    ],
    [3, () => (ids.length < 2 ? undefined : { kind: 'partition', groups: drawGroups(random, ids) })],
    [
      3,
      () => {
        if (ids.length < 2) return undefined;
        const from = node();
        return { kind: 'cut', from, to: other(from) };
      },
    ],
    [
      1,
      () => {
        if (ids.length < 2) return undefined;
        const from = node();
        return { kind: 'uncut', from, to: other(from) };
      },
    ],
    [3, () => ({ kind: 'heal' })],
    [2, () => ({ kind: 'unreliable', on: random.chance(1, 2) })],
    [1, () => ({ kind: 'reorder', on: random.chance(1, 2) })],
    [1, () => ({ kind: 'duplicate', rate: random.chance(1, 3) ? 0 : (1 + random.int(29)) / 100 })],
    [
      1,
      () => {
        // A while of long delays, or back to the base latency.
        if (random.chance(1, 2)) return { kind: 'latency', ...shape.latency };
        const maxMs = 1 + random.int(random.chance(1, 3) ? 2 * shape.timing.electionTimeoutMaxMs : 100);
        return { kind: 'latency', minMs: random.int(maxMs), maxMs };
      },
    ],
    [2, () => ({ kind: 'skew', id: node(), factor: drawSkew(random) })],
    [2, () => ({ kind: 'timeout', id: node() })],
  ];
  const total = weights.reduce((sum, [weight]) => sum + weight, 0);
  for (;;) {
    let draw = random.int(total - 1);
    for (const [weight, make] of weights) {
      draw -= weight;
      if (draw >= 0) continue;
      const action = make();
      if (action !== undefined) return action;
      break;
    }
  }
}

/** Timers run slow or fast: mostly within 0.5-2x, sometimes far out (0.2x, 5-10x). */
function drawSkew(random: SeededRandom): number {
  if (random.chance(1, 4)) return 1;
  if (random.chance(1, 6)) return random.pick([0.2, 0.3, 5, 8, 10]);
  return (50 + random.int(150)) / 100;
}

/** Two or three groups, each node in one (some groups may be single nodes). */
function drawGroups(random: SeededRandom, ids: readonly NodeId[]): NodeId[][] {
  const count = ids.length > 3 && random.chance(1, 3) ? 3 : 2;
  const groups: NodeId[][] = Array.from({ length: count }, () => []);
  for (const id of ids) groups[random.int(count - 1)]!.push(id);
  const split = groups.filter((group) => group.length > 0);
  // All in one group would be no partition: one node goes off alone.
  if (split.length === 1) split.push(split[0]!.splice(random.int(ids.length - 1), 1));
  return split;
}

/** One line per event, e.g. `t=1200+2 crash 3`; the shape on the first line. */
export function formatSchedule(schedule: FuzzSchedule): string {
  const { shape } = schedule;
  const { heartbeatIntervalMs: hb, electionTimeoutMinMs: emin, electionTimeoutMaxMs: emax } = shape.timing;
  const durability =
    shape.durability === 'instant' ? 'instant' : `${shape.durability.minMs}-${shape.durability.maxMs}ms`;
  const head =
    `seed ${schedule.seed}: ${shape.size} nodes, heartbeat ${hb}ms, election ${emin}-${emax}ms, ` +
    `latency ${shape.latency.minMs}-${shape.latency.maxMs}ms, durability ${durability}, ` +
    `snapshotEvery ${shape.snapshotEvery}, noop ${shape.noopOnElection}, ` +
    `${schedule.durationMs}ms of faults, ${schedule.events.length} events`;
  return [head, ...schedule.events.map((event) => `  ${formatEvent(event)}`)].join('\n');
}

export function formatEvent(event: FuzzEvent): string {
  const when = `t=${event.at}${event.steps > 0 ? `+${event.steps}` : ''}`;
  return `${when} ${formatAction(event)}`;
}

function formatAction(action: FuzzAction): string {
  switch (action.kind) {
    case 'crash':
    case 'restart':
    case 'timeout':
      return `${action.kind} ${action.id}`;
    case 'partition':
      return `partition ${action.groups.map((group) => group.join(',')).join(' | ')}`;
    case 'cut':
      return `cut ${action.from}->${action.to}`;
    case 'uncut':
      return `uncut ${action.from}->${action.to}`;
    case 'heal':
      return 'heal';
    case 'unreliable':
    case 'reorder':
      return `${action.kind} ${action.on ? 'on' : 'off'}`;
    case 'duplicate':
      return `duplicate ${action.rate}`;
    case 'latency':
      return `latency ${action.minMs}-${action.maxMs}ms`;
    case 'skew':
      return `skew ${action.id} x${action.factor}`;
    case 'propose':
      return `propose x${action.count}`;
  }
}
