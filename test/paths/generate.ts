/**
 * Path generation with @xstate/graph, per setup: the shortest path to every reachable state
 * of the bounded traversal, a path through every edge, and a covering set that adds, for
 * each transition the others never take, the shortest path that ends by taking it. Two
 * setups, one traversal each: the paper's algorithm (features off) and production (pre-vote
 * and check-quorum on); some guards can be taken only with the features off (`usesPreVote`
 * false), others only with them on, so coverage is their union.
 */
import { getAdjacencyMap } from '@xstate/graph';
import type { AnyActorLogic } from 'xstate';
import type { RaftFeatures } from '../../machines/index.js';
import { PAPER_FEATURES, PRODUCTION_FEATURES, raftMachine, roleOf } from '../../machines/index.js';
import { chartTransitions, transitionKey } from '../../src/inspect/chart-outline.js';
import type { PathEvent, RaftSnapshot } from './alphabet.js';
import { PATH_TIMING, alphabet, beyondBounds, serializeSnapshot, withFreshReadIds } from './alphabet.js';
import { beyondProductionBounds, productionAlphabet } from './alphabet-production.js';
import { CowRaftLog } from './cow-log.js';
import { replay } from './replay.js';

export interface Setup {
  readonly name: 'paper' | 'production';
  readonly features: RaftFeatures;
  readonly alphabet: (snapshot: RaftSnapshot) => PathEvent[];
  readonly beyondBounds: (snapshot: RaftSnapshot) => boolean;
}

export const SETUPS: readonly Setup[] = [
  { name: 'paper', features: PAPER_FEATURES, alphabet, beyondBounds },
  {
    name: 'production',
    features: PRODUCTION_FEATURES,
    alphabet: productionAlphabet,
    beyondBounds: beyondProductionBounds,
  },
];

export interface GeneratedPath {
  readonly kind: 'shortest' | 'edge' | 'covering';
  readonly setup: Setup;
  readonly events: readonly PathEvent[];
}

// The traversal runs on the real machine; the copy-on-write log lets states branch.
const traversal = (setup: Setup) => ({
  input: {
    id: 'a',
    peers: ['b', 'c'],
    timing: PATH_TIMING,
    features: setup.features,
    noopOnElection: false,
    log: new CowRaftLog(),
  },
  events: setup.alphabet,
  serializeState: serializeSnapshot,
  serializeEvent: (event: PathEvent) => JSON.stringify(event),
  stopWhen: setup.beyondBounds,
  // @xstate/graph throws past `limit` rather than truncating: the bounds keep the traversal
  // far below it, and a chart that outgrows them fails loudly here.
  limit: 200_000,
});

/** The library's logic type, loosened: the alphabet includes XState's internal `after` events. */
const logic = raftMachine as unknown as AnyActorLogic;

type Adjacency = Record<
  string,
  { state: RaftSnapshot; transitions: Record<string, { event: PathEvent; state: RaftSnapshot }> }
>;

/** Each traversal of a bounded graph costs seconds: it runs once, for the paths and the edges. */
const adjacencyCache = new Map<Setup, Adjacency>();
function adjacencyMap(setup: Setup): Adjacency {
  let map = adjacencyCache.get(setup);
  if (map === undefined) {
    map = getAdjacencyMap(logic, traversal(setup) as never) as unknown as Adjacency;
    adjacencyCache.set(setup, map);
  }
  return map;
}

/**
 * The shortest path to every state of the traversal, breadth first over its adjacency map
 * (what getShortestPaths computes, without traversing the graph a second time).
 */
function traversedPaths(setup: Setup): { key: string; events: PathEvent[] }[] {
  const adjacency = adjacencyMap(setup);
  const [start] = Object.keys(adjacency);
  if (start === undefined) return [];
  const paths = new Map<string, PathEvent[]>([[start, []]]);
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const key = queue[i]!;
    for (const { event, state } of Object.values(adjacency[key]!.transitions)) {
      const next = serializeSnapshot(state);
      if (paths.has(next) || adjacency[next] === undefined) continue;
      paths.set(next, [...paths.get(key)!, event]);
      queue.push(next);
    }
  }
  return [...paths].map(([key, events]) => ({ key, events }));
}

export function shortestPaths(setup: Setup): GeneratedPath[] {
  return traversedPaths(setup).map((path) => ({
    kind: 'shortest',
    setup,
    events: withFreshReadIds(path.events),
  }));
}

/**
 * A path through every edge of the bounded graph: the shortest path to the edge's source,
 * then its event. Shortest paths reach each state once; a rule broken only on some of the
 * edges into a state shows here.
 */
export function edgePaths(shortest: readonly GeneratedPath[], setup: Setup): GeneratedPath[] {
  const pathTo = pathsByState(shortest, setup);
  return graphEdges(setup).map(({ key, event }) => ({
    kind: 'edge',
    setup,
    events: withFreshReadIds([...(pathTo.get(key) ?? []), event]),
  }));
}

function pathsByState(shortest: readonly GeneratedPath[], setup: Setup): Map<string, readonly PathEvent[]> {
  const pathTo = new Map<string, readonly PathEvent[]>();
  const own = shortest.filter((p) => p.setup === setup);
  traversedPaths(setup).forEach((path, i) => pathTo.set(path.key, own[i]!.events));
  return pathTo;
}

/** Every edge of the traversal: the serialized source state, the event, and the roles it goes between. */
function graphEdges(setup: Setup): { key: string; event: PathEvent; roles: readonly string[] }[] {
  return Object.entries(adjacencyMap(setup)).flatMap(([key, node]) =>
    Object.values(node.transitions).map(({ event, state }) => ({
      key,
      event,
      roles: [roleOf(node.state.value), roleOf(state.value)],
    })),
  );
}

/**
 * Adds paths until every transition is taken: edges of the traversals, nearest first, whose
 * event could trigger a transition not yet taken, replayed to see which they take.
 */
export async function coveringPaths(
  shortest: readonly GeneratedPath[],
  taken: Set<string>,
): Promise<GeneratedPath[]> {
  const all = new Set(chartTransitions(raftMachine).map(transitionKey));
  const missing = () => [...all].filter((key) => !taken.has(key));
  const covering: GeneratedPath[] = [];
  for (const setup of SETUPS) {
    const pathTo = pathsByState(shortest, setup);
    const edges = graphEdges(setup).sort(
      (x, y) => (pathTo.get(x.key)?.length ?? 0) - (pathTo.get(y.key)?.length ?? 0),
    );
    for (const { key, event, roles } of edges) {
      const wanted = missing();
      if (wanted.length === 0) return covering;
      if (!wanted.some((t) => couldTrigger(t, event, roles))) continue;
      const events = withFreshReadIds([...(pathTo.get(key) ?? []), event]);
      const result = await replay(events, setup.features);
      const fresh = [...result.transitions].filter((t) => !taken.has(t));
      if (fresh.length === 0) continue;
      for (const t of fresh) taken.add(t);
      covering.push({ kind: 'covering', setup, events });
    }
  }
  return covering;
}

/**
 * Whether `event`, on an edge between `roles`, might take the transition with key `key`:
 * the same event type (any, for `always`), from the role the edge leaves or enters.
 */
function couldTrigger(key: string, event: PathEvent, roles: readonly string[]): boolean {
  const [source, trigger] = key.split(' ') as [string, string];
  const role = source.replace(/:$/, '').split('.')[0]!;
  if (role !== '(any' && !roles.includes(role)) return false;
  if (trigger === 'always') return true;
  if (trigger === 'after') return event.type.startsWith(`xstate.after.${key.split(' ')[2]}`);
  return trigger === event.type;
}
