/** The README's examples and sample output, checked as a user would see them. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDocExample } from './doc-example.js';

describe('README', () => {
  it('its SimCluster example runs the application on the cluster, across an election after the partition', () => {
    const { code, output } = runDocExample('README.md', 'js');
    expect(code).toContain("from 'raftchart/sim'");
    const lines = output.split('\n');
    const leaders = lines.filter((line) => line.includes(': leader in term'));
    expect(leaders.length).toBeGreaterThanOrEqual(2);
    expect(leaders.at(-1)).toMatch(/in term [2-9]/);
    expect(lines).toContain('applied: counter = 5');
    expect(lines).toContain('after the partition: counter = 7');
  });

  it("its sample of npm start's output is what `raftchart sim --seed 7` prints", () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(JSON.parse(readFileSync('package.json', 'utf8')).scripts.start).toMatch(/ sim --seed 7$/);
    const sample = /It\nprints each role change[\s\S]*?```\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(sample, 'the README shows a sample of the sim').toBeDefined();
    const [header, ...events] = sample!.trimEnd().split('\n');
    expect(header).toBe('raftchart: simulated 5-node cluster, seed 7 (replay: --seed 7); Ctrl-C to stop');
    const printed = execFileSync(
      process.execPath,
      ['dist/src/cli/main.js', 'sim', '--seed', '7', '--speed', '0', '--duration', '20'],
      { encoding: 'utf8', timeout: 60_000 },
    ).split('\n');
    expect(printed[0]).toBe('raftchart: simulated 5-node cluster, seed 7 (replay: --seed 7)');
    expect(printed.slice(1, 1 + events.length)).toEqual(events);
  });
});
