/**
 * Plays a fuzz schedule against a SimCluster: each event at its moment, every step checked
 * by the cluster's invariant checker; then everything healed and liveness checked.
 */
import { SimCluster } from '../../src/sim/sim-cluster.js';
import { leaders, restart } from './cluster-helpers.js';
import { checkLiveness, LIVENESS_MS } from './liveness.js';
import type { FuzzAction, FuzzSchedule } from './schedule.js';
import { formatEvent } from './schedule.js';
import type { RunOutcome } from './outcome.js';
import { failureOutcome, RecentLines } from './outcome.js';

/** How far past its time an event's extra steps may go. */
const STEPS_WITHIN_MS = 50;

/** The cluster a schedule runs on, its budget a little past the run's own bounds. */
export function fuzzCluster(schedule: FuzzSchedule): SimCluster {
  const { shape } = schedule;
  return new SimCluster({
    seed: schedule.seed,
    size: shape.size,
    timing: shape.timing,
    latency: shape.latency,
    durability: shape.durability,
    snapshotEvery: shape.snapshotEvery,
    noopOnElection: shape.noopOnElection,
    // A livelock or a hang fails with the seed rather than running on.
    budget: { virtualMs: schedule.durationMs + LIVENESS_MS + 10_000, wallMs: 60_000 },
  });
}

/** Runs `schedule` to its verdict; never throws for what the cluster does. */
export async function runSchedule(schedule: FuzzSchedule): Promise<RunOutcome> {
  const cluster = fuzzCluster(schedule);
  const recent = new RecentLines();
  cluster.on('role', ({ id, role, term, at }) => recent.add(`t=${at} ${id} ${role} term ${term}`));
  let proposals = 0;
  let commands = 0;
  const command = () => `${schedule.seed}:${commands++}`;
  try {
    await cluster.run(() => cluster.startAll());
    for (const event of schedule.events) {
      const wait = event.at - cluster.clock.now();
      if (wait > 0) await cluster.runFor(wait);
      // Timer firings just after `at` (within STEPS_WITHIN_MS): the action lands between two of them.
      const within = event.at + STEPS_WITHIN_MS;
      for (let i = 0; i < event.steps && (cluster.clock.nextDue() ?? Infinity) <= within; i++) {
        await cluster.step();
      }
      recent.add(`t=${cluster.clock.now()} [${formatEvent(event)}]`);
      proposals += await apply(cluster, event, command);
    }
    const wait = schedule.durationMs - cluster.clock.now();
    if (wait > 0) await cluster.runFor(wait);
    recent.add(`t=${cluster.clock.now()} [end of faults: heal, restart, check liveness]`);
    const liveness = await checkLiveness(cluster, schedule.shape.latency, `${schedule.seed}:final`);
    return { ok: true, at: cluster.clock.now(), proposals, ...liveness };
  } catch (error) {
    return failureOutcome(error, cluster.clock.now(), recent.lines());
  } finally {
    cluster.stopAll();
  }
}

/** Does `action`; returns how many proposals it made. */
async function apply(cluster: SimCluster, action: FuzzAction, command: () => string): Promise<number> {
  const { network } = cluster;
  switch (action.kind) {
    case 'crash':
      cluster.crash(action.id);
      return 0;
    case 'restart':
      await restart(cluster, action.id);
      return 0;
    case 'partition':
      cluster.partition(action.groups);
      return 0;
    case 'cut':
    case 'uncut':
      cluster.setLink(action.from, action.to, action.kind === 'uncut');
      return 0;
    case 'heal':
      cluster.heal();
      return 0;
    case 'unreliable':
      network.setReliable(!action.on);
      return 0;
    case 'reorder':
      network.setLongReordering(action.on);
      return 0;
    case 'duplicate':
      network.setDuplication(action.rate);
      return 0;
    case 'latency':
      network.setLatency({ minMs: action.minMs, maxMs: action.maxMs });
      return 0;
    case 'skew':
      cluster.setClockSkew(action.id, action.factor);
      return 0;
    case 'timeout':
      cluster.timeoutNow(action.id);
      return 0;
    case 'propose':
      return propose(cluster, action.count, command);
  }
}

/**
 * Proposes `count` commands on every node that believes it leads (a stale leader's entries
 * are what the safety checks are about); refusals and timeouts are part of the game.
 */
function propose(cluster: SimCluster, count: number, command: () => string): number {
  let made = 0;
  for (const id of leaders(cluster)) {
    const node = cluster.node(id)!;
    for (let i = 0; i < count; i++) {
      made++;
      node.propose(command()).catch(() => {});
    }
  }
  return made;
}
