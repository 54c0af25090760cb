/**
 * A local cluster's directory: one data directory and log file per node, the shared secret
 * (generated, mode 0600) and `cluster.json`, which records the cluster's size so that a
 * directory is never reused with another membership (a majority of 3 is not one of 5).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

export interface ClusterData {
  /** The directory, absolute. */
  readonly root: string;
  readonly secretFile: string;
}

interface Manifest {
  readonly nodes: number;
}

/** Opens `dir` (created if missing) or, without one, a new directory under the OS temp dir. */
export async function prepareClusterData(dir: string | undefined, nodes: number): Promise<ClusterData> {
  const root = dir === undefined ? await mkdtemp(join(tmpdir(), 'raftchart-cluster-')) : resolve(dir);
  await mkdir(root, { recursive: true, mode: 0o700 });
  await checkManifest(root, nodes);
  const secretFile = join(root, 'secret');
  try {
    // 'wx': an existing secret stays, so nodes restarted from this directory still know each other.
    await writeFile(secretFile, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return { root, secretFile };
}

async function checkManifest(root: string, nodes: number): Promise<void> {
  const path = join(root, 'cluster.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const manifest: Manifest = { nodes };
    return writeFile(path, `${JSON.stringify(manifest)}\n`);
  }
  let manifest: Partial<Manifest>;
  try {
    manifest = JSON.parse(text) as Partial<Manifest>;
  } catch {
    throw new ConfigError(
      `${path} is not JSON: --data must be a directory raftchart cluster made, or a new one`,
    );
  }
  if (manifest.nodes !== nodes) {
    throw new ConfigError(
      `${root} holds a ${String(manifest.nodes)}-node cluster: run it with --nodes ${String(manifest.nodes)}, ` +
        'or give another --data directory',
    );
  }
}
