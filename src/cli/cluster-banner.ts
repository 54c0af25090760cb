/**
 * What `raftchart cluster` prints once its nodes elected a leader: the page to open, each
 * node's addresses, and commands that work as printed (copy, paste, run): curl against the
 * leader's key/value API, and the same with `raftchart put/get`.
 */
import { isAbsolute, relative, sep } from 'node:path';
import type { NodePlan } from './cluster-plan.js';
import { clientUrl, feedUrl } from './cluster-plan.js';

/** The key and value the printed examples write and read back. */
export const EXAMPLE_KEY = 'greeting';
export const EXAMPLE_VALUE = 'hello';

export interface BannerFacts {
  readonly nodes: readonly NodePlan[];
  /** The page and cluster API, `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly leader: string;
  readonly role: (id: string) => string;
  readonly pid: (id: string) => number | null;
  /** How to run this CLI from the current directory, e.g. `node dist/src/cli/main.js`. */
  readonly cli: string;
  /** The `--data` the key/value commands need, or null when they find the cluster by default. */
  readonly dataFlag: string | null;
}

export function clusterBanner(facts: BannerFacts): string[] {
  const { nodes, url } = facts;
  const leader = nodes.find((node) => node.id === facts.leader)!;
  const kvUrl = `${clientUrl(leader)}/kv/${EXAMPLE_KEY}`;
  const data = facts.dataFlag === null ? '' : ` --data ${shellWord(facts.dataFlag)}`;
  // Roles line up: 8 fits follower and leader; a candidate or preCandidate widens the column.
  const width = Math.max(8, ...nodes.map((node) => facts.role(node.id).length));
  return [
    `raftchart: ${nodes.length}-node cluster up; open ${url}/?live=${url}`,
    ...nodes.map(
      (node) =>
        `  ${node.id}  ${facts.role(node.id).padEnd(width)}  client ${clientUrl(node)}  feed ${feedUrl(node)}  ` +
        `pid ${facts.pid(node.id)}  log ${shownPath(node.logFile)}`,
    ),
    // -L: if the leader changed meanwhile, a follower's 307 leads to the new one.
    `write and read a key (${leader.id} leads; -L follows a follower's redirect to the leader):`,
    `  curl -sL -X PUT ${kvUrl} -H 'content-type: application/json' -d '{"value":"${EXAMPLE_VALUE}"}'`,
    `  curl -sL ${kvUrl}`,
    `  ${facts.cli} put ${EXAMPLE_KEY} ${EXAMPLE_VALUE}${data}`,
    `  ${facts.cli} get ${EXAMPLE_KEY}${data}`,
    `crash a node: curl -s -X POST ${url}/api/nodes/${leader.id}/kill (then .../restart)`,
    'Ctrl-C to stop',
  ];
}

/**
 * How a user in the current directory runs the CLI at `cliPath` (dist/src/cli/main.js):
 * `npx raftchart` where it is an installed package, else node with its path from here.
 */
export function cliCommand(cliPath: string): string {
  if (cliPath.split(sep).includes('node_modules')) return 'npx raftchart';
  return `node ${shellWord(shownPath(cliPath))}`;
}

/** `path` relative to the current directory when it lies inside it (shorter to read), else absolute. */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** `word` as one shell word: as it is when it is plain, else single-quoted. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
