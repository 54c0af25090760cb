/** The chart outline, and docs/architecture.md kept equal to it. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { raftMachine } from '../../machines/index.js';
import { chartStates, chartTransitions, formatChartOutline } from '../../src/inspect/chart-outline.js';

describe('chart outline', () => {
  it('lists every state, parents before children, with each timer below its role', () => {
    const paths = chartStates(raftMachine).map((s) => s.path);
    expect(paths).toEqual([
      'follower',
      'follower.waiting',
      'follower.waiting.leased',
      'follower.waiting.lapsed',
      'preCandidate',
      'preCandidate.polling',
      'candidate',
      'candidate.campaigning',
      'leader',
      'leader.heartbeating',
    ]);
    // One line per guarded alternative: the election timer's three on follower.waiting.
    const timed = chartTransitions(raftMachine).filter((t) => t.trigger.startsWith('after '));
    expect(timed.map((t) => `${t.source} ${t.trigger}`)).toEqual([
      'follower.waiting after electionTimeout',
      'follower.waiting after electionTimeout',
      'follower.waiting after electionTimeout',
      'follower.waiting.leased after leaderLease',
      'preCandidate.polling after electionTimeout',
      'candidate.campaigning after electionTimeout',
      'candidate.campaigning after electionTimeout',
      'leader.heartbeating after heartbeatInterval',
      'leader.heartbeating after heartbeatInterval',
      'leader.heartbeating after heartbeatInterval',
    ]);
    // No timer on a role itself: leaving the role's child state cancels it.
    expect(timed.filter((t) => !t.source.includes('.'))).toEqual([]);
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
