/**
 * The page's simulation runs where a browser does: the built `raftchart/sim` entry, in a
 * Node process with Node's built-ins refused and its own globals (process, setImmediate...)
 * hidden, paces a cluster on the platform's timers until a leader is elected.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { BROWSER_PACKAGES, ROOT } from '../package/import-graph.js';

const PROGRAM = `
const done = globalThis[Symbol.for('block-node.done')];
const { createSimSource } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/src/sim/index.js')).href)});
const source = createSimSource({ seed: 3, nodes: 3, speed: 20 });
const giveUp = setTimeout(() => { console.log('no leader'); done(); }, 60_000);
const unsubscribe = source.subscribe((event) => {
  if (event.type !== 'step' || event.summary.role !== 'leader') return;
  unsubscribe();
  clearTimeout(giveUp);
  console.log('leader ' + event.node + ' in term ' + event.summary.term + ' (' + source.label + ')');
  void source.close().then(done);
});
`;

it('runs in real time with no Node built-in and no Node global', () => {
  const result = spawnSync(
    process.execPath,
    [
      '--conditions=browser',
      '--import',
      join(ROOT, 'test/package/fixtures/block-node.mjs'),
      '--input-type=module',
      '--eval',
      PROGRAM,
    ],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 90_000,
      env: { ...process.env, RAFTCHART_BROWSER_PACKAGES: JSON.stringify(BROWSER_PACKAGES) },
    },
  );
  expect(`${result.stdout}${result.stderr}`).toMatch(/^leader \d in term \d+ \(seed 3\)\n$/);
  expect(result.status).toBe(0);
});
