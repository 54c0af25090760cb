/**
 * A local cluster's directory (default `./.raftchart`): one data directory and log file per
 * node, the shared secret (generated, mode 0600), `cluster.json` and, while a cluster runs
 * from it, `cluster.lock`. `cluster.json` records the cluster's size, so that a directory is
 * never reused with another membership (a majority of 3 is not one of 5), and, each time the
 * cluster starts, its addresses: the nodes' ports (reused next time if free, so URLs stay the
 * same across runs) and client URLs, which `raftchart put/get/...` read to find the cluster.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

/** Where `raftchart cluster` keeps a cluster, and where the key/value commands look for one. */
export const DEFAULT_CLUSTER_DIR = '.raftchart';

export const MANIFEST_FILE = 'cluster.json';
const LOCK_FILE = 'cluster.lock';
const SECRET_FILE = 'secret';

/** What `cluster.json` holds. */
export interface ClusterManifest {
  readonly nodes: number;
  /** The nodes' client API URLs, in node order, as of the last start. */
  readonly clientUrls?: readonly string[];
  /** The page and cluster API, as of the last start. */
  readonly http?: string;
  /** Each node's ports (transport, client API, feed) as of the last start. */
  readonly ports?: Readonly<Record<string, readonly [number, number, number]>>;
}

export interface ClusterData {
  /** The directory, absolute. */
  readonly root: string;
  readonly secretFile: string;
  /** What cluster.json held before this start (null for a new directory). */
  readonly previous: ClusterManifest | null;
  /** Lets the directory go (removes the lock); safe to call more than once, and from an 'exit' handler. */
  readonly release: () => void;
}

export interface PrepareOptions {
  /** Wipe what an earlier cluster left in the directory first (only if it looks like one). */
  readonly fresh?: boolean;
}

/**
 * Opens `dir` (created if missing) for a cluster of `nodes` nodes: refuses one that another
 * running cluster holds, or one made for another size; with `fresh`, wipes it first.
 */
export async function prepareClusterData(
  dir: string,
  nodes: number,
  options: PrepareOptions = {},
): Promise<ClusterData> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true, mode: 0o700 });
  const release = await lock(root);
  try {
    if (options.fresh === true) await wipe(root);
    const previous = await checkManifest(root, nodes);
    const secretFile = join(root, SECRET_FILE);
    try {
      // 'wx': an existing secret stays, so nodes restarted from this directory still know each other.
      await writeFile(secretFile, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    return { root, secretFile, previous, release };
  } catch (error) {
    release();
    throw error;
  }
}

/** Records where this start put the cluster, for the next start and for the key/value commands. */
export async function recordClusterAddresses(root: string, manifest: ClusterManifest): Promise<void> {
  // Written aside and renamed: a reader never sees half a file.
  const path = join(root, MANIFEST_FILE);
  await writeFile(`${path}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}

/** `dir`'s cluster.json; null when there is none. Throws a ConfigError when it is not one. */
export async function readClusterManifest(dir: string): Promise<ClusterManifest | null> {
  const path = join(resolve(dir), MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    manifest = undefined;
  }
  const nodes = (manifest as Partial<ClusterManifest> | undefined)?.nodes;
  if (typeof nodes !== 'number' || !Number.isSafeInteger(nodes) || nodes < 1) {
    throw new ConfigError(
      `${path} is not a cluster manifest raftchart cluster wrote: give a directory raftchart cluster made, or a new one`,
    );
  }
  return manifest as ClusterManifest;
}

async function checkManifest(root: string, nodes: number): Promise<ClusterManifest | null> {
  const manifest = await readClusterManifest(root);
  if (manifest === null) {
    await recordClusterAddresses(root, { nodes });
    return null;
  }
  if (manifest.nodes !== nodes) {
    throw new ConfigError(
      `${root} holds a ${manifest.nodes}-node cluster: run it with --nodes ${manifest.nodes}, ` +
        'add --fresh to wipe it and start a new one, or give another --data directory',
    );
  }
  return manifest;
}

/** What raftchart cluster puts in its directory; --fresh removes these and nothing else. */
const OURS = /^(n\d+|n\d+\.log|secret|cluster\.json|cluster\.json\.tmp|cluster\.lock)$/;

/** Empties a cluster directory; refuses one that holds anything raftchart cluster did not make. */
async function wipe(root: string): Promise<void> {
  const entries = (await readdir(root)).filter((entry) => entry !== LOCK_FILE);
  if (entries.length === 0) return;
  const foreign = entries.filter((entry) => !OURS.test(entry));
  if (!entries.includes(MANIFEST_FILE) || foreign.length > 0) {
    const listed = foreign.slice(0, 5).map((entry) => JSON.stringify(entry));
    throw new ConfigError(
      `--fresh would wipe ${root}, which does not look like a raftchart cluster directory ` +
        `(${foreign.length > 0 ? `it holds ${listed.join(', ')}${foreign.length > 5 ? ', ...' : ''}` : `no ${MANIFEST_FILE}`}): ` +
        'nothing was removed; give --data a directory raftchart cluster made, or a new one',
    );
  }
  await readClusterManifest(root); // a cluster.json that is not ours: refused
  for (const entry of entries) await rm(join(root, entry), { recursive: true, force: true });
}

/**
 * Takes the directory for this process: two clusters on one directory would run two nodes
 * on each data directory. A lock left by a process that is gone is taken over.
 */
async function lock(root: string): Promise<() => void> {
  const path = join(root, LOCK_FILE);
  const mine = `${process.pid}\n`;
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(path, mine, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(holder) && holder > 0 && isClusterProcess(holder)) {
      throw new ConfigError(
        `a cluster is already running from ${root} (pid ${holder}): stop it (Ctrl-C in its terminal, ` +
          `or kill ${holder}), or give another --data directory`,
      );
    }
    await rm(path, { force: true }); // left by a cluster that is gone
  }
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    try {
      if (readFileSync(path, 'utf8') === mine) unlinkSync(path);
    } catch {
      // already gone
    }
  };
}

/** Whether `pid` runs (and, where /proc tells, is a `raftchart cluster`: pids are reused). */
function isClusterProcess(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('cluster');
  } catch {
    return true; // no /proc: running is all we can tell
  }
}
