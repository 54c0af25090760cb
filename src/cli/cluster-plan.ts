/**
 * The layout of a local cluster: each node's id, ports, data directory and log file, and
 * the `raftchart node` flags that start it. Fixed when the cluster starts, so a restarted
 * node comes back with the same flags, addresses and data.
 */
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { canBind, freePorts } from './cluster-ports.js';

/** Every address of a local cluster is on this host only. */
export const CLUSTER_HOST = '127.0.0.1';

/** Most nodes a local cluster runs (each one is a process). */
export const MAX_CLUSTER_NODES = 9;

export interface NodePlan {
  readonly id: string;
  /** Where peers reach this node's Raft transport. */
  readonly listenPort: number;
  /** This node's HTTP client API. */
  readonly clientPort: number;
  /** This node's inspection feed (WebSocket). */
  readonly inspectPort: number;
  readonly dataDir: string;
  /** Its stdout and stderr (JSON log lines), appended across restarts. */
  readonly logFile: string;
}

export interface ClusterPlan {
  readonly nodes: readonly NodePlan[];
  readonly secretFile: string;
  readonly snapshotEvery?: number;
}

/** Ports of node `i` (1-based) from `--base-port b`: transport b+i, client API b+100+i, feed b+200+i. */
const PORT_ROLES = ['transport', 'client API', 'inspection feed'] as const;

/** Each node's ports as `[transport, client API, feed]`, by id (what cluster.json records). */
export type PlannedPorts = Readonly<Record<string, readonly [number, number, number]>>;

/**
 * Node `i` is `n<i>`, its data in `<root>/n<i>`, its log `<root>/n<i>.log`. Ports come from
 * `basePort` (checked free now, with an error naming the one taken), else are `previous`
 * (the last run's, so its URLs still work) if every one of them is free, else free ones.
 */
export async function planNodes(
  count: number,
  root: string,
  basePort?: number,
  previous?: PlannedPorts,
): Promise<NodePlan[]> {
  const reused = basePort === undefined ? await reusablePorts(count, previous) : null;
  const ports = basePort !== undefined ? [] : (reused ?? (await freePorts(count * 3, CLUSTER_HOST)));
  const nodes: NodePlan[] = [];
  for (let i = 1; i <= count; i++) {
    const id = `n${i}`;
    const own =
      basePort === undefined
        ? ports.slice((i - 1) * 3, i * 3)
        : PORT_ROLES.map((_, role) => basePort + role * 100 + i);
    nodes.push({
      id,
      listenPort: own[0]!,
      clientPort: own[1]!,
      inspectPort: own[2]!,
      dataDir: join(root, id),
      logFile: join(root, `${id}.log`),
    });
  }
  if (basePort !== undefined) await checkBasePorts(nodes, basePort);
  return nodes;
}

/** The last run's ports, flattened in node order, if there is one for every node and all are free now. */
async function reusablePorts(count: number, previous: PlannedPorts | undefined): Promise<number[] | null> {
  if (previous === undefined) return null;
  const ports: number[] = [];
  for (let i = 1; i <= count; i++) {
    const own = previous[`n${i}`];
    if (!Array.isArray(own) || own.length !== 3) return null;
    ports.push(...own);
  }
  const valid = (port: number): boolean => Number.isSafeInteger(port) && port >= 1 && port <= 65_535;
  if (!ports.every(valid) || new Set(ports).size !== ports.length) return null;
  for (const port of ports) if (!(await canBind(port, CLUSTER_HOST))) return null;
  return ports;
}

/** `nodes`' ports, as cluster.json records them. */
export function plannedPorts(nodes: readonly NodePlan[]): PlannedPorts {
  return Object.fromEntries(
    nodes.map((node) => [node.id, [node.listenPort, node.clientPort, node.inspectPort] as const]),
  );
}

async function checkBasePorts(nodes: readonly NodePlan[], basePort: number): Promise<void> {
  for (const node of nodes) {
    const own = [node.listenPort, node.clientPort, node.inspectPort];
    for (const [role, port] of own.entries()) {
      if (port > 65_535 || !(await canBind(port, CLUSTER_HOST))) {
        throw new ConfigError(
          `port ${port} (${PORT_ROLES[role]} of ${node.id}, from --base-port ${basePort}) ` +
            `cannot be bound on ${CLUSTER_HOST}: choose another --base-port, or leave it out to use free ports`,
        );
      }
    }
  }
}

export function clientUrl(node: NodePlan): string {
  return `http://${CLUSTER_HOST}:${node.clientPort}`;
}

export function feedUrl(node: NodePlan): string {
  return `ws://${CLUSTER_HOST}:${node.inspectPort}`;
}

/** The `raftchart node` arguments of `id`: its own addresses, every peer's, the secret file. */
export function nodeArguments(plan: ClusterPlan, id: string): string[] {
  const node = plan.nodes.find((n) => n.id === id);
  if (node === undefined) throw new Error(`no node ${id} in the plan`);
  const address = (port: number): string => `${CLUSTER_HOST}:${port}`;
  return [
    'node',
    '--id',
    id,
    '--listen',
    address(node.listenPort),
    '--client',
    address(node.clientPort),
    '--inspect',
    address(node.inspectPort),
    '--data',
    node.dataDir,
    '--secret-file',
    plan.secretFile,
    ...plan.nodes
      .filter((peer) => peer.id !== id)
      .flatMap((peer) => [
        '--peer',
        `${peer.id}=${address(peer.listenPort)}`,
        '--peer-client',
        `${peer.id}=${address(peer.clientPort)}`,
      ]),
    ...(plan.snapshotEvery === undefined ? [] : ['--snapshot-every', String(plan.snapshotEvery)]),
  ];
}
