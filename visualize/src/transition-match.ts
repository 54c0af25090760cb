/**
 * Which of the chart's transitions a step took, from what the feed says of it: the event,
 * the leaf before and the leaf after. The feed names the transition when it knows it; when
 * it does not, this finds every transition that fits (guards are not seen, so two guarded
 * alternatives to the same place both fit; a state re-entered sets its timer anew, one
 * handled in place does not). Transitions are given as the diagram's keys,
 * the chart-outline lines: `source: trigger [guard] -> target (re-entered) / actions`. Pure.
 */
import type { StepView } from './view-state.js';

export interface OutlineTransition {
  readonly key: string;
  /** '' for the machine root (`(any role)`). */
  readonly source: string;
  readonly trigger: string;
  readonly target: string | null;
}

const LINE = /^(.*?): (.+?)(?: \[[^\]]*\])? (?:-> (\S+)(?: \(re-entered\))?|\(targetless\))(?: \/ .*)?$/;

export function parseOutlineLine(key: string): OutlineTransition | null {
  const match = LINE.exec(key.trim());
  if (match === null) return null;
  const [, source = '', trigger = '', target] = match;
  return { key, source: source === '(any role)' ? '' : source, trigger, target: target ?? null };
}

/** `xstate.after.electionTimeout.raft.follower.waiting` is the chart's `after electionTimeout`. */
export function triggerOf(event: string): string | null {
  if (event === 'xstate.init') return null;
  if (event.startsWith('xstate.after.')) return `after ${event.slice('xstate.after.'.length).split('.')[0]}`;
  return event;
}

/** The keys of the transitions `step` took, or could have taken. */
export function takenTransitions(step: StepView, chart: readonly OutlineTransition[]): string[] {
  if (step.transitions.length > 0) return [...step.transitions];
  const trigger = triggerOf(step.event);
  if (trigger === null || step.from === null) return [];
  const { from, to } = step;
  const handles = (t: OutlineTransition, state: string) => t.trigger === trigger && within(state, t.source);
  const direct = chart.filter((t) => handles(t, from) && reaches(t, from, to));
  if (direct.length > 0) {
    // Staying in a state: re-entered (its timer set anew) or handled in place (timer untouched).
    const targeted = direct.filter((t) => t.target !== null);
    const inPlace = direct.filter((t) => t.target === null);
    const fits =
      from !== to || targeted.length === 0 || inPlace.length === 0
        ? direct
        : step.timerSet
          ? targeted
          : inPlace;
    return fits.map((t) => t.key);
  }
  // Handled in place, then an `always` moved on (a vote that makes a quorum, then leader).
  const inPlace = chart.filter((t) => handles(t, from) && t.target === null);
  const moved = chart.filter(
    (t) => t.trigger === 'always' && within(from, t.source) && t.target !== null && within(to, t.target),
  );
  return moved.length > 0 ? [...inPlace, ...moved].map((t) => t.key) : [];
}

/** Whether taking `t` from `from` can leave the chart in `to`. */
function reaches(t: OutlineTransition, from: string, to: string): boolean {
  if (t.target === null) return from === to;
  return within(to, t.target);
}

/** `state` is `ancestor` or inside it ('' holds everything). */
function within(state: string, ancestor: string): boolean {
  return ancestor === '' || state === ancestor || state.startsWith(`${ancestor}.`);
}
