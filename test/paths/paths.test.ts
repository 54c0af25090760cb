/**
 * Path-coverage tests generated from the statechart: every generated path is replayed on
 * the real machine and checked, step by step, against the reference model; then coverage
 * of the chart's states and transitions must be complete. `npm run test:paths` runs these.
 */
import { describe, expect, it } from 'vitest';
import { raftMachine } from '../../machines/index.js';
import { chartStates, chartTransitions, transitionKey } from '../../src/inspect/chart-outline.js';
import type { GeneratedPath } from './generate.js';
import { SETUPS, coveringPaths, edgePaths, shortestPaths } from './generate.js';
import { describePath, replay } from './replay.js';

const takenTransitions = new Set<string>();
const enteredStates = new Set<string>();
const shortest = SETUPS.flatMap((setup) => shortestPaths(setup));
const edges = SETUPS.flatMap((setup) => edgePaths(shortest, setup));
let covering: GeneratedPath[] = [];

/** Replays paths (each in its setup); fails with the first few that disagree with the model, each as a readable list. */
async function replayAll(paths: readonly GeneratedPath[]): Promise<void> {
  const failures: string[] = [];
  for (const path of paths) {
    const result = await replay(path.events, path.setup.features);
    for (const t of result.transitions) takenTransitions.add(t);
    for (const s of result.states) enteredStates.add(s);
    if (result.failure !== null && failures.length < 3) {
      failures.push(
        `${path.setup.name} ${path.kind} path, step ${result.failure.step}: ${result.failure.reason}\n` +
          describePath(path.events),
      );
    }
  }
  expect(failures, failures.join('\n\n')).toEqual([]);
}

/**
 * The replays are CPU-bound and deterministic; on a busy 2-core machine (load average 16)
 * the edges took 180 s of wall-clock time, past vitest's limit of 120 s here. The limit is
 * there to catch a hang, not to time the work.
 */
const REPLAY_TIMEOUT_MS = 900_000;

describe('paths generated from the statechart', () => {
  it(
    `the shortest path to each of ${shortest.length} states agrees with the reference model`,
    async () => {
      expect(shortest.length).toBeGreaterThan(100);
      await replayAll(shortest);
    },
    REPLAY_TIMEOUT_MS,
  );

  it(
    'a covering set of paths takes every transition, and agrees with the reference model',
    async () => {
      covering = await coveringPaths(shortest, new Set(takenTransitions));
      await replayAll(covering);
    },
    REPLAY_TIMEOUT_MS,
  );

  it(
    `a path through each of ${edges.length} edges of the bounded graph agrees with the reference model`,
    async () => {
      await replayAll(edges);
    },
    REPLAY_TIMEOUT_MS,
  );

  it('covers every state and every transition of the chart', () => {
    const states = chartStates(raftMachine).map((s) => s.path);
    const transitions = chartTransitions(raftMachine).map(transitionKey);
    const coveredStates = states.filter((s) => enteredStates.has(s));
    const coveredTransitions = transitions.filter((t) => takenTransitions.has(t));
    console.log(
      `states covered ${coveredStates.length}/${states.length}, transitions covered ` +
        `${coveredTransitions.length}/${transitions.length} ` +
        `(${shortest.length} shortest paths, ${covering.length} covering paths, ${edges.length} edge paths)`,
    );
    expect(
      states.filter((s) => !enteredStates.has(s)),
      'unreachable states',
    ).toEqual([]);
    expect(
      transitions.filter((t) => !takenTransitions.has(t)),
      'transitions never taken',
    ).toEqual([]);
  });
});
