/** The chart outline, and docs/architecture.md kept equal to it. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { raftMachine } from '../../machines/index.js';
import { chartStates, chartTransitions, formatChartOutline } from '../../src/inspect/chart-outline.js';

describe('chart outline', () => {
  it('lists every state with its timer on a leaf', () => {
    const paths = chartStates(raftMachine).map((s) => s.path);
    expect(paths).toEqual([
      'follower',
      'follower.waiting',
      'candidate',
      'candidate.campaigning',
      'leader',
      'leader.heartbeating',
    ]);
    const timed = chartTransitions(raftMachine).filter((t) => t.trigger.startsWith('after '));
    expect(timed.map((t) => `${t.source} ${t.trigger}`)).toEqual([
      'follower.waiting after electionTimeout',
      'candidate.campaigning after electionTimeout',
      'leader.heartbeating after heartbeatInterval',
    ]);
  });

  it('counts each guarded alternative separately', () => {
    const requestVote = chartTransitions(raftMachine).filter(
      (t) => t.source === 'follower' && t.trigger === 'RequestVote',
    );
    expect(requestVote.map((t) => t.guard)).toEqual(['canGrantVote', null]);
    expect(requestVote.map((t) => t.target)).toEqual(['follower.waiting', null]);
  });

  it('is what docs/architecture.md shows', () => {
    const doc = readFileSync('docs/architecture.md', 'utf8');
    const block = /<!-- chart-outline:start -->\s*```\n([\s\S]*?)\n```\s*<!-- chart-outline:end -->/.exec(
      doc,
    )?.[1];
    expect(block, 'docs/architecture.md: regenerate the outline with formatChartOutline').toBe(
      formatChartOutline(raftMachine),
    );
  });
});
