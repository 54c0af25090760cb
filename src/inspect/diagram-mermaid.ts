/**
 * The chart graph as Mermaid `stateDiagram-v2` text, for places that render Mermaid (GitHub,
 * editors) rather than show an image. Composite states hold their leaves; every transition is
 * a labelled arrow, a loop for one that re-enters its state, and the targetless ones, which
 * Mermaid cannot draw as anything but loops, are listed in a note on their state instead,
 * each marked "(handled, no exit)". Browser-safe.
 */
import {
  arrowBundles,
  transitionLabel,
  type ChartGraph,
  type GraphState,
  type GraphTransition,
} from './chart-graph.js';

const HANDLED = '(handled, no exit)';

/** `stateDiagram-v2` text for `graph`, one statement a line. */
export function chartMermaid(graph: ChartGraph): string {
  const lines = [
    'stateDiagram-v2',
    '  %% Generated from raftMachine by `npm run diagram` (src/inspect/diagram-mermaid.ts): do not edit.',
  ];
  const byPath = new Map(graph.states.map((s) => [s.path, s]));
  const arrows = arrowBundles(graph);
  // A transition is written in the innermost composite holding both its ends: Mermaid draws
  // an arrow inside a composite only if it is written there.
  const scopeOf = (t: GraphTransition) => commonParent(t.from, t.to);

  const writeScope = (parent: string, indent: string) => {
    const children = graph.states.filter((s) => s.parent === parent);
    const initial = parent === '' ? graph.initial : (byPath.get(parent)?.initial ?? null);
    if (initial !== null) lines.push(`${indent}[*] --> ${mermaidId(initial)}`);
    for (const state of children) writeState(state, indent);
    for (const bundle of arrows) {
      const first = bundle[0] as GraphTransition;
      if (scopeOf(first) !== parent) continue;
      const labels = bundle.map((t) => text(label(t))).join('<br/>');
      lines.push(`${indent}${mermaidId(first.from)} --> ${mermaidId(first.to)} : ${labels}`);
    }
  };

  const writeState = (state: GraphState, indent: string) => {
    const id = mermaidId(state.path);
    if (state.children.length > 0) {
      lines.push(`${indent}state "${text(state.name)}" as ${id} {`);
      writeScope(state.path, `${indent}  `);
      lines.push(`${indent}}`);
    } else lines.push(`${indent}state "${text(state.name)}" as ${id}`);
    if (state.entry.length > 0) lines.push(`${indent}${id} : entry / ${text(state.entry.join(', '))}`);
    if (state.exit.length > 0) lines.push(`${indent}${id} : exit / ${text(state.exit.join(', '))}`);
    if (state.handled.length > 0) {
      lines.push(`${indent}note right of ${id}`);
      for (const t of state.handled) lines.push(`${indent}  ${text(handledLabel(t))}`);
      lines.push(`${indent}end note`);
    }
  };

  writeScope('', '  ');
  if (graph.anyRole.length > 0) {
    // The root's own transitions belong to no state Mermaid can hold a note: a box of their own.
    lines.push('  state "in every role" as any_role');
    for (const t of graph.anyRole) lines.push(`  any_role : ${text(handledLabel(t))}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A state path as a Mermaid id: letters, digits and `_` only (`follower.waiting` -> `follower_waiting`). */
export function mermaidId(path: string): string {
  return path.replace(/[^A-Za-z0-9_]/g, '_');
}

function label(t: GraphTransition): string {
  return `${transitionLabel(t)}${t.reenter ? ' (re-entered)' : ''}`;
}

function handledLabel(t: GraphTransition): string {
  return `${label(t)} ${HANDLED}`;
}

/**
 * Text as Mermaid reads it: `:` would start a label, `;` end a statement, `#` an entity,
 * and `<`, `>`, `"`, `{`, `}` confuse its grammar or its HTML labels; each becomes an
 * entity code, which Mermaid shows as the character.
 */
function text(value: string): string {
  return value.replace(/[:;#<>"{}]/g, (c) => `#${c.charCodeAt(0)};`);
}

/** The innermost state holding both paths ('' for the root). */
function commonParent(a: string, b: string): string {
  const pa = a.split('.');
  const pb = b.split('.');
  const common: string[] = [];
  for (let i = 0; i < Math.min(pa.length, pb.length) - 1 && pa[i] === pb[i]; i++)
    common.push(pa[i] as string);
  // A loop's ends are one state: it is written beside that state, in its parent.
  return common.join('.');
}
