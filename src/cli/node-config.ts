/**
 * `raftchart node` configuration: from a JSON file, flags on top, the secret also from a
 * file or RAFTCHART_SECRET. Validated with a compiled schema; errors name the field and the fix.
 */
import { readFileSync, statSync } from 'node:fs';
import { Ajv } from 'ajv';
import { ConfigError } from '../errors.js';

export interface NodeConfig {
  readonly id: string;
  /** host:port where peers reach this node's Raft transport. */
  readonly listen: string;
  /** host:port of the HTTP client API. */
  readonly client: string;
  /** Every other node: id -> host:port of its Raft transport. */
  readonly peers: Readonly<Record<string, string>>;
  /** Other nodes' client APIs: id -> host:port, so a refusal can send a client to the leader's URL. */
  readonly peerClients?: Readonly<Record<string, string>>;
  /** Directory of this node's write-ahead log and snapshots. */
  readonly data: string;
  /** The cluster's shared secret; never logged. */
  readonly secret: string;
  readonly snapshotEvery?: number;
  /** Deepest nesting a proposed command may have (default 100). */
  readonly maxCommandDepth?: number;
  /** Largest proposed command, in bytes of JSON (default 1 MiB). */
  readonly maxCommandBytes?: number;
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Append what enters the node's statechart to this file (JSON lines), for `raftchart replay`. */
  readonly record?: string;
  /**
   * Join a running cluster: start as no member and wait for its leader to add this node
   * (`raftchart members add`); `peers` are the cluster's members. Default false.
   */
  readonly join?: boolean;
  /**
   * With `join`: ask the cluster, through `peerClients`, to add this node as a learner, and
   * to promote it once it has caught up (src/cli/add-self.ts). Default false.
   */
  readonly addSelf?: boolean;
  /** Pre-vote (docs/pre-vote.md); default true. */
  readonly preVote?: boolean;
  /** Check-quorum and leader stickiness (docs/check-quorum.md); default true. */
  readonly checkQuorum?: boolean;
  /** host:port of the inspection feed (WebSocket), when it is served. */
  readonly inspect?: string;
  /** ws:// URL of an XState inspector server (Stately Inspector) to send the actor's events to. */
  readonly xstateInspect?: string;
}

const ADDRESS = '^[^\\s:]+:[0-9]{1,5}$';

/** The largest `maxCommandBytes` a node accepts: 64 MiB. */
export const MAX_COMMAND_BYTES_LIMIT = 64 * 1024 * 1024;

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'listen', 'client', 'peers', 'data', 'secret'],
  properties: {
    id: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9_.-]+$' },
    listen: { type: 'string', pattern: ADDRESS },
    client: { type: 'string', pattern: ADDRESS },
    peers: { type: 'object', additionalProperties: { type: 'string', pattern: ADDRESS } },
    peerClients: { type: 'object', additionalProperties: { type: 'string', pattern: ADDRESS } },
    data: { type: 'string', minLength: 1 },
    secret: { type: 'string', minLength: 16 },
    snapshotEvery: { type: 'integer', minimum: 0 },
    maxCommandDepth: { type: 'integer', minimum: 1, maximum: 10_000 },
    // Bounded so one command, plus its envelope, always fits a frame the transport can size.
    maxCommandBytes: { type: 'integer', minimum: 1, maximum: MAX_COMMAND_BYTES_LIMIT },
    logLevel: { enum: ['debug', 'info', 'warn', 'error'] },
    record: { type: 'string', minLength: 1 },
    inspect: { type: 'string', pattern: ADDRESS },
    join: { type: 'boolean' },
    addSelf: { type: 'boolean' },
    preVote: { type: 'boolean' },
    checkQuorum: { type: 'boolean' },
    xstateInspect: { type: 'string', pattern: '^wss?://' },
  },
} as const;

const validate = new Ajv({ allErrors: true }).compile<NodeConfig>(schema);

/** What resolving found worth a warning (the config itself is never logged). */
export type ConfigWarning = (message: string) => void;

/**
 * Merges the config file (if any), the flags and the environment, and validates the result.
 * The secret comes from `--secret-file` (or `secretFile`), else `--secret`, else
 * RAFTCHART_SECRET; a secret on the command line is visible in `ps`, so it is warned about.
 */
export function resolveNodeConfig(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
  warn: ConfigWarning = () => {},
): NodeConfig {
  const file = typeof flags.config === 'string' ? readConfigFile(flags.config) : {};
  const merged: Record<string, unknown> = { ...file };
  for (const key of [
    'id',
    'listen',
    'client',
    'data',
    'secret',
    'secretFile',
    'snapshotEvery',
    'maxCommandDepth',
    'maxCommandBytes',
    'logLevel',
    'record',
    'inspect',
    'xstateInspect',
    'join',
    'addSelf',
    'preVote',
    'checkQuorum',
  ]) {
    if (flags[key] !== undefined) merged[key] = flags[key];
  }
  if (flags.secret !== undefined) {
    warn(
      '--secret puts the cluster secret on the command line, where any user of this machine can read it ' +
        '(ps, /proc): use --secret-file or RAFTCHART_SECRET instead',
    );
  }
  if (flags.peer !== undefined) merged.peers = parsePeers('--peer', flags.peer as string[]);
  if (flags.peerClient !== undefined)
    merged.peerClients = parsePeers('--peer-client', flags.peerClient as string[]);
  merged.peers ??= {}; // a cluster of one
  if (typeof merged.secretFile === 'string') {
    if (flags.secretFile !== undefined || merged.secret === undefined)
      merged.secret = readSecretFile(merged.secretFile, warn);
  }
  delete merged.secretFile;
  if (merged.secret === undefined && env.RAFTCHART_SECRET !== undefined) merged.secret = env.RAFTCHART_SECRET;
  if (!validate(merged)) {
    const problems = (validate.errors ?? []).map((e) =>
      `${e.instancePath || '(config)'} ${e.message ?? 'is invalid'}`.replace(
        /^\/secret .*/,
        '/secret must be at least 16 characters',
      ),
    );
    throw new ConfigError(`invalid node configuration: ${problems.join('; ')} (see raftchart node --help)`);
  }
  if (merged.id !== undefined && Object.hasOwn(merged.peers as object, merged.id as string)) {
    throw new ConfigError(
      `peers must list the other nodes only, but it includes this node's id "${String(merged.id)}"`,
    );
  }
  for (const id of Object.keys((merged.peerClients ?? {}) as object)) {
    if (!Object.hasOwn(merged.peers as object, id)) {
      throw new ConfigError(`peerClients names "${id}", which is not in peers: list it with --peer too`);
    }
  }
  if (merged.addSelf === true) checkAddSelf(merged);
  return merged as unknown as NodeConfig;
}

/** A node that adds itself joins, knows whom to ask, and listens where its peers can reach it. */
function checkAddSelf(merged: Record<string, unknown>): void {
  if (merged.join !== true) {
    throw new ConfigError('addSelf (--add-self) is for a node that joins a running cluster: add --join');
  }
  if (Object.keys((merged.peerClients ?? {}) as object).length === 0) {
    throw new ConfigError(
      'addSelf (--add-self) asks the cluster through its client APIs: give them with --peer-client id=host:port',
    );
  }
  const host = String(merged.listen).slice(0, String(merged.listen).lastIndexOf(':'));
  if (host === '0.0.0.0' || host === '[::]' || host === '::') {
    throw new ConfigError(
      `addSelf (--add-self) tells the cluster to reach this node at its listen address, but ${String(merged.listen)} ` +
        "names no host: use --listen with this machine's address as the peers reach it",
    );
  }
}

/** The secret is the file's content without its trailing newline. */
function readSecretFile(path: string, warn: ConfigWarning): string {
  try {
    // Others who can read the file can join the cluster.
    if ((statSync(path).mode & 0o077) !== 0) {
      warn(`the secret file ${path} can be read by other users: chmod 600 it`);
    }
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new ConfigError(
      `cannot read the secret file ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function readConfigFile(path: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not a JSON object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(
      `cannot read the config file ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** `--peer b=127.0.0.1:7002` (repeatable) into { b: '127.0.0.1:7002' }. */
function parsePeers(flag: string, values: readonly string[]): Record<string, string> {
  const peers: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    if (at < 1) throw new ConfigError(`${flag} takes id=host:port, got "${value}"`);
    peers[value.slice(0, at)] = value.slice(at + 1);
  }
  return peers;
}
