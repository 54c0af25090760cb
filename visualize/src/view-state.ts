/**
 * The cluster view's state at any moment, reduced from the events a ClusterSource emitted
 * (plus the link changes the page made itself). Pure and immutable: the same events give
 * the same state, and an old state stays valid, so the page keeps states as checkpoints
 * and scrubs by reducing forward from the nearest one. No DOM here (the unit tests run it
 * in Node).
 */
import type { NodeId, RaftMessage } from '../../machines/index.js';
import type { InspectEvent, NodeSummary, TimerKind } from '../../src/inspect/inspect-event.js';

/**
 * Which links the page has cut and which nodes it disconnected. The feed reports faults
 * only as text, so the page records what it did itself, as an event in the same stream.
 */
export interface LinkChange {
  readonly type: 'links';
  readonly at: number;
  /** Nodes cut off from every other node. */
  readonly disconnected: readonly NodeId[];
  /** Single directions cut, as `linkKey(from, to)`. */
  readonly cut: readonly string[];
}

export type ViewEvent = InspectEvent | LinkChange;

export interface TimerView {
  readonly kind: TimerKind;
  /** When the timer was first set (a moved timer keeps it, so its ring stays continuous). */
  readonly setAt: number;
  readonly deadline: number;
}

export interface StepView {
  readonly at: number;
  /** The event the chart processed: a message type, a local event, or `xstate.after...`. */
  readonly event: string;
  /** The chart-outline lines of the transitions taken, when the source knows them. */
  readonly transitions: readonly string[];
  /** The active leaf before the step (null right after start). */
  readonly from: string | null;
  readonly to: string;
  /**
   * A timer was set at the step's time: the step entered (or re-entered) a state with an
   * `after`, where a targetless transition would have left the running timer alone.
   */
  readonly timerSet: boolean;
}

export interface NodeView {
  readonly id: NodeId;
  readonly up: boolean;
  /** Why it went down, while it is down. */
  readonly downReason: string | null;
  /** The node's state after its last step; kept while down (what it had when it stopped). */
  readonly summary: NodeSummary | null;
  readonly lastStep: StepView | null;
  readonly timers: Readonly<Partial<Record<TimerKind, TimerView>>>;
}

export type FlightOutcome = 'flying' | 'delivered' | 'dropped';

export interface FlightView {
  readonly id: string;
  readonly message: RaftMessage;
  readonly sentAt: number;
  /** When the network said it is due, if it said. */
  readonly dueAt: number | null;
  readonly outcome: FlightOutcome;
  /** When it was delivered or dropped. */
  readonly endedAt: number | null;
  readonly reason: string | null;
}

export type TimelineKind = 'up' | 'down' | 'poll' | 'election' | 'leader' | 'follower' | 'commit' | 'fault';

export interface TimelineEntry {
  /** Position of the event that produced it in the stream (0-based). */
  readonly index: number;
  readonly at: number;
  readonly kind: TimelineKind;
  readonly node: NodeId | null;
  /** e.g. `t=1.234s node 2 leader term 3` (time since the first event). */
  readonly text: string;
}

export interface ViewState {
  /** Events applied so far. */
  readonly count: number;
  /** The source's clock at the last event (ms); `origin` before any. */
  readonly at: number;
  /** The first event's time: the timeline counts from here. */
  readonly origin: number | null;
  readonly ids: readonly NodeId[];
  readonly nodes: Readonly<Record<NodeId, NodeView>>;
  /** Messages sent and not yet delivered or dropped. */
  readonly flights: ReadonlyMap<string, FlightView>;
  /** The last LANDED_KEEP messages delivered or dropped, oldest first (for their animation's end). */
  readonly landed: readonly FlightView[];
  readonly disconnected: ReadonlySet<NodeId>;
  readonly cut: ReadonlySet<string>;
  /** The timeline entry the last event produced, if any. */
  readonly entry: TimelineEntry | null;
}

/** How many finished messages a state remembers: enough to draw those still in sight at 10× (about half a second's). */
export const LANDED_KEEP = 160;
/**
 * A message the source never reported delivered or dropped (a live feed sees sends only) is
 * forgotten this long after it was sent.
 */
export const FLIGHT_FORGET_MS = 5000;

export function linkKey(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}

export function initialViewState(ids: readonly NodeId[]): ViewState {
  const nodes: Record<NodeId, NodeView> = {};
  for (const id of ids) nodes[id] = emptyNode(id);
  return {
    count: 0,
    at: 0,
    origin: null,
    ids: [...ids],
    nodes,
    flights: new Map(),
    landed: [],
    disconnected: new Set(),
    cut: new Set(),
    entry: null,
  };
}

/** The state after `event`: the reducer. */
export function applyEvent(state: ViewState, event: ViewEvent): ViewState {
  const origin = state.origin ?? event.at;
  const base: ViewState = { ...state, count: state.count + 1, at: event.at, origin, entry: null };
  const index = state.count;
  const entry = (kind: TimelineKind, node: NodeId | null, what: string): TimelineEntry => ({
    index,
    at: event.at,
    kind,
    node,
    text: `t=${formatSeconds(event.at - origin)} ${node === null ? '' : `node ${node} `}${what}`,
  });
  switch (event.type) {
    case 'nodeUp': {
      const next = withNode(base, event.node, () => ({
        ...emptyNode(event.node),
        up: true,
        summary: event.summary,
      }));
      const restarted = (state.nodes[event.node]?.summary ?? null) !== null;
      return {
        ...next,
        entry: entry('up', event.node, `${restarted ? 'restarted' : 'up'} term ${event.summary.term}`),
      };
    }
    case 'nodeDown': {
      // A node reported down before it ever ran (a source that is starting it) is no news.
      const wasUp = state.nodes[event.node]?.up === true;
      const next = withNode(base, event.node, (node) => ({
        ...node,
        up: false,
        downReason: event.reason,
        timers: {},
      }));
      return wasUp ? { ...next, entry: entry('down', event.node, `down (${event.reason})`) } : next;
    }
    case 'step': {
      const before = state.nodes[event.node]?.summary ?? null;
      const next = withNode(base, event.node, (node) => ({
        ...node,
        up: true,
        downReason: null,
        summary: event.summary,
        lastStep: {
          at: event.at,
          event: event.event,
          transitions: event.transitions,
          from: before?.state ?? null,
          to: event.summary.state,
          timerSet: Object.values(node.timers).some((timer) => timer.setAt === event.at),
        },
      }));
      const what = stepEntry(before, event.summary);
      return what === null ? next : { ...next, entry: entry(what.kind, event.node, what.text) };
    }
    case 'timer':
      return withNode(base, event.node, (node) => {
        const timers = { ...node.timers };
        if (event.deadline === null) delete timers[event.timer];
        else {
          // Set while still pending is a move (a simulator aligning timers), not a new timer.
          const setAt = timers[event.timer]?.setAt ?? event.at;
          timers[event.timer] = { kind: event.timer, setAt, deadline: event.deadline };
        }
        return { ...node, timers };
      });
    case 'message':
      return applyMessage(base, event);
    case 'fault':
      return { ...base, entry: entry('fault', null, event.description) };
    case 'links':
      return { ...base, disconnected: new Set(event.disconnected), cut: new Set(event.cut) };
  }
}

/** The state after the first `count` events (all by default). */
export function reduceView(
  ids: readonly NodeId[],
  events: readonly ViewEvent[],
  count = events.length,
  from: ViewState = initialViewState(ids),
): ViewState {
  let state = from;
  for (let i = state.count; i < count && i < events.length; i++) state = applyEvent(state, events[i]!);
  return state;
}

/** Every timeline entry of the first `count` events, in order. */
export function timelineOf(
  ids: readonly NodeId[],
  events: readonly ViewEvent[],
  count = events.length,
): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  let state = initialViewState(ids);
  for (let i = 0; i < count && i < events.length; i++) {
    state = applyEvent(state, events[i]!);
    if (state.entry !== null) entries.push(state.entry);
  }
  return entries;
}

/** A node is cut off when it is disconnected or every link out of it is cut. */
export function isPartitioned(state: ViewState, id: NodeId): boolean {
  if (state.disconnected.has(id)) return true;
  const peers = state.ids.filter((peer) => peer !== id);
  return peers.length > 0 && peers.every((peer) => state.cut.has(linkKey(id, peer)));
}

/** Whether messages can pass from `from` to `to` as far as the page knows. */
export function linkUp(state: ViewState, from: NodeId, to: NodeId): boolean {
  return !state.disconnected.has(from) && !state.disconnected.has(to) && !state.cut.has(linkKey(from, to));
}

function applyMessage(state: ViewState, event: Extract<InspectEvent, { type: 'message' }>): ViewState {
  const flights = new Map(state.flights);
  if (event.phase === 'sent') {
    for (const [id, flight] of flights) if (flight.sentAt < event.at - FLIGHT_FORGET_MS) flights.delete(id);
    flights.set(event.id, {
      id: event.id,
      message: event.message,
      sentAt: event.at,
      dueAt: event.deliverAt ?? null,
      outcome: 'flying',
      endedAt: null,
      reason: null,
    });
    return withNewIds({ ...state, flights }, [event.message.from, event.message.to]);
  }
  const known = flights.get(event.id);
  flights.delete(event.id);
  const landed: FlightView = {
    id: event.id,
    message: event.message,
    sentAt: known?.sentAt ?? event.at,
    dueAt: known?.dueAt ?? null,
    outcome: event.phase,
    endedAt: event.at,
    reason: event.reason ?? null,
  };
  const kept = state.landed.length >= LANDED_KEEP ? state.landed.slice(1) : [...state.landed];
  kept.push(landed);
  return { ...state, flights, landed: kept };
}

function stepEntry(
  before: NodeSummary | null,
  after: NodeSummary,
): { kind: TimelineKind; text: string } | null {
  // A pre-candidate asks whether it would win the next term, without moving to it.
  if (after.role === 'preCandidate' && (before?.role !== 'preCandidate' || before.term !== after.term)) {
    return { kind: 'poll', text: `pre-candidate for term ${after.term + 1}` };
  }
  if (after.role === 'candidate' && (before?.role !== 'candidate' || before.term !== after.term)) {
    return { kind: 'election', text: `candidate term ${after.term}` };
  }
  if (after.role === 'leader' && before?.role !== 'leader')
    return { kind: 'leader', text: `leader term ${after.term}` };
  if (after.role === 'follower' && before !== null && before.role !== 'follower') {
    return { kind: 'follower', text: `follower term ${after.term}` };
  }
  if (after.role === 'leader' && before !== null && after.commitIndex > before.commitIndex) {
    return { kind: 'commit', text: `committed ${after.commitIndex} term ${after.term}` };
  }
  return null;
}

function emptyNode(id: NodeId): NodeView {
  return { id, up: false, downReason: null, summary: null, lastStep: null, timers: {} };
}

function withNode(state: ViewState, id: NodeId, change: (node: NodeView) => NodeView): ViewState {
  const withId = withNewIds(state, [id]);
  return { ...withId, nodes: { ...withId.nodes, [id]: change(withId.nodes[id] ?? emptyNode(id)) } };
}

/** A node the source did not list up front (a feed that learns its peers) joins the view. */
function withNewIds(state: ViewState, ids: readonly NodeId[]): ViewState {
  const fresh = ids.filter((id) => state.nodes[id] === undefined);
  if (fresh.length === 0) return state;
  const nodes = { ...state.nodes };
  for (const id of fresh) nodes[id] = emptyNode(id);
  return { ...state, ids: [...state.ids, ...fresh], nodes };
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}
