/**
 * Packs this package and installs the tarball into a new project, as a user would, without
 * the network.
 *
 * The install is `npm ci --offline` over a lockfile written here: the tarball, plus the
 * exact entries (version, integrity) of its dependency tree copied from this repository's
 * package-lock.json. `npm ci` of this repository has put what those entries need in npm's
 * cache (each package's registry document, read for its tarball's address, and the tarball),
 * so the install is the same on every machine that ran it, and never asks the registry.
 * (`npm install <tarball> --offline` resolves the ranges afresh and, with the cache `npm ci`
 * leaves, fails with ENOTCACHED.)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './import-graph.js';

export const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

export interface Packed {
  /** The tarball's path. */
  readonly tarball: string;
  /** The paths it holds, relative to the package root. */
  readonly files: readonly string[];
}

interface PackResult {
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

/**
 * `npm pack` of the current build into `dir`. Scripts are skipped: prepack's clean build
 * would remove dist/ under the other test files running now; vitest's global setup has
 * just built it.
 */
export function pack(dir: string): Packed {
  const out = execFileSync(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const [result] = JSON.parse(out) as PackResult[];
  if (result === undefined) throw new Error(`npm pack printed no result: ${out}`);
  return { tarball: join(dir, result.filename), files: result.files.map(({ path }) => path).sort() };
}

interface LockEntry {
  readonly version?: string;
  readonly dev?: boolean;
  readonly devOptional?: boolean;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta?: Readonly<Record<string, { readonly optional?: boolean }>>;
  readonly [key: string]: unknown;
}

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly [key: string]: unknown;
}

/** Where Node finds `name` from the package at lockfile path `at` ('' is the root). */
function locate(packages: Readonly<Record<string, LockEntry>>, at: string, name: string): string {
  for (let base = at; ;) {
    const key = `${base === '' ? '' : `${base}/`}node_modules/${name}`;
    if (packages[key] !== undefined) return key;
    if (base === '') throw new Error(`package-lock.json has no ${name} reachable from ${at || 'the root'}`);
    const cut = base.lastIndexOf('/node_modules/');
    base = cut === -1 ? '' : base.slice(0, cut);
  }
}

/** The lockfile entries of everything `dependencies` needs at run time, keyed as in the lock. */
function dependencyTree(
  packages: Readonly<Record<string, LockEntry>>,
  dependencies: Readonly<Record<string, string>>,
): Record<string, LockEntry> {
  const tree: Record<string, LockEntry> = {};
  const pending = Object.keys(dependencies).map((name) => locate(packages, '', name));
  for (let key = pending.pop(); key !== undefined; key = pending.pop()) {
    const entry = packages[key];
    if (tree[key] !== undefined || entry === undefined) continue;
    const { dev: _dev, devOptional: _devOptional, ...prod } = entry;
    tree[key] = prod;
    const required = Object.keys({ ...entry.dependencies, ...entry.optionalDependencies });
    const peers = Object.keys(entry.peerDependencies ?? {}).filter(
      (name) => entry.peerDependenciesMeta?.[name]?.optional !== true,
    );
    for (const name of [...required, ...peers]) pending.push(locate(packages, key, name));
  }
  return tree;
}

/**
 * Makes `dir` a project (type module) that depends on the tarball, and on `alsoDepends`
 * (packages of the tarball's tree the consumer imports itself, such as xstate), and
 * installs it offline. Returns the packed manifest.
 */
export function installTarball(dir: string, tarball: string, alsoDepends: readonly string[]): Manifest {
  const manifest = JSON.parse(
    execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }),
  ) as Manifest;
  const own = manifest.dependencies ?? {};
  const dependencies: Record<string, string> = { [manifest.name]: `file:${tarball}` };
  for (const name of alsoDepends) {
    const range = own[name];
    if (range === undefined) throw new Error(`${manifest.name} does not depend on ${name}`);
    dependencies[name] = range;
  }
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const project = {
    name: 'raftchart-consumer',
    version: '1.0.0',
    private: true,
    type: 'module',
    dependencies,
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(project, null, 2));
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify(
      {
        name: project.name,
        version: project.version,
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: project.name, version: project.version, dependencies },
          [`node_modules/${manifest.name}`]: {
            version: manifest.version,
            resolved: `file:${tarball}`,
            ...pick(manifest, ['license', 'dependencies', 'bin', 'engines']),
          },
          ...dependencyTree(lock.packages, own),
        },
      },
      null,
      2,
    ),
  );
  try {
    execFileSync(
      NPM,
      ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
      {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(
      `npm ci --offline of the packed tarball failed${stderr.includes('ENOTCACHED') ? " (a dependency is not in npm's cache: run npm ci in this repository first)" : ''}:\n${stderr}`,
      { cause: error },
    );
  }
  return manifest;
}

function pick(object: Readonly<Record<string, unknown>>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => object[key] !== undefined).map((key) => [key, object[key]]));
}
