/**
 * The role statechart as a graph to draw, built on the chart outline: states nested in their
 * roles, and each transition sorted by how it is drawn. Every transition keeps its outline
 * line as its key, so a drawing can mark the transition a node just took. Browser-safe.
 */
import type { AnyStateMachine } from 'xstate';
import {
  chartInitial,
  chartStates,
  chartTransitions,
  transitionKey,
  type ChartTransition,
} from './chart-outline.js';

/**
 * How a transition is drawn:
 * - `handled`: targetless, handled in place (the state is not left, its timers keep running):
 *   a row in its state's box, never a loop;
 * - `loop`: the target is the source or inside it, so the target is exited and entered again
 *   (its timer restarts): a loop on the target;
 * - `move`: the source is left for another state: an arrow.
 */
export type GraphTransitionKind = 'handled' | 'loop' | 'move';

export interface GraphTransition extends ChartTransition {
  /** Its chart outline line (`transitionKey`): unique, and the same for the transition taken. */
  readonly key: string;
  readonly kind: GraphTransitionKind;
  /** Where it is drawn from: its source, or for a loop the state it re-enters. */
  readonly from: string;
  /** Where it is drawn to: its target, or for `handled` its source. */
  readonly to: string;
}

export interface GraphState {
  /** Without the machine id, e.g. `follower.waiting`. */
  readonly path: string;
  /** The last part of the path, e.g. `waiting`. */
  readonly name: string;
  /** The enclosing state's path; '' for a role, a child of the machine's root. */
  readonly parent: string;
  /** Paths of its children; empty for a leaf. */
  readonly children: readonly string[];
  /** The child it starts in; null for a leaf. */
  readonly initial: string | null;
  readonly entry: readonly string[];
  readonly exit: readonly string[];
  /** Its targetless transitions, in the order they are tried. */
  readonly handled: readonly GraphTransition[];
}

export interface ChartGraph {
  /** The role the machine starts in. */
  readonly initial: string | null;
  /** Every state, parents before children. */
  readonly states: readonly GraphState[];
  /** Targetless transitions of the machine's root: handled the same way in every role. */
  readonly anyRole: readonly GraphTransition[];
  /** Every transition of the chart outline, in its order. */
  readonly transitions: readonly GraphTransition[];
}

/** The chart of `machine` as a graph: what the diagram and its Mermaid text are drawn from. */
export function chartGraph(machine: AnyStateMachine): ChartGraph {
  const transitions = chartTransitions(machine).map(toGraphTransition);
  const states = chartStates(machine);
  const handledBy = (path: string) => transitions.filter((t) => t.kind === 'handled' && t.source === path);
  return {
    initial: chartInitial(machine),
    states: states.map((state) => ({
      path: state.path,
      name: state.path.slice(state.path.lastIndexOf('.') + 1),
      parent: parentOf(state.path),
      children: states.filter((s) => parentOf(s.path) === state.path).map((s) => s.path),
      initial: state.initial,
      entry: state.entry,
      exit: state.exit,
      handled: handledBy(state.path),
    })),
    anyRole: handledBy(''),
    transitions,
  };
}

/**
 * The transitions drawn as arrows (all but the handled ones), grouped by the arrow they share:
 * those of one kind between the same two states, in outline order.
 */
export function arrowBundles(graph: ChartGraph): GraphTransition[][] {
  const bundles = new Map<string, GraphTransition[]>();
  for (const t of graph.transitions) {
    if (t.kind === 'handled') continue;
    const id = `${t.kind}:${t.from}->${t.to}`;
    bundles.set(id, [...(bundles.get(id) ?? []), t]);
  }
  return [...bundles.values()];
}

/** `event [guard]`, e.g. `AppendEntriesReply [isAppendAccepted]` or `after electionTimeout`. */
export function triggerLabel(t: ChartTransition): string {
  return t.guard === null ? t.trigger : `${t.trigger} [${t.guard}]`;
}

/** `event [guard] / actions`: how the diagram labels a transition (its source and target are drawn). */
export function transitionLabel(t: ChartTransition): string {
  return t.actions.length === 0 ? triggerLabel(t) : `${triggerLabel(t)} / ${t.actions.join(', ')}`;
}

function toGraphTransition(t: ChartTransition): GraphTransition {
  const key = transitionKey(t);
  if (t.target === null) return { ...t, key, kind: 'handled', from: t.source, to: t.source };
  if (isWithin(t.target, t.source)) return { ...t, key, kind: 'loop', from: t.target, to: t.target };
  return { ...t, key, kind: 'move', from: t.source, to: t.target };
}

/** Whether `path` is `ancestor` or inside it ('' is the root, which holds every state). */
function isWithin(path: string, ancestor: string): boolean {
  return ancestor === '' || path === ancestor || path.startsWith(`${ancestor}.`);
}

function parentOf(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot < 0 ? '' : path.slice(0, dot);
}
