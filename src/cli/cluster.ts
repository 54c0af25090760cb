/**
 * `raftchart cluster`: a local cluster of real `raftchart node` processes on 127.0.0.1, each
 * serving the key/value API and its inspection feed, and an HTTP server for the visualizer
 * page and the cluster API (cluster-api.ts) that lists the nodes and kills / restarts them.
 * Its data lives in one directory (default ./.raftchart), reused across runs. Prints the
 * page's URL and commands to try once a leader is elected; runs until SIGINT, SIGTERM or
 * SIGHUP, then stops every node.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';
import { createClusterApi } from './cluster-api.js';
import { cliCommand, clusterBanner, shownPath } from './cluster-banner.js';
import type { ClusterData } from './cluster-data.js';
import { DEFAULT_CLUSTER_DIR, prepareClusterData, recordClusterAddresses } from './cluster-data.js';
import { ClusterStartError } from './cluster-errors.js';
import { createClusterServer, listenOn } from './cluster-http.js';
import { waitForLeader } from './cluster-leader.js';
import type { ClusterPlan, NodePlan } from './cluster-plan.js';
import { CLUSTER_HOST, MAX_CLUSTER_NODES, clientUrl, plannedPorts, planNodes } from './cluster-plan.js';
import type { NodeExit } from './cluster-supervisor.js';
import { ClusterSupervisor } from './cluster-supervisor.js';
import { createStaticHandler } from './static-server.js';

export interface ClusterOptions {
  /** How many nodes, 1 to MAX_CLUSTER_NODES. */
  readonly nodes: number;
  /** `127.0.0.1:<port>` of the page and API; default DEFAULT_HTTP, or a free port if that is taken. */
  readonly http?: string;
  /** The cluster's directory; default DEFAULT_CLUSTER_DIR (./.raftchart), reused as it is. */
  readonly data?: string;
  /** Wipe the directory first (refused unless it looks like a cluster directory). */
  readonly fresh?: boolean;
  /** Node i's ports are base+i (transport), base+100+i (client API), base+200+i (feed); default free ones. */
  readonly basePort?: number;
  readonly snapshotEvery?: number;
  /** How long the nodes have to elect a leader everyone follows; default 60 s. */
  readonly startupTimeoutMs?: number;
  /** How long stopping nodes have between SIGTERM and SIGKILL; default 10 s. */
  readonly stopGraceMs?: number;
  readonly write: (line: string) => void;
  readonly warn: (line: string) => void;
  /** Aborted: stop every node and return. */
  readonly signal: AbortSignal;
}

export const DEFAULT_HTTP = `${CLUSTER_HOST}:8080`;

/** The built page, from dist/src/cli/ up to the package's root. */
const PAGE_DIR = fileURLToPath(new URL('../../../visualize/dist/', import.meta.url));
const CLI = fileURLToPath(new URL('./main.js', import.meta.url));

const NOT_BUILT_PAGE = `<!doctype html>
<meta charset="utf-8">
<title>raftchart: the page is not built</title>
<p>The visualizer page is not built: run <code>npm run build:visualize</code> in the raftchart
package, then reload this page. The cluster is running meanwhile: its nodes are listed at
<a href="/api/cluster">/api/cluster</a>.</p>
`;

export async function runCluster(options: ClusterOptions): Promise<void> {
  if (!Number.isSafeInteger(options.nodes) || options.nodes < 1 || options.nodes > MAX_CLUSTER_NODES) {
    throw new ConfigError(`--nodes must be 1 to ${MAX_CLUSTER_NODES}, not ${options.nodes}`);
  }
  const [httpHost, httpPort] = parseHttpAddress(options.http ?? DEFAULT_HTTP);
  const data = await prepareClusterData(options.data ?? DEFAULT_CLUSTER_DIR, options.nodes, {
    fresh: options.fresh ?? false,
  });
  process.on('exit', data.release);
  try {
    await runIn(options, data, httpHost, httpPort);
  } finally {
    data.release();
    process.off('exit', data.release);
  }
}

async function runIn(
  options: ClusterOptions,
  data: ClusterData,
  httpHost: string,
  httpPort: number,
): Promise<void> {
  const plan: ClusterPlan = {
    nodes: await planNodes(options.nodes, data.root, options.basePort, data.previous?.ports),
    secretFile: data.secretFile,
    ...(options.snapshotEvery === undefined ? {} : { snapshotEvery: options.snapshotEvery }),
  };
  let up = false;
  let startFailure: Error | null = null;
  let apiUrl = '';
  const onExit = (exit: NodeExit): void => {
    const node = plan.nodes.find((n) => n.id === exit.id)!;
    if (exit.cause === 'crashed' && !up) startFailure ??= exitedEarly(exit, node);
    if (exit.cause === 'crashed' && up) {
      options.warn(
        `raftchart: node ${exit.id} exited unexpectedly (${describeExit(exit)}); it stays down ` +
          `(restart: curl -s -X POST ${apiUrl}/api/nodes/${exit.id}/restart); log: ${shownPath(node.logFile)}`,
      );
    }
    if (exit.cause === 'killed') options.write(`raftchart: killed ${exit.id} (pid ${exit.pid}), as a crash`);
  };
  const onStart = (id: string, pid: number | null): void => {
    if (up) options.write(`raftchart: restarted ${id} (pid ${pid})`);
  };
  const supervisor = new ClusterSupervisor({ plan, cli: CLI, onExit, onStart });
  const server = createClusterServer(
    createClusterApi(supervisor, plan.nodes),
    createStaticHandler({ root: PAGE_DIR, notBuiltPage: NOT_BUILT_PAGE }),
  );
  const listening = await listenOn(server, httpHost, httpPort, options.http === undefined);
  apiUrl = listening.url;
  await recordClusterAddresses(data.root, {
    nodes: options.nodes,
    clientUrls: plan.nodes.map(clientUrl),
    http: listening.url,
    ports: plannedPorts(plan.nodes),
  });
  const lastResort = (): void => supervisor.killNow();
  process.on('exit', lastResort); // whatever ends this process, no node outlives it
  try {
    options.write(
      `raftchart: starting a ${options.nodes}-node cluster; data, logs and secret in ${shownPath(data.root)}`,
    );
    if (listening.fellBack) {
      options.write(`raftchart: ${httpHost}:${httpPort} is in use: serving on ${listening.url} instead`);
    }
    if (!(await pageBuilt())) {
      options.write(
        'raftchart: the visualizer page is not built: run `npm run build:visualize`, then reload the page',
      );
    }
    supervisor.startAll();
    const started = await waitForLeader(plan.nodes, {
      timeoutMs: options.startupTimeoutMs ?? 60_000,
      signal: options.signal,
      failure: () => startFailure,
    }).catch((error: unknown) => {
      if (options.signal.aborted) return null; // Ctrl-C while starting: just stop
      throw error;
    });
    if (started !== null) {
      up = true;
      const byDefault = data.root === resolve(DEFAULT_CLUSTER_DIR);
      for (const line of clusterBanner({
        nodes: plan.nodes,
        url: listening.url,
        leader: started.leader,
        role: (id) => started.statuses.get(id)?.role ?? '',
        pid: (id) => supervisor.pid(id),
        cli: cliCommand(CLI),
        dataFlag: byDefault ? null : shownPath(data.root),
      })) {
        options.write(line);
      }
      await aborted(options.signal);
    }
    options.write(
      `raftchart: stopping ${supervisor.ids.filter((id) => supervisor.isRunning(id)).length} nodes`,
    );
  } finally {
    up = false;
    await supervisor.stop(options.stopGraceMs ?? 10_000);
    process.off('exit', lastResort);
    server.close();
    server.closeAllConnections();
  }
  options.write(`raftchart: stopped; data and logs kept in ${shownPath(data.root)}`);
}

/** `127.0.0.1:<port>`: the API kills processes, so it is never served beyond this machine. */
function parseHttpAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at);
  const port = Number(address.slice(at + 1));
  if (at < 0 || !/^\d{1,5}$/.test(address.slice(at + 1)) || port > 65_535) {
    throw new ConfigError(`--http takes ${CLUSTER_HOST}:<port>, got "${address}"`);
  }
  if (host !== CLUSTER_HOST) {
    throw new ConfigError(
      `--http must be on ${CLUSTER_HOST}, not ${host}: its API kills and restarts the nodes, ` +
        `so it is served to this machine only (use --http ${CLUSTER_HOST}:${port})`,
    );
  }
  return [host, port];
}

async function pageBuilt(): Promise<boolean> {
  try {
    await readFile(`${PAGE_DIR}index.html`);
    return true;
  } catch {
    return false;
  }
}

function describeExit(exit: NodeExit): string {
  return exit.signal === null ? `status ${exit.code}` : `signal ${exit.signal}`;
}

/** A node that exited before the cluster was up: the last line it wrote says why. */
function exitedEarly(exit: NodeExit, node: NodePlan): Error {
  return new ClusterStartError(
    `node ${exit.id} exited (${describeExit(exit)}) before the cluster was up: ` +
      `${lastWords(node.logFile)} (its log: ${shownPath(node.logFile)})`,
  );
}

function lastWords(logFile: string): string {
  let line: string;
  try {
    line = readFileSync(logFile, 'utf8').trimEnd().split('\n').at(-1) ?? '';
  } catch {
    return 'it wrote nothing';
  }
  try {
    // A pino line: its message, and its error's.
    const entry = JSON.parse(line) as { msg?: string; err?: { message?: string } };
    return [entry.msg, entry.err?.message].filter((part) => part !== undefined).join(': ');
  } catch {
    return line.slice(0, 500);
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
