/**
 * Which cluster the key/value commands talk to: `--nodes <url,...>`, else RAFTCHART_NODES,
 * else the client URLs that `raftchart cluster` recorded in `<data>/cluster.json` (data
 * default ./.raftchart) when it last started.
 */
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { MANIFEST_FILE, readClusterManifest } from './cluster-data.js';

export interface FoundNodes {
  readonly urls: readonly string[];
  /** Where they came from, for messages: `--nodes`, `RAFTCHART_NODES` or the manifest's path. */
  readonly source: string;
}

/** The nodes to use, from the first of `--nodes`, RAFTCHART_NODES and `<data>/cluster.json` that is given. */
export async function findNodes(
  options: { readonly nodes?: string; readonly data: string },
  env: NodeJS.ProcessEnv,
): Promise<FoundNodes> {
  if (options.nodes !== undefined) return { urls: nodeList(options.nodes, '--nodes'), source: '--nodes' };
  const fromEnv = env.RAFTCHART_NODES;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return { urls: nodeList(fromEnv, 'RAFTCHART_NODES'), source: 'RAFTCHART_NODES' };
  }
  const path = join(resolve(options.data), MANIFEST_FILE);
  const manifest = await readClusterManifest(options.data);
  if (manifest === null) {
    throw new ConfigError(
      `no cluster to talk to: ${path} does not exist. Start one with \`npm start\` (or \`raftchart cluster\`) ` +
        'in this directory, point --data at its directory, or name the nodes with --nodes http://host:port,... ' +
        '(or RAFTCHART_NODES)',
    );
  }
  const urls = manifest.clientUrls;
  if (!Array.isArray(urls) || urls.length === 0 || !urls.every((url) => typeof url === 'string')) {
    throw new ConfigError(
      `${path} names no client URLs (the cluster has not started since it was made): start it with ` +
        '`raftchart cluster`, or name the nodes with --nodes http://host:port,...',
    );
  }
  return { urls, source: path };
}

/** `http://a:1,b:2` as URLs; a bare `host:port` is taken as http. */
export function nodeList(text: string, where: string): string[] {
  const urls = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(part) ? part : `http://${part}`));
  if (urls.length === 0) {
    throw new ConfigError(
      `${where} names no node: give client URLs separated by commas, e.g. http://127.0.0.1:8001`,
    );
  }
  for (const url of urls) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw new ConfigError(
        `${where}: ${JSON.stringify(url)} is not a node's client URL such as http://127.0.0.1:8001`,
      );
    }
  }
  return urls;
}
