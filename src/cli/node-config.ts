/**
 * `raftchart node` configuration: from a JSON file, flags on top, the secret also from
 * RAFTCHART_SECRET. Validated with a compiled schema; errors name the field and the fix.
 */
import { readFileSync } from 'node:fs';
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
  /** Directory of this node's write-ahead log and snapshots. */
  readonly data: string;
  /** The cluster's shared secret; never logged. */
  readonly secret: string;
  readonly snapshotEvery?: number;
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

const ADDRESS = '^[^\\s:]+:[0-9]{1,5}$';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'listen', 'client', 'peers', 'data', 'secret'],
  properties: {
    id: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9_.-]+$' },
    listen: { type: 'string', pattern: ADDRESS },
    client: { type: 'string', pattern: ADDRESS },
    peers: { type: 'object', additionalProperties: { type: 'string', pattern: ADDRESS } },
    data: { type: 'string', minLength: 1 },
    secret: { type: 'string', minLength: 16 },
    snapshotEvery: { type: 'integer', minimum: 0 },
    logLevel: { enum: ['debug', 'info', 'warn', 'error'] },
  },
} as const;

const validate = new Ajv({ allErrors: true }).compile<NodeConfig>(schema);

/** Merges the config file (if any), the flags and the environment, and validates the result. */
export function resolveNodeConfig(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): NodeConfig {
  const file = typeof flags.config === 'string' ? readConfigFile(flags.config) : {};
  const merged: Record<string, unknown> = { ...file };
  for (const key of ['id', 'listen', 'client', 'data', 'secret', 'snapshotEvery', 'logLevel']) {
    if (flags[key] !== undefined) merged[key] = flags[key];
  }
  if (flags.peer !== undefined) merged.peers = parsePeers(flags.peer as string[]);
  merged.peers ??= {}; // a cluster of one
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
  return merged as unknown as NodeConfig;
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
function parsePeers(values: readonly string[]): Record<string, string> {
  const peers: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    if (at < 1) throw new ConfigError(`--peer takes id=host:port, got "${value}"`);
    peers[value.slice(0, at)] = value.slice(at + 1);
  }
  return peers;
}
