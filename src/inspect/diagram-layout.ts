/**
 * The chart graph laid out for drawing, with elkjs (ELK's layered algorithm, run in-process:
 * the bundled build needs no worker and no network, in Node and in a browser). Roles are ELK
 * hierarchical nodes holding their leaves; transitions between the same two states share one
 * arrow, one label row each; targetless transitions are rows listed in their state's box.
 * The result is plain data in absolute coordinates, the same for the same machine: ELK's
 * layered algorithm is deterministic for a fixed seed, and coordinates are rounded.
 * Browser-safe.
 */
import elkBundled from 'elkjs/lib/elk.bundled.js';
import type { ELK, ElkExtendedEdge, ElkLabel, ElkNode, LayoutOptions } from 'elkjs/lib/elk-api.js';
import { arrowBundles, type ChartGraph, type GraphState, type GraphTransition } from './chart-graph.js';
import { LABEL_FONT, TITLE_FONT, linesWidth, textWidth, transitionLines } from './diagram-text.js';

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** One transition's text and where it is set: its lines start at the box's top left. */
export interface DiagramRow extends Box {
  /** The transition's key (its chart outline line). */
  readonly key: string;
  readonly lines: readonly string[];
}

/** Targetless transitions, handled in place: a heading, then one row each. */
export interface DiagramRowList extends Box {
  readonly heading: string;
  readonly rows: readonly DiagramRow[];
}

export interface DiagramState extends Box {
  /** e.g. `follower` (a role's box) or `follower.waiting` (a leaf inside it). */
  readonly path: string;
  readonly name: string;
  readonly compound: boolean;
  /** `entry / startElection, requestVotes` and `exit / ...` lines, under the name; empty without either. */
  readonly entry: readonly string[];
  readonly handled: DiagramRowList | null;
}

/**
 * An arrow: from an initial dot to the state it starts in, from a state to another (`move`),
 * or from a state back to itself (`loop`), carrying the rows of the transitions it stands for.
 */
export interface DiagramEdge {
  readonly id: string;
  readonly kind: 'initial' | 'move' | 'loop';
  /** State paths; for `initial`, `from` is the path of the state whose initial child it points at. */
  readonly from: string;
  readonly to: string;
  /** The route, start to end; the arrowhead is at the end. */
  readonly points: readonly Point[];
  readonly rows: readonly DiagramRow[];
}

/** The dot an initial arrow starts at; `of` is the state it starts ('' for the machine). */
export interface DiagramInitial {
  readonly of: string;
  readonly x: number;
  readonly y: number;
  readonly radius: number;
}

export interface DiagramLayout {
  readonly width: number;
  readonly height: number;
  /** Parents before children, so a drawing in this order puts leaves on top of their roles. */
  readonly states: readonly DiagramState[];
  readonly edges: readonly DiagramEdge[];
  readonly initials: readonly DiagramInitial[];
  /** The machine root's targetless transitions, the same in every role. */
  readonly anyRole: DiagramAnyRole | null;
}

/** A box of its own for the machine root's targetless transitions. */
export interface DiagramAnyRole extends Box {
  readonly handled: DiagramRowList;
}

/** Spacing inside boxes, in pixels. */
export const DIAGRAM_PADDING = 10;
export const INITIAL_RADIUS = 6;
const ROW_GAP = 4;
export const HANDLED_HEADING = 'handled in place, no exit:';
const ANY_ROLE_HEADING = 'in every role, handled in place:';

/** Spacing, set on the root and on every role (ELK reads it off the graph holding the element). */
const SPACING: LayoutOptions = {
  'elk.spacing.nodeNode': '30',
  'elk.layered.spacing.nodeNodeBetweenLayers': '40',
  'elk.spacing.edgeNode': '16',
  'elk.spacing.edgeEdge': '14',
  'elk.layered.spacing.edgeNodeBetweenLayers': '16',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '12',
  'elk.spacing.edgeLabel': '4',
  'elk.spacing.labelLabel': '4',
  // Loops wide enough to see, and to carry an arrowhead.
  'elk.spacing.nodeSelfLoop': '32',
};

const LAYOUT_OPTIONS: LayoutOptions = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  // One layering across the roles and their leaves, so an arrow can run from a leaf of one
  // role to another role.
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.edgeRouting': 'ORTHOGONAL',
  // The chart's order (follower, candidate, leader) is the layering's; arrows against it
  // (stepping down) are the ones drawn backwards.
  'elk.layered.cycleBreaking.strategy': 'MODEL_ORDER',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  // Fixed, so the same graph always gets the same layout (ELK's default is 1 too).
  'elk.randomSeed': '1',
  'elk.padding': '[top=12,left=12,bottom=12,right=12]',
  ...SPACING,
};

let elk: ELK | undefined;

/** Lays `graph` out: sizes every box and label from its text, then lets ELK place them. */
export async function layoutDiagram(graph: ChartGraph): Promise<DiagramLayout> {
  // A CommonJS module: its default import is module.exports, which is the constructor and
  // also carries itself as `default`, the one spelling TypeScript and bundlers agree on.
  elk ??= new elkBundled.default();
  const input = elkGraph(graph);
  const output = await elk.layout(input);
  return readLayout(graph, output);
}

/* ---------------------------------------------------------------------------------------- */
/* Sizes: what ELK is given.                                                                  */

interface RowListSize {
  readonly width: number;
  readonly height: number;
  readonly rows: readonly {
    readonly key: string;
    readonly lines: readonly string[];
    readonly height: number;
  }[];
}

function rowList(heading: string, transitions: readonly GraphTransition[]): RowListSize {
  const rows = transitions.map((t) => {
    const lines = transitionLines(t);
    return { key: t.key, lines, height: lines.length * LABEL_FONT.lineHeight };
  });
  const width = linesWidth([heading, ...rows.flatMap((r) => r.lines)], LABEL_FONT);
  const height = LABEL_FONT.lineHeight + rows.reduce((sum, r) => sum + ROW_GAP + r.height, 0);
  return { width, height, rows };
}

/** `entry / ...` and `exit / ...`, for the actions a state runs on entering and leaving. */
function entryLines(state: GraphState): string[] {
  return [
    ...(state.entry.length === 0 ? [] : [`entry / ${state.entry.join(', ')}`]),
    ...(state.exit.length === 0 ? [] : [`exit / ${state.exit.join(', ')}`]),
  ];
}

/** The height of a state's name and entry line: a leaf's content, a role's top padding. */
function headerHeight(state: GraphState): number {
  return TITLE_FONT.lineHeight + entryLines(state).length * LABEL_FONT.lineHeight;
}

function headerWidth(state: GraphState): number {
  return Math.max(textWidth(state.name, TITLE_FONT), linesWidth(entryLines(state), LABEL_FONT));
}

const initialId = (path: string) => `initial:${path}`;
const rowsId = (path: string) => `rows:${path}`;

function elkGraph(graph: ChartGraph): ElkNode {
  const byPath = new Map(graph.states.map((s) => [s.path, s]));
  const node = (state: GraphState): ElkNode => {
    const handled = state.handled.length > 0 ? rowList(HANDLED_HEADING, state.handled) : null;
    if (state.children.length === 0) {
      const below = handled === null ? 0 : ROW_GAP * 2 + handled.height;
      return {
        id: state.path,
        width: Math.max(headerWidth(state), handled?.width ?? 0) + 2 * DIAGRAM_PADDING,
        height: headerHeight(state) + below + 2 * DIAGRAM_PADDING,
      };
    }
    const children: ElkNode[] = [];
    if (state.initial !== null) children.push(initialNode(state.path));
    if (handled !== null)
      children.push({ id: rowsId(state.path), width: handled.width, height: handled.height });
    for (const child of state.children) children.push(node(byPath.get(child) as GraphState));
    const top = headerHeight(state) + DIAGRAM_PADDING + 4;
    return {
      id: state.path,
      layoutOptions: {
        ...SPACING,
        'elk.padding': `[top=${top},left=${DIAGRAM_PADDING},bottom=${DIAGRAM_PADDING},right=${DIAGRAM_PADDING}]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${headerWidth(state) + 2 * DIAGRAM_PADDING}, ${top + DIAGRAM_PADDING})`,
      },
      children,
    };
  };
  const roles = graph.states.filter((s) => s.parent === '');
  const children: ElkNode[] = [];
  if (graph.initial !== null) children.push(initialNode(''));
  children.push(...roles.map(node));
  if (graph.anyRole.length > 0) {
    const list = rowList(ANY_ROLE_HEADING, graph.anyRole);
    children.push({
      id: rowsId(''),
      width: list.width + 2 * DIAGRAM_PADDING,
      height: list.height + 2 * DIAGRAM_PADDING,
    });
  }
  return { id: 'root', layoutOptions: LAYOUT_OPTIONS, children, edges: elkEdges(graph) };
}

function initialNode(path: string): ElkNode {
  return { id: initialId(path), width: 2 * INITIAL_RADIUS, height: 2 * INITIAL_RADIUS };
}

function elkEdges(graph: ChartGraph): ElkExtendedEdge[] {
  const edges: ElkExtendedEdge[] = [];
  const initial = (of: string, target: string | null) => {
    if (target !== null)
      edges.push({ id: `initial:${of}->${target}`, sources: [initialId(of)], targets: [target] });
  };
  initial('', graph.initial);
  for (const state of graph.states) initial(state.path, state.initial);
  for (const transitions of arrowBundles(graph)) {
    const first = transitions[0] as GraphTransition;
    const id = `${first.kind}:${first.from}->${first.to}`;
    const labels: ElkLabel[] = transitions.map((t) => {
      const lines = transitionLines(t);
      return {
        id: `label:${t.key}`,
        text: t.key,
        width: linesWidth(lines, LABEL_FONT),
        height: lines.length * LABEL_FONT.lineHeight,
      };
    });
    edges.push({ id, sources: [first.from], targets: [first.to], labels });
  }
  return edges;
}

/* ---------------------------------------------------------------------------------------- */
/* Reading ELK's answer back, in absolute coordinates.                                        */

const round = (n: number) => Math.round(n * 10) / 10;

function readLayout(graph: ChartGraph, root: ElkNode): DiagramLayout {
  const origin = new Map<string, Point>(); // every node's top left, absolute
  const boxes = new Map<string, Box>();
  const visit = (node: ElkNode, parent: Point) => {
    const x = parent.x + (node.x ?? 0);
    const y = parent.y + (node.y ?? 0);
    origin.set(node.id, { x, y });
    boxes.set(node.id, {
      x: round(x),
      y: round(y),
      width: round(node.width ?? 0),
      height: round(node.height ?? 0),
    });
    for (const child of node.children ?? []) visit(child, { x, y });
  };
  visit(root, { x: 0, y: 0 });
  const box = (id: string): Box => {
    const found = boxes.get(id);
    if (found === undefined) throw new Error(`diagram layout: ELK did not place ${id}`);
    return found;
  };

  const states = graph.states.map((state): DiagramState => {
    const at = box(state.path);
    const compound = state.children.length > 0;
    const entry = entryLines(state);
    let handled: DiagramRowList | null = null;
    if (state.handled.length > 0) {
      const top = compound ? box(rowsId(state.path)) : leafRowsBox(state, at);
      handled = placeRows(HANDLED_HEADING, state.handled, top);
    }
    return { ...at, path: state.path, name: state.name, compound, entry, handled };
  });

  const keys = new Map(graph.transitions.map((t) => [`label:${t.key}`, t]));
  const edges = (root.edges ?? []).map((edge): DiagramEdge => {
    const container = origin.get((edge as { container?: string }).container ?? 'root') ?? { x: 0, y: 0 };
    const points = (edge.sections ?? []).flatMap((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]);
    const [kind, ends] = splitOnce(edge.id, ':');
    const [from, to] = splitOnce(ends, '->');
    return {
      id: edge.id,
      kind: kind as DiagramEdge['kind'],
      from,
      to,
      points: dedupe(points.map((p) => ({ x: round(container.x + p.x), y: round(container.y + p.y) }))),
      rows: (edge.labels ?? []).map((label, _, labels) => {
        const t = keys.get(label.id ?? '') as GraphTransition;
        return {
          key: t.key,
          lines: transitionLines(t),
          // ELK centres each label; one arrow's rows read better as a left-aligned list.
          x: round(container.x + Math.min(...labels.map((l) => l.x ?? 0))),
          y: round(container.y + (label.y ?? 0)),
          width: round(label.width ?? 0),
          height: round(label.height ?? 0),
        };
      }),
    };
  });

  const initials = [...boxes.entries()]
    .filter(([id]) => id.startsWith('initial:'))
    .map(([id, b]) => ({
      of: id.slice('initial:'.length),
      x: round(b.x + b.width / 2),
      y: round(b.y + b.height / 2),
      radius: INITIAL_RADIUS,
    }));

  let anyRole: DiagramAnyRole | null = null;
  if (graph.anyRole.length > 0) {
    const panel = box(rowsId(''));
    const inner = { x: panel.x + DIAGRAM_PADDING, y: panel.y + DIAGRAM_PADDING };
    anyRole = { ...panel, handled: placeRows(ANY_ROLE_HEADING, graph.anyRole, inner) };
  }

  return { width: round(root.width ?? 0), height: round(root.height ?? 0), states, edges, initials, anyRole };
}

/** A leaf's rows start under its name and entry line. */
function leafRowsBox(state: GraphState, at: Box): Point {
  return { x: at.x + DIAGRAM_PADDING, y: at.y + DIAGRAM_PADDING + headerHeight(state) + 2 * ROW_GAP };
}

function placeRows(heading: string, transitions: readonly GraphTransition[], at: Point): DiagramRowList {
  const list = rowList(heading, transitions);
  let y = at.y + LABEL_FONT.lineHeight;
  const rows = list.rows.map((row) => {
    y += ROW_GAP;
    const placed = {
      key: row.key,
      lines: row.lines,
      x: round(at.x),
      y: round(y),
      width: list.width,
      height: row.height,
    };
    y += row.height;
    return placed;
  });
  return { heading, rows, x: round(at.x), y: round(at.y), width: list.width, height: list.height };
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return [text.slice(0, at), text.slice(at + separator.length)];
}

/** Rounding can make neighbouring points equal; a zero-length segment would confuse the arrowhead. */
function dedupe(points: Point[]): Point[] {
  return points.filter((p, i) => i === 0 || p.x !== points[i - 1]?.x || p.y !== points[i - 1]?.y);
}
