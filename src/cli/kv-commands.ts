/**
 * The key/value commands: `raftchart put|get|append|delete|status`, through KvClient, against
 * the cluster kv-nodes.ts finds. A value read goes to stdout as it is; confirmations are one
 * short line; every error goes to stderr with exit code 1.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { KvClientError, KvTimeoutError } from '../kv/client-errors.js';
import { KvClient } from '../kv/client.js';
import { KvError } from '../kv/kv-errors.js';
import type { Consistency } from '../kv/kv-service.js';
import { CONSISTENCIES } from '../kv/kv-service.js';
import { DEFAULT_CLUSTER_DIR } from './cluster-data.js';
import type { FoundNodes } from './kv-nodes.js';
import { findNodes } from './kv-nodes.js';
import { readStatuses, statusTable } from './kv-status.js';

export interface KvCommandIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

/** The options every key/value command takes: where the cluster is, and how long to try. */
export interface ClusterFlags {
  readonly nodes?: string;
  readonly data: string;
  readonly timeout: number;
}

export type KvCommand =
  | { readonly op: 'get'; readonly key: string; readonly consistency: Consistency }
  | { readonly op: 'put' | 'append'; readonly key: string; readonly value: string }
  | { readonly op: 'delete'; readonly key: string };

/** Adds put, get, append, delete and status to `program`; each sets process.exitCode. */
export function addKvCommands(program: Command, io: KvCommandIo): void {
  const run = async (command: KvCommand, flags: ClusterFlags): Promise<void> => {
    process.exitCode = await runKvCommand(command, flags, io);
  };
  withClusterFlags(
    program
      .command('put')
      .description("set a key's value in the cluster's key/value store")
      .argument('<key>', 'the key (any text up to 1024 bytes, no control characters)')
      .argument('<value>', 'its new value'),
  ).action((key: string, value: string, flags: ClusterFlags) => run({ op: 'put', key, value }, flags));

  withClusterFlags(
    program
      .command('get')
      .description("print a key's value (exit 1 if there is no such key)")
      .argument('<key>', 'the key')
      .option(
        '--consistency <level>',
        'linearizable (confirmed by a quorum, the default), log (a read through the log), or ' +
          "serializable (the node's own state: fast, may be stale)",
        consistency,
        'linearizable' as Consistency,
      ),
  ).action((key: string, flags: ClusterFlags & { consistency: Consistency }) =>
    run({ op: 'get', key, consistency: flags.consistency }, flags),
  );

  withClusterFlags(
    program
      .command('append')
      .description("append to a key's value (a missing key is created with it)")
      .argument('<key>', 'the key')
      .argument('<value>', 'what to append'),
  ).action((key: string, value: string, flags: ClusterFlags) => run({ op: 'append', key, value }, flags));

  withClusterFlags(program.command('delete').description('delete a key').argument('<key>', 'the key')).action(
    (key: string, flags: ClusterFlags) => run({ op: 'delete', key }, flags),
  );

  withClusterFlags(
    program
      .command('status')
      .description("print every node's role, term, leader, commit and applied index as a table"),
  ).action(async (flags: ClusterFlags) => {
    process.exitCode = await runStatus(flags, io);
  });
}

/** The flags of every command that talks to a cluster: where it is, and how long to try. */
export function withClusterFlags(command: Command): Command {
  return command
    .option(
      '--nodes <urls>',
      "the nodes' client URLs, separated by commas (default: RAFTCHART_NODES, else what " +
        '`raftchart cluster` recorded in <data>/cluster.json)',
    )
    .option('--data <dir>', 'the directory of a cluster `raftchart cluster` runs', DEFAULT_CLUSTER_DIR)
    .option('--timeout <seconds>', 'give up after this long, retries included', seconds, 10);
}

/** Runs one key/value command; resolves with its exit code. */
export async function runKvCommand(
  command: KvCommand,
  flags: ClusterFlags,
  io: KvCommandIo,
): Promise<number> {
  const found = await findNodes(flags, io.env);
  const client = new KvClient({ nodes: found.urls, timeoutMs: flags.timeout * 1000 });
  const key = JSON.stringify(command.key);
  try {
    switch (command.op) {
      case 'get': {
        const { value, index } = await client.get(command.key, { consistency: command.consistency });
        if (value === null) {
          io.err(`raftchart: there is no key ${key} (as of log index ${index})`);
          return 1;
        }
        io.out(value);
        return 0;
      }
      case 'put':
        io.out(`stored ${key} (log index ${(await client.put(command.key, command.value)).index})`);
        return 0;
      case 'append':
        io.out(`appended to ${key} (log index ${(await client.append(command.key, command.value)).index})`);
        return 0;
      case 'delete': {
        const { index, existed } = await client.delete(command.key);
        io.out(
          existed ? `deleted ${key} (log index ${index})` : `there was no key ${key} (log index ${index})`,
        );
        return 0;
      }
    }
  } catch (error) {
    if (!(error instanceof KvClientError || error instanceof KvError)) throw error;
    io.err(`raftchart: ${error.message}`);
    if (error instanceof KvTimeoutError) io.err(`raftchart: ${whereFrom(found)}`);
    return 1;
  }
}

async function runStatus(flags: ClusterFlags, io: KvCommandIo): Promise<number> {
  const found = await findNodes(flags, io.env);
  const rows = await readStatuses(found.urls, Math.min(flags.timeout * 1000, 5000));
  for (const line of statusTable(rows)) io.out(line);
  if (rows.every((row) => 'problem' in row.status)) {
    io.err(`raftchart: no node answered; ${whereFrom(found)}`);
    return 1;
  }
  return 0;
}

function whereFrom(found: FoundNodes): string {
  const list = found.urls.join(', ');
  return found.source === '--nodes' || found.source === 'RAFTCHART_NODES'
    ? `the nodes tried (${list}) came from ${found.source}`
    : `the nodes tried (${list}) are those ${found.source} recorded: is that cluster running (npm start, or raftchart cluster)?`;
}

function consistency(value: string): Consistency {
  if (!(CONSISTENCIES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`use one of ${CONSISTENCIES.join(', ')}`);
  }
  return value as Consistency;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number of seconds above 0');
  return n;
}
