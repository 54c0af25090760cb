/** The README's embedding example, run as a user would run it: against the built package. */
import { describe, expect, it } from 'vitest';
import { runDocExample } from './doc-example.js';

describe('README', () => {
  it('its SimCluster example runs and shows an election after the partition', () => {
    const { code, output } = runDocExample('README.md', 'ts');
    expect(code).toContain("from 'raftchart/sim'");
    const leaders = output.split('\n').filter((line) => line.includes(': leader in term'));
    expect(leaders.length).toBeGreaterThanOrEqual(2);
    expect(leaders.at(-1)).toMatch(/in term [2-9]/);
  });
});
