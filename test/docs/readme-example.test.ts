/** The README's embedding example, run as a user would run it: against the built package. */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('README', () => {
  it('its SimCluster example runs and shows an election after the partition', () => {
    const readme = readFileSync('README.md', 'utf8');
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain("from 'raftchart'");
    // Written inside the package, so `raftchart` resolves to this package's own build.
    const file = 'dist/readme-example.mjs';
    writeFileSync(file, example!);
    try {
      const output = execFileSync(process.execPath, [file], { encoding: 'utf8' });
      const leaders = output.split('\n').filter((line) => line.includes(': leader in term'));
      expect(leaders.length).toBeGreaterThanOrEqual(2);
      expect(leaders.at(-1)).toMatch(/in term [2-9]/);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
