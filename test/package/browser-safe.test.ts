/**
 * raftchart/machines and raftchart/sim must load in a browser: no Node built-in and no
 * Node-only package anywhere in their import graphs, and no Node type in their declarations.
 * Checked twice: statically over the built files, and by running each entry (and its
 * consumer program) in a Node process that refuses built-ins and hides Node's globals.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { MACHINES_CONSUMER, SIM_CONSUMER } from './consumers.js';
import {
  BROWSER_ENTRIES,
  BROWSER_PACKAGES,
  ROOT,
  importGraph,
  nodeGlobalTypeUses,
  nodeOnlyImports,
} from './import-graph.js';

const BLOCK_NODE = join(ROOT, 'test/package/fixtures/block-node.mjs');

/**
 * Runs `source` (JavaScript, ESM) with Node blocked, resolving packages as a browser bundler
 * does (the `browser` and `module` conditions). It is written into dist/, inside this
 * package, so that `raftchart/...` resolves to this build, and removed afterwards. The
 * process ends once the program's top level has run, as a page has no exit: what a browser
 * keeps open (the sim's MessageChannel, without setImmediate) would keep Node running.
 */
function runBlocked(name: string, source: string): { status: number | null; output: string } {
  const file = join(ROOT, `dist/browser-safe-${name}-${process.pid}.mjs`);
  writeFileSync(file, `${source}\nglobalThis[Symbol.for('block-node.done')]();\n`);
  try {
    const result = spawnSync(
      process.execPath,
      ['--conditions=browser', '--conditions=module', '--import', BLOCK_NODE, file],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          ...process.env,
          RAFTCHART_BROWSER_PACKAGES: JSON.stringify([...BROWSER_PACKAGES, 'raftchart']),
        },
      },
    );
    return {
      status: result.status,
      output: `${result.stdout}${result.stderr}${result.error?.message ?? ''}`,
    };
  } finally {
    rmSync(file, { force: true });
  }
}

const toJavaScript = (source: string): string =>
  ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
    },
  }).outputText;

const CONSUMERS: Readonly<Record<string, string>> = {
  'raftchart/machines': MACHINES_CONSUMER,
  'raftchart/sim': SIM_CONSUMER,
};

describe.each(BROWSER_ENTRIES)('$subpath', ({ subpath, js, dts }) => {
  it('imports no Node built-in and no Node-only package, anywhere in its import graph', () => {
    expect(nodeOnlyImports(importGraph(js))).toEqual([]);
  });

  it('has declarations that need no @types/node: no Node module, no Node global type', () => {
    const graph = importGraph(dts);
    expect([...nodeOnlyImports(graph), ...nodeGlobalTypeUses(graph)]).toEqual([]);
  });

  it("loads in a process that refuses Node's built-ins and hides its globals", () => {
    const loaded = runBlocked(
      'load',
      `const m = await import('${subpath}'); console.log(Object.keys(m).length);`,
    );
    expect(loaded.output).toMatch(/^\d+\n$/);
    expect(loaded.status).toBe(0);
  });

  it('runs its consumer program there', () => {
    const ran = runBlocked('consumer', toJavaScript(CONSUMERS[subpath] ?? ''));
    expect(ran.output).toMatch(/^(quorum of 3: 2; a is .*leader.*|leader \S+: counter = 2)\n$/);
    expect(ran.status).toBe(0);
  });
});

describe('the checks themselves', () => {
  it('find the Node imports of the Node entry, raftchart', () => {
    const found = nodeOnlyImports(importGraph('dist/src/index.js'));
    expect(found.some((line) => line.startsWith('node:'))).toBe(true);
    expect(found.some((line) => line.startsWith('ws '))).toBe(true);
  });

  it('find Node modules and Node global types in declarations', () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftchart-dts-'));
    try {
      writeFileSync(
        join(dir, 'a.d.ts'),
        "export type { T } from './b.js';\nexport declare const b: Buffer;\n",
      );
      writeFileSync(
        join(dir, 'b.d.ts'),
        '/// <reference types="node" />\n// Buffer in a comment is fine\n' +
          "import type { EventEmitter } from 'node:events';\nexport type T = NodeJS.Timeout | EventEmitter;\n",
      );
      const graph = importGraph(join(dir, 'a.d.ts'));
      expect(
        [...nodeOnlyImports(graph), ...nodeGlobalTypeUses(graph)].map((line) => line.split(' ')[0]),
      ).toEqual(['types:node', 'node:events', 'Buffer', 'NodeJS']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuse to load the Node entry, raftchart, in the blocked process', () => {
    const refused = runBlocked('control', "await import('raftchart');");
    expect(refused.output).toMatch(/blocked: \S+ is (a Node built-in|not a browser package)/);
    expect(refused.status).not.toBe(0);
  });
});
