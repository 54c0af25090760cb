/** docs/api.md's example, run as written against the built package: three real nodes. */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('docs/api.md', () => {
  it('its example elects a leader over WebSockets and applies proposals in order', () => {
    const doc = readFileSync('docs/api.md', 'utf8');
    const example = /```js\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toContain("from 'raftchart'");
    const file = 'dist/api-example.mjs';
    writeFileSync(file, example!);
    try {
      const output = execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
      expect(output.trim()).toBe('index 2: counter = 5; after the second: 7');
    } finally {
      rmSync(file, { force: true });
    }
  });
});
