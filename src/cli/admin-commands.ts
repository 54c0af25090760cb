/**
 * The admin commands: `raftchart transfer-leadership [--to id]` and `raftchart members
 * [list | add <id> <host:port> [--learner] | promote <id> | remove <id>]`, through the
 * `/admin/...` routes of the nodes' client API (src/cli/admin-api.ts). Any node will do: one
 * that does not lead redirects to the leader; while none is known, the command retries.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { ClusterFlags, KvCommandIo } from './kv-commands.js';
import { withClusterFlags } from './kv-commands.js';
import { findNodes } from './kv-nodes.js';

type AdminFlags = ClusterFlags;

interface AdminRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
}

/** Adds transfer-leadership and members to `program`; each sets process.exitCode. */
export function addAdminCommands(program: Command, io: KvCommandIo): void {
  const run = (request: AdminRequest, flags: AdminFlags, show: (answer: Record<string, unknown>) => string) =>
    adminCall(request, flags, io).then((answer) => {
      if (answer === null) return void (process.exitCode = 1);
      io.out(show(answer));
      process.exitCode = 0;
    });
  withClusterFlags(
    program
      .command('transfer-leadership')
      .description('hand the leadership to another voter (the most up to date one, or --to)')
      .option('--to <id>', 'the voter to hand it to'),
  ).action((flags: AdminFlags & { to?: string }) =>
    run(
      {
        method: 'POST',
        path: '/admin/transfer-leadership',
        body: flags.to === undefined ? {} : { to: flags.to },
      },
      flags,
      (answer) => `node ${String(answer.leaderId)} leads now (term ${String(answer.term)})`,
    ),
  );
  const members = program.command('members').description("list or change the cluster's members");
  withClusterFlags(
    members.command('list', { isDefault: true }).description('print the voters and learners'),
  ).action((flags: AdminFlags) => run({ method: 'GET', path: '/admin/members' }, flags, describeConfig));
  withClusterFlags(
    members
      .command('add')
      .description('add a node (started with raftchart node --join) as a voter, or a learner')
      .argument('<id>', "the new node's id")
      .argument('<address>', 'host:port where its peers reach it (its --listen)', address)
      .option('--learner', 'add it as a learner: it gets the log, never votes, until promoted'),
  ).action((id: string, where: string, flags: AdminFlags & { learner?: boolean }) =>
    run(
      {
        method: 'POST',
        path: '/admin/members',
        body: { id, role: flags.learner === true ? 'learner' : 'voter', address: where },
      },
      flags,
      changed,
    ),
  );
  withClusterFlags(
    members.command('promote').description('make a learner a voter').argument('<id>', 'the learner'),
  ).action((id: string, flags: AdminFlags) =>
    run({ method: 'POST', path: `/admin/members/${encodeURIComponent(id)}/promote` }, flags, changed),
  );
  withClusterFlags(
    members.command('remove').description('remove a voter or a learner').argument('<id>', 'the member'),
  ).action((id: string, flags: AdminFlags) =>
    run({ method: 'DELETE', path: `/admin/members/${encodeURIComponent(id)}` }, flags, changed),
  );
}

/**
 * Sends `request` to the nodes in turn (a redirect to the leader is followed) until one
 * answers; a node that knows no leader yet (503) or cannot be reached is retried after a
 * pause, until the timeout. Prints the error and resolves null on failure.
 */
export async function adminCall(
  request: AdminRequest,
  flags: AdminFlags,
  io: KvCommandIo,
): Promise<Record<string, unknown> | null> {
  const { urls } = await findNodes(flags, io.env);
  const deadline = Date.now() + flags.timeout * 1000;
  let last = 'no node answered';
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const url = urls[attempt % urls.length]!;
    try {
      const response = await fetch(`${url}${request.path}`, {
        method: request.method,
        ...(request.body === undefined
          ? {}
          : { body: JSON.stringify(request.body), headers: { 'content-type': 'application/json' } }),
        signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
      });
      const answer = (await response.json()) as Record<string, unknown>;
      if (response.ok) return answer;
      last = String(answer.message ?? response.statusText);
      if (response.status !== 503) break;
    } catch (error) {
      last = `${url}: ${error instanceof Error ? error.message : String(error)}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  io.err(`raftchart: ${last}`);
  return null;
}

function describeConfig(config: Record<string, unknown>): string {
  const list = (ids: unknown) => (Array.isArray(ids) && ids.length > 0 ? ids.join(', ') : '(none)');
  return `voters: ${list(config.voters)}\nlearners: ${list(config.learners)}`;
}

function changed(answer: Record<string, unknown>): string {
  const config = (answer.config ?? {}) as Record<string, unknown>;
  return `committed at log index ${String(answer.index)}\n${describeConfig(config)}`;
}

function address(value: string): string {
  if (!/^[^\s:/]+:[0-9]{1,5}$/.test(value)) throw new InvalidArgumentError('expected host:port');
  return value;
}
