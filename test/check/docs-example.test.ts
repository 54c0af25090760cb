/** docs/linearizability.md's example, run as written against the build (`raftchart` is this package). */
import { describe, expect, it } from 'vitest';
import { runDocExample } from '../docs/doc-example.js';

describe('docs/linearizability.md', () => {
  it('its example checks ok, then illegal in the key of the stale read', () => {
    const { code, output } = runDocExample('docs/linearizability.md', 'js');
    expect(code).toContain("from 'raftchart'");
    expect(output).toBe('ok\nillegal greeting\n');
  });
});
