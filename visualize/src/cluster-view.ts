/**
 * The cluster as SVG: nodes on a ring (filled with their term's colour, the role in the
 * border, the pending timer as a draining ring), the links between them (one lane per
 * direction, clickable to cut and heal), and the messages moving along the lanes. Elements
 * are made once and updated in place every frame.
 */
import type { NodeId } from '../../machines/index.js';
import { nodeColour, termColour, termInk } from './colors.js';
import { s, setAttr, setText } from './dom.js';
import type { FlightView, NodeView, ViewState } from './view-state.js';
import { isPartitioned, linkUp } from './view-state.js';
import { messageLook } from './message-look.js';
import { membershipOf, roleLabel } from './role-look.js';

export interface ClusterViewHandlers {
  select(id: NodeId): void;
  /** Null when the source cannot cut links. `both`: the two directions at once. */
  readonly toggleLink: ((from: NodeId, to: NodeId, both: boolean) => void) | null;
}

/** What a frame draws: the state at the time shown, and that time on the source's clock. */
export interface ClusterFrame {
  readonly state: ViewState;
  readonly now: number;
  /** Source ms per real ms, for how long short things stay visible. */
  readonly speed: number;
  readonly selected: NodeId | null;
}

const WIDTH = 560;
const HEIGHT = 500;
const NODE_R = 34;
const RING_R = 42;
const RING_LENGTH = 2 * Math.PI * RING_R;
const LANE_OFFSET = 6;
const CENTRE_Y = HEIGHT / 2;
/**
 * A message is drawn for at least this long (real ms, growing slower than the speed) so a
 * fast one can be seen; its position still follows its own send and delivery times.
 */
const MIN_VISIBLE_REAL_MS = 160;
/** A dropped message falls and fades for this long (real ms, likewise). */
const DROP_VISIBLE_REAL_MS = 700;
/**
 * Dropped messages shown at once per lane: a cut link drops every heartbeat, and the lane
 * already says it is cut.
 */
const DROPS_PER_LANE = 2;
/** A message due later than this after it was sent is drawn as delayed (dashed). */
export const DELAYED_MS = 100;
/** Where a message with no known due time (a live feed) is assumed to arrive. */
const ASSUMED_FLIGHT_MS = 40;

interface NodeElements {
  readonly group: SVGGElement;
  readonly halo: SVGCircleElement;
  readonly ring: SVGCircleElement;
  readonly ringBack: SVGCircleElement;
  readonly body: SVGCircleElement;
  readonly name: SVGTextElement;
  readonly term: SVGTextElement;
  readonly role: SVGTextElement;
  readonly detail: SVGTextElement;
  readonly title: SVGTitleElement;
}

interface Point {
  readonly x: number;
  readonly y: number;
}

interface Lane {
  readonly from: Point;
  readonly to: Point;
  readonly line: SVGLineElement;
  readonly hit: SVGLineElement;
}

interface MessageElements {
  readonly group: SVGGElement;
  readonly box: SVGRectElement;
  readonly text: SVGTextElement;
  readonly title: SVGTitleElement;
}

export class ClusterView {
  readonly element: SVGSVGElement;
  readonly #handlers: ClusterViewHandlers;
  readonly #linkLayer: SVGGElement;
  readonly #nodeLayer: SVGGElement;
  readonly #messageLayer: SVGGElement;
  #ids: readonly NodeId[] = [];
  #positions = new Map<NodeId, Point>();
  /** Nodes are drawn smaller in a larger cluster, so they keep apart on the ring. */
  #scale = 1;
  #nodes = new Map<NodeId, NodeElements>();
  #lanes = new Map<string, Lane>();
  readonly #messages = new Map<string, MessageElements>();

  constructor(handlers: ClusterViewHandlers) {
    this.#handlers = handlers;
    this.#linkLayer = s('g', { class: 'links' });
    this.#messageLayer = s('g', { class: 'messages' });
    this.#nodeLayer = s('g', { class: 'nodes' });
    this.element = s(
      'svg',
      {
        class: 'cluster',
        viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
        role: 'img',
        'aria-label': 'the cluster: nodes, links and messages in flight',
      },
      this.#linkLayer,
      this.#nodeLayer,
      this.#messageLayer,
    );
  }

  render(frame: ClusterFrame): void {
    const { state } = frame;
    if (!sameIds(state.ids, this.#ids)) this.#build(state.ids);
    for (const id of state.ids) this.#renderNode(this.#nodes.get(id)!, state.nodes[id]!, frame);
    for (const [key, lane] of this.#lanes) {
      const [from, to] = key.split('>') as [NodeId, NodeId];
      const up = linkUp(state, from, to);
      const bothDown = !state.nodes[from]!.up || !state.nodes[to]!.up;
      setAttr(lane.line, 'class', `lane${up ? '' : ' cut'}${bothDown ? ' idle' : ''}`);
    }
    this.#renderMessages(frame);
  }

  #build(ids: readonly NodeId[]): void {
    this.#ids = [...ids];
    this.#linkLayer.replaceChildren();
    this.#nodeLayer.replaceChildren();
    this.#messageLayer.replaceChildren();
    this.#messages.clear();
    this.#positions = ringPositions(ids);
    this.#scale = Math.min(1, 6 / Math.max(ids.length, 1));
    this.#lanes = new Map();
    this.#nodes = new Map();
    for (const a of ids) {
      for (const b of ids) {
        if (a === b) continue;
        const lane = this.#makeLane(a, b);
        this.#lanes.set(`${a}>${b}`, lane);
      }
    }
    for (const id of ids) this.#nodes.set(id, this.#makeNode(ids, id));
  }

  #makeLane(from: NodeId, to: NodeId): Lane {
    const [start, end] = laneEnds(this.#positions.get(from)!, this.#positions.get(to)!, this.#scale);
    const line = s('line', { class: 'lane', x1: start.x, y1: start.y, x2: end.x, y2: end.y });
    const hit = s('line', { class: 'lane-hit', x1: start.x, y1: start.y, x2: end.x, y2: end.y });
    const toggle = this.#handlers.toggleLink;
    if (toggle !== null) {
      const title = s('title');
      title.textContent = `link ${from} → ${to}: click to cut or heal both directions, shift-click this direction only`;
      hit.append(title);
      hit.addEventListener('click', (event) => toggle(from, to, !event.shiftKey));
    } else hit.classList.add('inert');
    this.#linkLayer.append(line, hit);
    return { from: start, to: end, line, hit };
  }

  #makeNode(ids: readonly NodeId[], id: NodeId): NodeElements {
    const at = this.#positions.get(id)!;
    const title = s('title');
    const halo = s('circle', { class: 'halo', r: RING_R + 9 });
    const ringBack = s('circle', { class: 'ring-back', r: RING_R });
    const ring = s('circle', {
      class: 'ring',
      r: RING_R,
      transform: 'rotate(-90)',
      'stroke-dasharray': RING_LENGTH.toFixed(2),
    });
    const body = s('circle', { class: 'body', r: NODE_R });
    const chip = s('circle', {
      class: 'chip',
      r: 7,
      cx: -NODE_R * 0.78,
      cy: -NODE_R * 0.78,
      fill: nodeColour(ids, id),
    });
    const name = s('text', { class: 'name', y: -5 }, id);
    const role = s('text', { class: 'role', y: 9 });
    const term = s('text', { class: 'term', y: 21 });
    // The detail line sits above a node at the top of the ring, below the others.
    const above = outward(at).y < -0.5;
    const detail = s('text', { class: 'detail', y: above ? -RING_R - 10 : RING_R + 17 });
    const group = s(
      'g',
      {
        class: 'node',
        'data-node': id,
        transform: `translate(${at.x} ${at.y}) scale(${this.#scale.toFixed(3)})`,
        tabindex: 0,
      },
      title,
      halo,
      ringBack,
      ring,
      body,
      chip,
      name,
      term,
      role,
      detail,
    );
    group.addEventListener('click', () => this.#handlers.select(id));
    group.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') this.#handlers.select(id);
    });
    this.#nodeLayer.append(group);
    return { group, halo, ring, ringBack, body, name, term, role, detail, title };
  }

  #renderNode(elements: NodeElements, node: NodeView, frame: ClusterFrame): void {
    const summary = node.summary;
    const role = node.up ? (summary?.role ?? 'follower') : 'down';
    const cutOff = node.up && isPartitioned(frame.state, node.id);
    const termNumber = summary?.term ?? 0;
    setAttr(
      elements.group,
      'class',
      `node ${role}${cutOff ? ' cut-off' : ''}${frame.selected === node.id ? ' selected' : ''}`,
    );
    setAttr(elements.body, 'fill', node.up ? termColour(termNumber) : '#eceef1');
    const ink = node.up ? termInk(termNumber) : '#6e7781';
    setAttr(elements.name, 'fill', ink);
    setAttr(elements.term, 'fill', ink);
    setAttr(elements.role, 'fill', ink);
    setText(elements.term, `term ${termNumber}`);
    setText(elements.role, role === 'down' ? role : roleLabel(role));
    setText(elements.detail, detailText(node, cutOff, frame.state.ids.length));
    setText(
      elements.title,
      `node ${node.id}: ${role === 'down' ? role : roleLabel(role)}, term ${termNumber}, voted for ${summary?.votedFor ?? 'nobody'}, ` +
        `leader ${summary?.leaderId ?? 'unknown'}. Click for its full context.`,
    );
    // The pending timer: a follower's or (pre-)candidate's election timeout, a leader's
    // heartbeat. A follower's leader lease is not drawn: it ends in lapsed, not in a step
    // the ring could warn of (the inspector shows it).
    const timer = !node.up
      ? undefined
      : role === 'leader'
        ? node.timers.heartbeatInterval
        : node.timers.electionTimeout;
    if (timer === undefined) {
      setAttr(elements.ring, 'stroke-dashoffset', RING_LENGTH.toFixed(2));
      return;
    }
    const span = Math.max(1, timer.deadline - timer.setAt);
    const left = Math.min(1, Math.max(0, (timer.deadline - frame.now) / span));
    setAttr(elements.ring, 'stroke-dashoffset', (RING_LENGTH * (1 - left)).toFixed(1));
    setAttr(elements.ring, 'class', `ring ${timer.kind}${left < 0.25 ? ' due' : ''}`);
  }

  #renderMessages(frame: ClusterFrame): void {
    const { state, now } = frame;
    const stretch = Math.sqrt(Math.max(frame.speed, 0.05));
    const minVisible = MIN_VISIBLE_REAL_MS * stretch;
    const dropVisible = DROP_VISIBLE_REAL_MS * stretch;
    const seen = new Set<string>();
    const draw = (flight: FlightView) => {
      const lane = this.#lanes.get(`${flight.message.from}>${flight.message.to}`);
      if (lane === undefined || now < flight.sentAt) return;
      const due = flight.endedAt ?? flight.dueAt ?? flight.sentAt + ASSUMED_FLIGHT_MS;
      const end = Math.max(due, flight.sentAt + minVisible);
      let fraction = Math.min(1, (now - flight.sentAt) / (end - flight.sentAt));
      let fall = 0;
      let opacity = 1;
      if (flight.outcome === 'dropped' && flight.endedAt !== null) {
        const droppedAt = Math.min(1, (flight.endedAt - flight.sentAt) / (end - flight.sentAt));
        const since = now - flight.endedAt;
        if (since > dropVisible) return;
        if (since >= 0) {
          fraction = droppedAt;
          fall = (since / dropVisible) * 46;
          opacity = 1 - since / dropVisible;
        }
      } else if (now > end) return;
      seen.add(flight.id);
      const elements = this.#messages.get(flight.id) ?? this.#makeMessage(flight);
      const x = lane.from.x + (lane.to.x - lane.from.x) * fraction;
      const y = lane.from.y + (lane.to.y - lane.from.y) * fraction + fall;
      elements.group.setAttribute('transform', `translate(${x.toFixed(1)} ${y.toFixed(1)})`);
      if (opacity < 1) elements.group.setAttribute('opacity', opacity.toFixed(2));
      const dropped = flight.outcome === 'dropped' && fall > 0;
      if (dropped && !elements.group.classList.contains('dropped')) {
        elements.group.classList.add('dropped');
        setText(elements.title, messageTitle(flight));
      }
    };
    for (const flight of state.flights.values()) draw(flight);
    const drops = new Map<string, number>();
    for (let i = state.landed.length - 1; i >= 0; i--) {
      const flight = state.landed[i]!;
      if (flight.outcome === 'dropped') {
        const lane = `${flight.message.from}>${flight.message.to}`;
        const shown = drops.get(lane) ?? 0;
        if (shown >= DROPS_PER_LANE) continue;
        drops.set(lane, shown + 1);
      }
      draw(flight);
    }
    for (const [id, elements] of this.#messages) {
      if (seen.has(id)) continue;
      elements.group.remove();
      this.#messages.delete(id);
    }
  }

  #makeMessage(flight: FlightView): MessageElements {
    const look = messageLook(flight.message);
    const delayed = flight.dueAt !== null && flight.dueAt - flight.sentAt > DELAYED_MS;
    const width = look.label.length * 6.4 + 10;
    const box = s('rect', { x: -width / 2, y: -8, width, height: 16, rx: 8 });
    const text = s('text', { y: 4 }, look.label);
    const title = s('title', {}, messageTitle(flight));
    const group = s(
      'g',
      {
        class: `message ${look.family} ${look.reply ? 'reply' : 'request'}${delayed ? ' delayed' : ''}`,
        style: `--family: ${look.colour}`,
      },
      title,
      box,
      text,
    );
    this.#messageLayer.append(group);
    const elements = { group, box, text, title };
    this.#messages.set(flight.id, elements);
    return elements;
  }
}

function messageTitle(flight: FlightView): string {
  const { message, dueAt, sentAt, reason } = flight;
  const delay =
    dueAt !== null && dueAt - sentAt > DELAYED_MS ? `, delayed ${Math.round(dueAt - sentAt)} ms` : '';
  const dropped = flight.outcome === 'dropped' ? `, dropped (${reason ?? 'lost'})` : '';
  return `${message.type} ${message.from} → ${message.to}, term ${message.term}${delay}${dropped}`;
}

function detailText(node: NodeView, cutOff: boolean, size: number): string {
  const summary = node.summary;
  if (!node.up) return shorten(node.downReason ?? '', 28);
  if (summary === null) return '';
  const parts: string[] = [];
  // A quorum is of the voters in the node's configuration (all nodes, when it has none).
  const voters = summary.voters.length > 0 ? summary.voters.length : size;
  if (summary.role === 'candidate') parts.push(`votes ${summary.votes.length}/${voters}`);
  else if (summary.role === 'preCandidate') parts.push(`pre-votes ${summary.votes.length}/${voters}`);
  else if (summary.role === 'follower') {
    parts.push(summary.leaderId === null ? 'no leader' : `follows ${summary.leaderId}`);
  } else parts.push(`commit ${summary.commitIndex}`);
  if (summary.role !== 'leader') parts.push(`voted ${summary.votedFor ?? '–'}`);
  const membership = membershipOf(node.id, summary);
  if (membership !== 'voter') parts.unshift(membership);
  if (summary.transferTo !== null) parts.push(`→ ${summary.transferTo}`);
  if (cutOff) parts.push('cut off');
  return parts.join(' · ');
}

function shorten(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

/** The unit vector from the drawing's centre towards `at`. */
function outward(at: Point): Point {
  const dx = at.x - WIDTH / 2;
  const dy = at.y - CENTRE_Y;
  const length = Math.hypot(dx, dy);
  return length === 0 ? { x: 0, y: 1 } : { x: dx / length, y: dy / length };
}

function ringPositions(ids: readonly NodeId[]): Map<NodeId, Point> {
  const positions = new Map<NodeId, Point>();
  const radius = ids.length <= 1 ? 0 : Math.min(185, 90 + ids.length * 18);
  ids.forEach((id, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / ids.length;
    positions.set(id, {
      x: WIDTH / 2 + radius * Math.cos(angle),
      y: CENTRE_Y + radius * Math.sin(angle),
    });
  });
  return positions;
}

/** One direction's lane: from the edge of one node's ring to the other's, offset to its side. */
function laneEnds(a: Point, b: Point, scale: number): [Point, Point] {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const length = Math.hypot(dx, dy) || 1;
  const ux = dx / length;
  const uy = dy / length;
  const nx = -uy * LANE_OFFSET;
  const ny = ux * LANE_OFFSET;
  const gap = (RING_R + 8) * scale;
  return [
    { x: a.x + ux * gap + nx, y: a.y + uy * gap + ny },
    { x: b.x - ux * gap + nx, y: b.y - uy * gap + ny },
  ];
}

function sameIds(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}
