/**
 * `raftchart sim`: a simulated cluster in the terminal, paced to real time, with chaos
 * (partitions and crashes) so there is something to watch. Deterministic from its seed:
 * the same seed prints the same story.
 */
import { setTimeout as sleepRealTime } from 'node:timers/promises';
import type { NodeId, Role } from '../../machines/index.js';
import { SeededRandom } from '../sim/seeded-random.js';
import { SimCluster } from '../sim/sim-cluster.js';

export interface SimulateOptions {
  readonly nodes: number;
  readonly seed: number;
  /** Virtual seconds per real second; 0 runs as fast as possible. */
  readonly speed: number;
  /** Stop after this much virtual time; undefined runs until `signal` aborts. */
  readonly durationMs?: number;
  readonly chaos: boolean;
  readonly write: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface SimulateSummary {
  readonly virtualMs: number;
  readonly roleChanges: number;
  readonly highestTerm: number;
  readonly messages: number;
}

const STEP_MS = 50;

export async function simulate(options: SimulateOptions): Promise<SimulateSummary> {
  const { write } = options;
  const cluster = new SimCluster({ seed: options.seed, size: options.nodes });
  const roles = new Map<NodeId, Role>();
  let roleChanges = 0;
  let highestTerm = 0;
  const stamp = () => `${(cluster.clock.now() / 1000).toFixed(3).padStart(9)}s`;

  cluster.on('role', (change) => {
    const before = roles.get(change.id) ?? 'follower';
    roles.set(change.id, change.role);
    roleChanges++;
    highestTerm = Math.max(highestTerm, change.term);
    const what = before === change.role ? `${change.role}, new term` : `${before} -> ${change.role}`;
    write(`${stamp()}  node ${change.id}  ${what.padEnd(28)} term ${change.term}`);
  });

  write(
    `raftchart: simulated ${options.nodes}-node cluster, seed ${options.seed} ` +
      `(replay: --seed ${options.seed})${options.durationMs === undefined ? '; Ctrl-C to stop' : ''}`,
  );
  await cluster.startAll();

  const chaos = new SeededRandom(options.seed, 'chaos');
  let nextChaosAt = 3_000;
  const stopAt = options.durationMs ?? Infinity;
  try {
    while (cluster.clock.now() < stopAt && options.signal?.aborted !== true) {
      await cluster.runFor(Math.min(STEP_MS, stopAt - cluster.clock.now()));
      if (options.chaos && cluster.clock.now() >= nextChaosAt) {
        await disturb(cluster, chaos, roles, (line) => write(`${stamp()}  ${line}`));
        nextChaosAt = cluster.clock.now() + 2_000 + chaos.int(4_000);
      }
      if (options.speed > 0) await sleepRealTime(STEP_MS / options.speed);
    }
  } finally {
    cluster.stopAll();
  }
  const summary = {
    virtualMs: cluster.clock.now(),
    roleChanges,
    highestTerm,
    messages: cluster.network.totalCount,
  };
  write(
    `${stamp()}  stopped: ${summary.roleChanges} role changes, highest term ${summary.highestTerm}, ` +
      `${summary.messages} messages`,
  );
  return summary;
}

/** One piece of chaos: isolate the leader, crash and restart a node, or heal everything. */
async function disturb(
  cluster: SimCluster,
  chaos: SeededRandom,
  roles: Map<NodeId, Role>,
  say: (line: string) => void,
): Promise<void> {
  const isolated = cluster.ids.filter((id) => !cluster.isConnected(id));
  if (isolated.length > 0) {
    for (const id of isolated) {
      if (cluster.node(id) === null) {
        const { role, term } = (await cluster.start(id)).status();
        roles.set(id, role);
        say(`chaos: restarted node ${id} from its persisted state, ${role} in term ${term}`);
      }
      cluster.connect(id);
    }
    say(`chaos: healed, node ${isolated.join(', ')} connected again`);
    return;
  }
  const leader = cluster.ids.find((id) => cluster.status(id)?.role === 'leader');
  if (leader !== undefined && chaos.chance(1, 2)) {
    cluster.disconnect(leader);
    say(`chaos: partitioned the leader, node ${leader}, away from the others`);
    return;
  }
  const victim = chaos.pick(cluster.ids);
  cluster.crash(victim);
  say(`chaos: crashed node ${victim} (its persisted term and vote survive)`);
}
