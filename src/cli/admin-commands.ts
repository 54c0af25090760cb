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
import { readStatuses } from './kv-status.js';

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
 * Sends `request` to the nodes in turn until one answers: a redirect to the leader is
 * followed (by hand, so that the secret goes along), a node that knows no leader yet (503)
 * or cannot be reached is retried after a pause, until the timeout. A read goes to the
 * leader first: its configuration is the one that counts. With RAFTCHART_SECRET set, every
 * request carries it (nodes on other machines refuse admin requests without it). Prints the
 * error and resolves null on failure.
 */
export async function adminCall(
  request: AdminRequest,
  flags: AdminFlags,
  io: KvCommandIo,
): Promise<Record<string, unknown> | null> {
  const { urls } = await findNodes(flags, io.env);
  const deadline = Date.now() + flags.timeout * 1000;
  const secret = io.env.RAFTCHART_SECRET;
  const headers: Record<string, string> = {
    ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(secret === undefined || secret === '' ? {} : { authorization: `Bearer ${secret}` }),
  };
  const order = request.method === 'GET' ? await leaderFirst(urls, deadline) : urls;
  let last = 'no node answered';
  let next: string | null = null;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const target: string = next ?? `${order[attempt % order.length]!}${request.path}`;
    next = null;
    try {
      const response = await fetch(target, {
        method: request.method,
        headers,
        redirect: 'manual',
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
      });
      const answer = (await response.json()) as Record<string, unknown>;
      if (response.ok) return answer;
      last = String(answer.message ?? response.statusText);
      const location = response.headers.get('location');
      if (response.status === 307 && location !== null) {
        next = new URL(location, target).href;
        continue;
      }
      // A change that may have committed: retrying it blind could apply it twice.
      if (response.status === 504) last += '; `raftchart members list` shows whether it did';
      if (response.status !== 503) break;
    } catch (error) {
      last = `${target}: ${error instanceof Error ? error.message : String(error)}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  io.err(`raftchart: ${last}`);
  return null;
}

/** `urls` with the one that leads (in the highest term) first, as far as they say. */
async function leaderFirst(urls: readonly string[], deadline: number): Promise<readonly string[]> {
  const rows = await readStatuses(urls, Math.max(1, Math.min(deadline - Date.now(), 2000)));
  const leaders = rows
    .map((row, at) => ({ at, status: row.status }))
    .filter(({ status }) => !('problem' in status) && status.role === 'leader')
    .sort(
      (a, b) => Number((b.status as { term?: unknown }).term) - Number((a.status as { term?: unknown }).term),
    );
  const first = leaders[0];
  return first === undefined ? urls : [urls[first.at]!, ...urls.filter((_, at) => at !== first.at)];
}

function describeConfig(config: Record<string, unknown>): string {
  // Sorted (n2 before n10): each node lists itself first in the configuration it started with.
  const list = (ids: unknown) =>
    Array.isArray(ids) && ids.length > 0
      ? ids
          .map(String)
          .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
          .join(', ')
      : '(none)';
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
