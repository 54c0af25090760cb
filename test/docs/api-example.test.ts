/** docs/api.md's example, run as written against the built package: three real nodes. */
import { describe, expect, it } from 'vitest';
import { runDocExample } from './doc-example.js';

describe('docs/api.md', () => {
  it('its example elects a leader over WebSockets and applies proposals in order', () => {
    const { code, output } = runDocExample('docs/api.md', 'js');
    expect(code).toContain("from 'raftchart'");
    // Index 1 is the new leader's no-op entry.
    expect(output.trim()).toBe('index 2: counter = 5; after the second: 7');
  });
});
