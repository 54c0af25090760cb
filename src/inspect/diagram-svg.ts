/**
 * The laid-out chart as an SVG string, built as text (no DOM), so the same code writes
 * docs/statechart.svg in Node and draws the chart in the page. Every state's element carries
 * `data-state`, every transition's `data-transition` (its key), so the page can light the
 * states nodes are in and mark the transition just taken by adding classes. The embedded style
 * is scoped to the diagram's root class: inlined in a page, it styles nothing else.
 * Browser-safe.
 */
import type { AnyStateMachine } from 'xstate';
import { chartGraph } from './chart-graph.js';
import {
  layoutDiagram,
  type DiagramEdge,
  type DiagramLayout,
  type DiagramRow,
  type DiagramRowList,
  type DiagramState,
  type Point,
  DIAGRAM_PADDING,
  HANDLED_HEADING,
} from './diagram-layout.js';
import { LABEL_FONT, TITLE_FONT, type DiagramFont } from './diagram-text.js';

/** The class on the `<svg>` element; the style applies under it only. */
export const DIAGRAM_CLASS = 'raftchart-diagram';
/** Classes the page adds: `lit` on a `.state` (a node is in it), `taken` on a `.transition`. */
export const LIT_CLASS = 'lit';
export const TAKEN_CLASS = 'taken';

const ARROW_ID = 'raftchart-diagram-arrow';
const LOOP_ARROW_ID = 'raftchart-diagram-arrow-loop';
const TAKEN_ARROW_ID = 'raftchart-diagram-arrow-taken';
const EDGE_COLOUR = '#424a53';
const LOOP_COLOUR = '#8250df';
const TAKEN_COLOUR = '#d1242f';
const LEGEND_HEIGHT = 84;
const TITLE = 'Raft role statechart: generated from raftMachine (npm run diagram)';

const STYLE = `
.${DIAGRAM_CLASS} { background: #ffffff; }
.${DIAGRAM_CLASS} .background { fill: #ffffff; }
.${DIAGRAM_CLASS} text { fill: #1f2328; font-family: ${LABEL_FONT.family}; font-size: ${LABEL_FONT.size}px; }
.${DIAGRAM_CLASS} .state-name { font-family: ${TITLE_FONT.family}; font-size: ${TITLE_FONT.size}px; font-weight: ${TITLE_FONT.weight}; }
.${DIAGRAM_CLASS} .state-box { fill: #f6f8fa; stroke: #57606a; stroke-width: 1.5; }
.${DIAGRAM_CLASS} .state.compound > .state-box { fill: #eef4fb; stroke: #0969da; stroke-width: 2; }
.${DIAGRAM_CLASS} .state.leaf > .state-box { fill: #ffffff; }
.${DIAGRAM_CLASS} .state.lit > .state-box { fill: var(--lit-fill, #fff4d6); stroke: var(--lit, #bf8700); stroke-width: 3.5; }
.${DIAGRAM_CLASS} .entry, .${DIAGRAM_CLASS} .heading { fill: #57606a; font-style: italic; }
.${DIAGRAM_CLASS} .rows-box { fill: #ffffff; stroke: #8c959f; stroke-dasharray: 4 3; }
.${DIAGRAM_CLASS} .edge-line { fill: none; stroke: ${EDGE_COLOUR}; stroke-width: 1.5; }
.${DIAGRAM_CLASS} .edge.loop > .edge-line, .${DIAGRAM_CLASS} .legend-sample.loop > .edge-line { stroke: ${LOOP_COLOUR}; }
.${DIAGRAM_CLASS} .row-sample { fill: #ffffff; stroke: #d0d7de; }
.${DIAGRAM_CLASS} .edge.loop .transition text { fill: #6639ba; }
.${DIAGRAM_CLASS} .initial { fill: #1f2328; }
.${DIAGRAM_CLASS} .row-bg { fill: #ffffff; fill-opacity: 0.85; }
.${DIAGRAM_CLASS} .state .handled .row-bg { stroke: #d0d7de; stroke-width: 0.5; }
.${DIAGRAM_CLASS} .transition.${TAKEN_CLASS} > .row-bg { fill: var(--taken-fill, #ffd8b5); fill-opacity: 1; }
.${DIAGRAM_CLASS} .transition.${TAKEN_CLASS} text { font-weight: 700; }
.${DIAGRAM_CLASS} .edge.${TAKEN_CLASS} > .edge-line,
.${DIAGRAM_CLASS} .edge:has(.transition.${TAKEN_CLASS}) > .edge-line { stroke: ${TAKEN_COLOUR}; stroke-width: 3; marker-end: url(#${TAKEN_ARROW_ID}); }
.${DIAGRAM_CLASS} .legend .title { font-family: ${TITLE_FONT.family}; font-size: 13px; font-weight: 700; }
`;

/** The diagram of a laid-out chart, as a standalone SVG document. */
export function renderDiagramSvg(layout: DiagramLayout): string {
  const width = Math.ceil(Math.max(layout.width, 760));
  const height = Math.ceil(layout.height + LEGEND_HEIGHT);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="${DIAGRAM_CLASS}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<style>${STYLE}</style>`,
    '<defs>',
    marker(ARROW_ID, EDGE_COLOUR),
    marker(LOOP_ARROW_ID, LOOP_COLOUR),
    marker(TAKEN_ARROW_ID, TAKEN_COLOUR),
    '</defs>',
    `<rect class="background" x="0" y="0" width="${width}" height="${height}"/>`,
    '<g class="states">',
    ...layout.states.map(stateSvg),
    '</g>',
  ];
  if (layout.anyRole !== null) {
    out.push('<g class="any-role">', `<rect class="rows-box" ${boxAttributes(layout.anyRole)} rx="6"/>`);
    out.push(rowListSvg(layout.anyRole.handled), '</g>');
  }
  out.push('<g class="edges">', ...layout.edges.map(edgeSvg), '</g>');
  out.push('<g class="initials">');
  for (const dot of layout.initials)
    out.push(
      `<circle class="initial" data-initial="${escape(dot.of)}" cx="${dot.x}" cy="${dot.y}" r="${dot.radius}"/>`,
    );
  out.push('</g>', legendSvg(layout.height), '</svg>');
  return `${out.join('\n')}\n`;
}

/** Lays out and renders the chart of `machine`: what `raftchart diagram` writes and the page shows. */
export async function statechartSvg(machine: AnyStateMachine): Promise<string> {
  return renderDiagramSvg(await layoutDiagram(chartGraph(machine)));
}

function marker(id: string, colour: string): string {
  return (
    `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">` +
    `<path d="M0,0 L10,5 L0,10 z" fill="${colour}"/></marker>`
  );
}

function stateSvg(state: DiagramState): string {
  const kind = state.compound ? 'compound' : 'leaf';
  const out = [
    `<g class="state ${kind}" data-state="${escape(state.path)}">`,
    `<rect class="state-box" ${boxAttributes(state)} rx="${state.compound ? 12 : 8}"/>`,
  ];
  const left = state.x + DIAGRAM_PADDING;
  let top = state.y + DIAGRAM_PADDING;
  out.push(textLine('state-name', state.name, left, top, TITLE_FONT));
  top += TITLE_FONT.lineHeight;
  for (const line of state.entry) {
    out.push(textLine('entry', line, left, top, LABEL_FONT));
    top += LABEL_FONT.lineHeight;
  }
  if (state.handled !== null) out.push(rowListSvg(state.handled));
  // An anchor at the box's top right for the page's per-node markers.
  out.push(
    `<g class="badges" transform="translate(${state.x + state.width - DIAGRAM_PADDING} ${state.y + DIAGRAM_PADDING})"/>`,
  );
  out.push('</g>');
  return out.join('\n');
}

function rowListSvg(list: DiagramRowList): string {
  const out = ['<g class="handled">', textLine('heading', list.heading, list.x, list.y, LABEL_FONT)];
  for (const row of list.rows) out.push(rowSvg(row, 'handled'));
  out.push('</g>');
  return out.join('\n');
}

function rowSvg(row: DiagramRow, kind: string): string {
  const out = [
    `<g class="transition ${kind}" data-transition="${escape(row.key)}">`,
    `<title>${escape(row.key)}</title>`,
    `<rect class="row-bg" x="${row.x - 2}" y="${row.y}" width="${row.width + 4}" height="${row.height}" rx="3"/>`,
  ];
  row.lines.forEach((line, i) =>
    out.push(textLine('', line, row.x, row.y + i * LABEL_FONT.lineHeight, LABEL_FONT)),
  );
  out.push('</g>');
  return out.join('\n');
}

function edgeSvg(edge: DiagramEdge): string {
  const cls = edge.kind === 'initial' ? 'edge initial-edge' : `edge ${edge.kind}`;
  const out = [
    `<g class="${cls}" data-from="${escape(edge.from)}" data-to="${escape(edge.to)}">`,
    `<path class="edge-line" d="${pathData(edge.points)}" marker-end="url(#${edge.kind === 'loop' ? LOOP_ARROW_ID : ARROW_ID})"/>`,
    ...edge.rows.map((row) => rowSvg(row, edge.kind)),
    '</g>',
  ];
  return out.join('\n');
}

/** What the three kinds of transition look like, under the chart. */
function legendSvg(top: number): string {
  const y = top + 12;
  const x = 16;
  const items: [kind: 'arrow' | 'loop' | 'rows', text: string][] = [
    ['arrow', 'arrow: leaves the state (one label row per transition: event [guard] / actions)'],
    ['loop', 'loop: exits and re-enters the state, so its timer restarts'],
    [
      'rows',
      `rows under "${HANDLED_HEADING}" are targetless: the state is not left, its timers keep running`,
    ],
  ];
  const out = [
    '<g class="legend">',
    textLine('title', TITLE, x, y, { ...TITLE_FONT, size: 13, lineHeight: 18 }),
  ];
  items.forEach(([kind, text], i) => {
    const cy = y + 26 + i * 16;
    if (kind === 'rows')
      out.push(`<rect class="row-sample" x="${x}" y="${cy - 6}" width="28" height="12" rx="2"/>`);
    else {
      const arrow = kind === 'loop' ? LOOP_ARROW_ID : ARROW_ID;
      out.push(
        `<g class="legend-sample ${kind}"><path class="edge-line" d="M${x},${cy} L${x + 28},${cy}" marker-end="url(#${arrow})"/></g>`,
      );
    }
    out.push(textLine('', text, x + 38, cy - 8, LABEL_FONT));
  });
  out.push('</g>');
  return out.join('\n');
}

/** One line of text whose line box starts at (x, top); leading spaces become an indent. */
function textLine(cls: string, line: string, x: number, top: number, font: DiagramFont): string {
  const text = line.trimStart();
  const indent = (line.length - text.length) * font.size * font.advance;
  const baseline = top + (font.lineHeight + font.size * 0.7) / 2;
  const attr = cls === '' ? '' : ` class="${cls}"`;
  return `<text${attr} x="${fmt(x + indent)}" y="${fmt(baseline)}">${escape(text)}</text>`;
}

function pathData(points: readonly Point[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${fmt(p.x)},${fmt(p.y)}`).join(' ');
}

function boxAttributes(box: { x: number; y: number; width: number; height: number }): string {
  return `x="${fmt(box.x)}" y="${fmt(box.y)}" width="${fmt(box.width)}" height="${fmt(box.height)}"`;
}

const fmt = (n: number) => String(Math.round(n * 10) / 10);

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
