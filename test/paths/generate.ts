/**
 * Path generation with @xstate/graph: the shortest path to every reachable state of the
 * bounded traversal, and a covering set that adds, for each transition the shortest paths
 * never take, the shortest path that ends by taking it.
 */
import { getAdjacencyMap, getShortestPaths } from '@xstate/graph';
import type { AnyActorLogic } from 'xstate';
import { raftMachine } from '../../machines/index.js';
import { chartTransitions, transitionKey } from '../../src/inspect/chart-outline.js';
import { TEST_TIMING } from '../machines/machine-harness.js';
import type { PathEvent, RaftSnapshot } from './alphabet.js';
import { alphabet, beyondBounds, serializeSnapshot, withFreshReadIds } from './alphabet.js';
import { CowRaftLog } from './cow-log.js';
import { replay } from './replay.js';

export interface GeneratedPath {
  readonly kind: 'shortest' | 'edge' | 'covering';
  readonly events: readonly PathEvent[];
}

// The traversal runs on the real machine; the copy-on-write log lets states branch.
const traversal = {
  input: { id: 'a', peers: ['b', 'c'], timing: TEST_TIMING, noopOnElection: false, log: new CowRaftLog() },
  events: alphabet,
  serializeState: serializeSnapshot,
  serializeEvent: (event: PathEvent) => JSON.stringify(event),
  stopWhen: beyondBounds,
  // @xstate/graph throws past `limit` rather than truncating: the bounds above keep the
  // traversal far below it, and a chart that outgrows them fails loudly here.
  limit: 200_000,
};

/** The library's logic type, loosened: the alphabet includes XState's internal `after` events. */
const logic = raftMachine as unknown as AnyActorLogic;

/** Each traversal of the bounded graph costs seconds: it runs once for the paths and once for the edges. */
let shortestCache: ReturnType<typeof getShortestPaths> | undefined;
const traversedPaths = () => (shortestCache ??= getShortestPaths(logic, traversal as never));

type Adjacency = Record<string, { state: RaftSnapshot; transitions: Record<string, { event: PathEvent }> }>;
let adjacencyCache: Adjacency | undefined;
const adjacencyMap = () =>
  (adjacencyCache ??= getAdjacencyMap(logic, traversal as never) as unknown as Adjacency);

export function shortestPaths(): GeneratedPath[] {
  const paths = traversedPaths();
  return paths.map((path) => ({
    kind: 'shortest',
    events: withFreshReadIds(
      path.steps.map((s) => s.event as PathEvent).filter((e) => !e.type.startsWith('xstate.init')),
    ),
  }));
}

/**
 * A path through every edge of the bounded graph: the shortest path to the edge's source,
 * then its event. Shortest paths reach each state once; a rule broken only on some of the
 * edges into a state shows here.
 */
export function edgePaths(shortest: readonly GeneratedPath[]): GeneratedPath[] {
  const pathTo = pathsByState(shortest);
  return graphEdges().map(({ key, event }) => ({
    kind: 'edge',
    events: withFreshReadIds([...(pathTo.get(key) ?? []), event]),
  }));
}

function pathsByState(shortest: readonly GeneratedPath[]): Map<string, readonly PathEvent[]> {
  const pathTo = new Map<string, readonly PathEvent[]>();
  traversedPaths().forEach((path, i) =>
    pathTo.set(serializeSnapshot(path.state as RaftSnapshot), shortest[i]!.events),
  );
  return pathTo;
}

/** Every edge of the traversal: the serialized source state and the event. */
function graphEdges(): { key: string; event: PathEvent }[] {
  return Object.entries(adjacencyMap()).flatMap(([key, node]) =>
    Object.values(node.transitions).map(({ event }) => ({ key, event })),
  );
}

/**
 * Adds paths until every transition is taken: edges of the traversal, nearest first, whose
 * event could trigger a transition not yet taken, replayed to see which they take.
 */
export async function coveringPaths(
  shortest: readonly GeneratedPath[],
  taken: Set<string>,
): Promise<GeneratedPath[]> {
  const all = new Set(chartTransitions(raftMachine).map(transitionKey));
  const missing = () => [...all].filter((key) => !taken.has(key));
  const pathTo = pathsByState(shortest);
  const edges = graphEdges().sort(
    (x, y) => (pathTo.get(x.key)?.length ?? 0) - (pathTo.get(y.key)?.length ?? 0),
  );
  const covering: GeneratedPath[] = [];
  for (const { key, event } of edges) {
    const wanted = missing();
    if (wanted.length === 0) break;
    if (!wanted.some((t) => couldTrigger(t, event))) continue;
    const events = withFreshReadIds([...(pathTo.get(key) ?? []), event]);
    const result = await replay(events);
    const fresh = [...result.transitions].filter((t) => !taken.has(t));
    if (fresh.length === 0) continue;
    for (const t of fresh) taken.add(t);
    covering.push({ kind: 'covering', events });
  }
  return covering;
}

/** Whether `event` might take the transition with key `key` (same event type, or any for `always`). */
function couldTrigger(key: string, event: PathEvent): boolean {
  const trigger = key.split(' ')[1]!;
  if (trigger === 'always') return true;
  if (trigger === 'after') return event.type.startsWith(`xstate.after.${key.split(' ')[2]}`);
  return trigger === event.type;
}
