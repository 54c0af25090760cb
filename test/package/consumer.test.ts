/**
 * The package as a user gets it: `npm pack`, installed offline into a new project, then a
 * consumer program per subpath, type-checked by strict tsc and run by node. The browser
 * subpaths' consumers compile without @types/node.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MACHINES_CONSUMER, MAIN_CONSUMER, SIM_CONSUMER } from './consumers.js';
import { ROOT } from './import-graph.js';
import type { Packed } from './install.js';
import { installTarball, pack } from './install.js';

const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const TIMEOUT = 300_000;

let dir: string;
let packed: Packed;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'raftchart-consumer-'));
  packed = pack(dir);
  installTarball(dir, packed.tarball, ['xstate']);
}, TIMEOUT);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function run(command: string, args: readonly string[]): { status: number | null; output: string } {
  const result = spawnSync(command, args, { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}${result.error?.message ?? ''}` };
}

interface Consumer {
  readonly name: string;
  readonly source: string;
  /** A browser consumer: DOM and ES libs, no ambient types at all. Else Node's types. */
  readonly browser: boolean;
  /** For the test's title. */
  readonly types: string;
}

/** Writes the consumer and its tsconfig, type-checks and compiles it; returns tsc's output. */
function compile({ name, source, browser }: Consumer): { status: number | null; output: string } {
  writeFileSync(join(dir, `${name}.ts`), source);
  const compilerOptions = {
    strict: true,
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    target: 'ES2022',
    // Our declarations are checked as the consumer's own code would be.
    skipLibCheck: false,
    noEmitOnError: true,
    outDir: 'out',
    rootDir: '.',
    ...(browser
      ? { lib: ['ES2023', 'DOM'], types: [] }
      : { lib: ['ES2023'], types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')] }),
  };
  writeFileSync(
    join(dir, `tsconfig.${name}.json`),
    JSON.stringify({ compilerOptions, files: [`${name}.ts`] }),
  );
  return run(process.execPath, [TSC, '-p', `tsconfig.${name}.json`]);
}

describe('the packed tarball', () => {
  it('ships the build, the docs, LICENSE and README, and no sources or tests', () => {
    const { files } = packed;
    for (const file of [
      'LICENSE',
      'README.md',
      'package.json',
      'docs/api.md',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/machines/index.js',
      'dist/machines/index.d.ts',
      'dist/src/sim/index.js',
      'dist/src/sim/index.d.ts',
      'dist/src/cli/main.js',
      'docs/statechart.svg',
      'visualize/dist/index.html',
    ])
      expect(files).toContain(file);
    const unexpected = files.filter(
      (file) =>
        !/^(LICENSE|README\.md|package\.json)$/.test(file) &&
        !/^docs\/([^/]+\.(md|svg|mmd)|screenshots\/[^/]+\.png)$/.test(file) &&
        // The visualizer page, built, which `raftchart cluster` serves.
        !/^visualize\/dist\/(index\.html|assets\/[^/]+\.(js|css))$/.test(file) &&
        !/^dist\/(src|machines)\/.+\.(js|d\.ts|js\.map)$/.test(file),
    );
    expect(unexpected).toEqual([]);
  });

  it('has every relative link of its README and docs resolve to a file it ships', () => {
    const broken: string[] = [];
    for (const doc of packed.files.filter((file) => file.endsWith('.md'))) {
      const text = readFileSync(join(ROOT, doc), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (target === undefined || /^[a-z]+:/i.test(target) || target.startsWith('#')) continue;
        const file = normalize(join(dirname(doc), target.split('#')[0] ?? ''));
        if (!packed.files.includes(file)) broken.push(`${doc}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('has source maps that carry their sources, since the .ts files are not shipped', () => {
    const maps = packed.files.filter((file) => file.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    const withoutSources = maps.filter((file) => {
      const map = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as {
        sources: string[];
        sourcesContent?: unknown[];
      };
      return (
        map.sourcesContent?.length !== map.sources.length ||
        map.sourcesContent.some((s) => typeof s !== 'string')
      );
    });
    expect(withoutSources).toEqual([]);
  });
});

describe('installed into a new project', () => {
  const consumers: readonly Consumer[] = [
    { name: 'machines', source: MACHINES_CONSUMER, browser: true, types: 'DOM, no @types/node' },
    { name: 'sim', source: SIM_CONSUMER, browser: true, types: 'DOM, no @types/node' },
    { name: 'main', source: MAIN_CONSUMER, browser: false, types: '@types/node' },
  ];

  it.each(consumers)(
    'the $name consumer type-checks strictly ($types) and runs',
    (consumer) => {
      const compiled = compile(consumer);
      expect(compiled.output).toBe('');
      expect(compiled.status).toBe(0);
      const ran = run(process.execPath, [`out/${consumer.name}.js`]);
      expect(ran.output).toMatch(
        {
          machines: /^quorum of 3: 2; a is \{"leader":"heartbeating"\} in term 1\n$/,
          sim: /^leader \S+: counter = 2\n$/,
          main: /^index 2: counter = 2\n$/,
        }[consumer.name] ?? /^$/,
      );
      expect(ran.status).toBe(0);
    },
    TIMEOUT,
  );

  it('refuses imports of internals (ERR_PACKAGE_PATH_NOT_EXPORTED)', () => {
    const refused = run(process.execPath, [
      '--input-type=module',
      '-e',
      "await import('raftchart/dist/src/node/node-host.js')",
    ]);
    expect(refused.output).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
    expect(refused.status).not.toBe(0);
    const manifest = run(process.execPath, [
      '--input-type=module',
      '-e',
      "const { default: p } = await import('raftchart/package.json', { with: { type: 'json' } }); console.log(p.name)",
    ]);
    expect(manifest.output).toBe('raftchart\n');
  });

  it('installs the raftchart command, which runs', () => {
    const chart = run(join(dir, 'node_modules/.bin/raftchart'), ['chart']);
    expect(chart.output).toContain('follower');
    expect(chart.status).toBe(0);
    const help = run(join(dir, 'node_modules/.bin/raftchart'), ['node', '--help']);
    expect(help.output).toContain('--listen');
    expect(help.status).toBe(0);
  });
});

describe('the packed manifest', () => {
  it('names its license, repository and bugs, and has the LICENSE text it names', () => {
    const manifest = JSON.parse(
      execFileSync('tar', ['-xzOf', packed.tarball, 'package/package.json'], { encoding: 'utf8' }),
    ) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      license: 'MIT',
      repository: { type: 'git', url: 'git+https://github.com/raftchart/raftchart.git' },
      sideEffects: false,
    });
    expect(manifest['bugs']).toBeDefined();
    expect(manifest['homepage']).toBeDefined();
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(
      /^MIT License\n\nCopyright \(c\) 2026 raftchart contributors\n/,
    );
  });
});
