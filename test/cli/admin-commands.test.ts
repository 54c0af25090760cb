/**
 * `raftchart transfer-leadership` and `raftchart members ...` in-process, against scripted
 * nodes on 127.0.0.1: a follower that redirects to the leader (307) and keeps a stale
 * configuration, and the leader. The commands send what the admin routes expect, follow the
 * redirect with the secret, read the leader's configuration, wait out a node that knows no
 * leader (503), and print a refusal to stderr with exit code 1.
 */
import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { addAdminCommands } from '../../src/cli/admin-commands.js';

const CONFIG = { voters: ['n2', 'n10', 'n1'], learners: ['n4'], addresses: {} };
const STALE = { voters: ['n1'], learners: [], addresses: {} };
const SECRET = 'admin-commands-secret';

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly authorization: string | undefined;
}

type Handler = (seen: Seen) => { status: number; body: unknown; headers?: Record<string, string> };

const servers: Server[] = [];

afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
  process.exitCode = undefined;
});

/** A node on 127.0.0.1 answering with `handler`; what it was sent, in `seen`. */
async function node(handler: Handler): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      const one = {
        method: request.method ?? '',
        path: request.url ?? '',
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
        authorization: request.headers.authorization,
      };
      seen.push(one);
      const answer = handler(one);
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(JSON.stringify(answer.body));
    });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** The leader: its status, its configuration, and 200 to every change. */
const leading: Handler = ({ method, path, body }) => {
  if (path === '/status') return { status: 200, body: { id: 'n2', role: 'leader', term: 3 } };
  if (path === '/admin/members' && method === 'GET') return { status: 200, body: CONFIG };
  if (path === '/admin/transfer-leadership') {
    return { status: 200, body: { leaderId: (body as { to?: string }).to ?? 'n3', term: 4 } };
  }
  return { status: 200, body: { index: 7, term: 3, config: CONFIG } };
};

/** A follower: a stale configuration of its own, and a 307 to `leader` for everything else. */
function following(leader: () => string): Handler {
  return ({ method, path }) => {
    if (path === '/status') return { status: 200, body: { id: 'n1', role: 'follower', term: 3 } };
    if (path === '/admin/members' && method === 'GET') return { status: 200, body: STALE };
    const location = `${leader()}${path}`;
    return { status: 307, body: { error: 'NotLeader', message: 'not the leader' }, headers: { location } };
  };
}

/** Runs `raftchart <args>` in-process; what it printed and its exit code. */
async function raftchart(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
  addAdminCommands(program, { out: (line) => out.push(line), err: (line) => err.push(line), env });
  await program.parseAsync(args, { from: 'user' });
  return { code: process.exitCode, out: out.join('\n'), err: err.join('\n') };
}

async function followerAndLeader() {
  const leader = await node(leading);
  const follower = await node(following(() => leader.url));
  return { leader, follower, nodes: `${follower.url},${leader.url}` };
}

describe('raftchart members and transfer-leadership', () => {
  it('members add: through a follower to the leader, with the secret, as the admin route expects', async () => {
    const { leader, follower, nodes } = await followerAndLeader();
    const ran = await raftchart(['members', 'add', 'n4', '127.0.0.1:9004', '--learner', '--nodes', nodes], {
      RAFTCHART_SECRET: SECRET,
    });
    expect(ran).toEqual({
      code: 0,
      out: 'committed at log index 7\nvoters: n1, n2, n10\nlearners: n4',
      err: '',
    });
    const expected = {
      method: 'POST',
      path: '/admin/members',
      body: { id: 'n4', role: 'learner', address: '127.0.0.1:9004' },
      authorization: `Bearer ${SECRET}`,
    };
    expect(follower.seen).toEqual([expected]);
    expect(leader.seen).toEqual([expected]);
    const voter = await raftchart(['members', 'add', 'n5', 'h:9005', '--nodes', leader.url]);
    expect(voter.code).toBe(0);
    expect(leader.seen.at(-1)).toMatchObject({
      body: { id: 'n5', role: 'voter', address: 'h:9005' },
      authorization: undefined,
    });
  });

  it("members (list): the leader's configuration, not a follower's", async () => {
    const { nodes } = await followerAndLeader();
    expect(await raftchart(['members', '--nodes', nodes])).toEqual({
      code: 0,
      out: 'voters: n1, n2, n10\nlearners: n4',
      err: '',
    });
    expect((await raftchart(['members', 'list', '--nodes', nodes])).out).toBe(
      'voters: n1, n2, n10\nlearners: n4',
    );
  });

  it('members promote and remove, and transfer-leadership with and without --to', async () => {
    const { leader, nodes } = await followerAndLeader();
    expect((await raftchart(['members', 'promote', 'n4', '--nodes', nodes])).code).toBe(0);
    expect((await raftchart(['members', 'remove', 'n 1', '--nodes', nodes])).code).toBe(0);
    expect(await raftchart(['transfer-leadership', '--to', 'n1', '--nodes', nodes])).toEqual({
      code: 0,
      out: 'node n1 leads now (term 4)',
      err: '',
    });
    expect((await raftchart(['transfer-leadership', '--nodes', nodes])).out).toBe(
      'node n3 leads now (term 4)',
    );
    expect(leader.seen.map(({ method, path, body }) => ({ method, path, body }))).toEqual([
      { method: 'POST', path: '/admin/members/n4/promote', body: undefined },
      { method: 'DELETE', path: '/admin/members/n%201', body: undefined },
      { method: 'POST', path: '/admin/transfer-leadership', body: { to: 'n1' } },
      { method: 'POST', path: '/admin/transfer-leadership', body: {} },
    ]);
  });

  it('waits out a node that knows no leader yet (503), then succeeds', async () => {
    let refusals = 2;
    const electing = await node((seen) =>
      refusals-- > 0
        ? { status: 503, body: { error: 'NoLeader', message: 'an election is under way' } }
        : leading(seen),
    );
    const ran = await raftchart(['members', 'promote', 'n4', '--nodes', electing.url]);
    expect(ran.code).toBe(0);
    expect(electing.seen).toHaveLength(3);
  });

  it('a refusal: its message on stderr, exit code 1, no retry; 504 says how to check', async () => {
    const refusing = await node(() => ({
      status: 409,
      body: {
        error: 'MembershipChangeRefused',
        message: 'node n2 did not change the membership: n9 is not a member',
      },
    }));
    expect(await raftchart(['members', 'remove', 'n9', '--nodes', refusing.url])).toEqual({
      code: 1,
      out: '',
      err: 'raftchart: node n2 did not change the membership: n9 is not a member',
    });
    expect(refusing.seen).toHaveLength(1);
    const unknown = await node(() => ({
      status: 504,
      body: { error: 'OutcomeUnknown', message: 'not committed within 5000 ms', index: 12 },
    }));
    const ran = await raftchart(['members', 'remove', 'n3', '--nodes', unknown.url]);
    expect(ran.code).toBe(1);
    expect(ran.err).toMatch(/not committed within 5000 ms; `raftchart members list` shows whether it did/);
  });

  it('refuses an address that is not host:port before sending anything', async () => {
    const leader = await node(leading);
    await expect(raftchart(['members', 'add', 'n4', 'nowhere', '--nodes', leader.url])).rejects.toThrow(
      /expected host:port/,
    );
    expect(leader.seen).toEqual([]);
  });
});
