/**
 * The role statechart as a plain list of states and transitions, read off the machine
 * definition itself: for the docs (a test keeps docs/architecture.md equal to it), the
 * visualizer's diagram, and coverage counts.
 */
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';

export interface ChartTransition {
  /** State path without the machine id, e.g. `follower.waiting`. */
  readonly source: string;
  /** An event type, `after <delay>` or `always`. */
  readonly trigger: string;
  readonly guard: string | null;
  /** null for a targetless transition (the state is not left, its timers keep running). */
  readonly target: string | null;
  readonly reenter: boolean;
  readonly actions: readonly string[];
}

export interface ChartState {
  readonly path: string;
  readonly entry: readonly string[];
  /** Run whenever the state is left, whatever the transition. */
  readonly exit: readonly string[];
  /** The path of the child it starts in; null for a leaf. */
  readonly initial: string | null;
}

/** Every state node but the root, parents before children. */
export function chartStates(machine: AnyStateMachine): ChartState[] {
  return descendants(machine.root).map((node) => ({
    path: pathOf(node),
    entry: actionNames(node.entry),
    exit: actionNames(node.exit),
    initial: initialOf(node),
  }));
}

/** The path of the state the machine starts in (a child of the root). */
export function chartInitial(machine: AnyStateMachine): string | null {
  return initialOf(machine.root);
}

/** Every transition as defined: each guarded alternative, each `after` and `always`, separately. */
export function chartTransitions(machine: AnyStateMachine): ChartTransition[] {
  const result: ChartTransition[] = [];
  for (const node of [machine.root, ...descendants(machine.root)]) {
    for (const [eventType, definitions] of node.transitions) {
      if (eventType.startsWith('xstate.after.')) continue; // listed below, by delay name
      for (const t of definitions) result.push(describe(node, eventType, t));
    }
    for (const t of node.after) result.push(describe(node, `after ${String(t.delay)}`, t));
    for (const t of node.always ?? []) result.push(describe(node, 'always', t));
  }
  return result;
}

/** A readable outline: states with their entry and exit actions, then one line per transition. */
export function formatChartOutline(machine: AnyStateMachine): string {
  const lines = ['states:'];
  for (const state of chartStates(machine)) {
    const entry = state.entry.length > 0 ? `  entry: ${state.entry.join(', ')}` : '';
    const exit = state.exit.length > 0 ? `  exit: ${state.exit.join(', ')}` : '';
    lines.push(`  ${state.path}${entry}${exit}`);
  }
  lines.push('transitions:');
  for (const t of chartTransitions(machine)) lines.push(`  ${transitionKey(t)}`);
  return lines.join('\n');
}

/** A transition as XState took it at run time (from the `@xstate.microstep` inspection). */
export function describeTakenTransition(t: AnyTransitionDefinition): ChartTransition {
  const trigger = t.eventType.startsWith('xstate.after.')
    ? `after ${t.eventType.slice('xstate.after.'.length).split('.')[0]}`
    : t.eventType === ''
      ? 'always'
      : t.eventType;
  return describe(t.source, trigger, t);
}

/**
 * One key per transition as defined, equal for the definition and for the transition taken:
 * its line of the outline, e.g. `leader.heartbeating: after heartbeatInterval -> leader.heartbeating
 * (re-entered)`. The diagram tags each transition's element with it.
 */
export function transitionKey(t: ChartTransition): string {
  const guard = t.guard === null ? '' : ` [${t.guard}]`;
  const target = t.target === null ? '(targetless)' : `-> ${t.target}`;
  const reenter = t.reenter ? ' (re-entered)' : '';
  const actions = t.actions.length > 0 ? ` / ${t.actions.join(', ')}` : '';
  return `${t.source || '(any role)'}: ${t.trigger}${guard} ${target}${reenter}${actions}`;
}

function describe(node: AnyStateNode, trigger: string, t: TransitionLike): ChartTransition {
  const target = t.target?.[0];
  return {
    source: pathOf(node),
    trigger,
    guard: guardName(t.guard),
    target: target === undefined ? null : pathOf(target),
    reenter: t.reenter === true,
    actions: actionNames(t.actions),
  };
}

interface TransitionLike {
  readonly target?: readonly AnyStateNode[] | undefined;
  readonly guard?: unknown;
  readonly reenter?: boolean;
  readonly actions: readonly unknown[];
}

function descendants(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states).flatMap((child) => [child, ...descendants(child)]);
}

function initialOf(node: AnyStateNode): string | null {
  const initial = node.initial?.target[0];
  return initial === undefined ? null : pathOf(initial);
}

function pathOf(node: AnyStateNode): string {
  return node.path.join('.');
}

function guardName(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && 'type' in guard) return String(guard.type);
  return '(inline guard)';
}

/** Named actions, without XState's own bookkeeping (the raise that schedules an `after`). */
function actionNames(actions: readonly unknown[]): string[] {
  return actions
    .map((action) => {
      if (typeof action === 'string') return action;
      if (typeof action === 'object' && action !== null && 'type' in action) return String(action.type);
      if (typeof action === 'function' && 'type' in action) return String(action.type);
      return '(inline action)';
    })
    .filter((name) => !name.startsWith('xstate.'));
}
