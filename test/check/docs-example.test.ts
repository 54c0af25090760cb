/**
 * docs/linearizability.md's example, run as written against the build. The package entry
 * point exports the checker once src/index.ts re-exports src/check/; until then the
 * example's `raftchart` import is pointed at the built check module.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('docs/linearizability.md', () => {
  it('its example checks ok, then illegal in the key of the stale read', () => {
    const code = /```js\n([\s\S]*?)```/.exec(readFileSync('docs/linearizability.md', 'utf8'))?.[1];
    expect(code).toContain("from 'raftchart'");
    const file = 'dist/doc-example-linearizability.mjs';
    writeFileSync(file, code!.replace("from 'raftchart'", "from './src/check/index.js'"));
    try {
      const output = execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
      expect(output).toBe('ok\nillegal greeting\n');
    } finally {
      rmSync(file, { force: true });
    }
  });
});
