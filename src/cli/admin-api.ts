/**
 * The node's admin routes, on its client API beside `/kv/...`: leadership transfer and
 * membership changes (docs/membership.md, docs/leadership-transfer.md). Like the control
 * endpoints, they answer this machine's users or whoever holds the cluster secret. A node
 * that does not lead sends the client to the leader (307), as the key/value routes do.
 *
 * - `POST /admin/transfer-leadership` `{"to"?: id}` -> 200 `{leaderId, term}`
 * - `GET /admin/members` -> 200 `{voters, learners, addresses}`
 * - `POST /admin/members` `{"id", "role": "voter"|"learner", "address"?: "host:port"}` -> 200 `{index, term, config}`
 * - `POST /admin/members/<id>/promote`, `DELETE /admin/members/<id>` -> 200 `{index, term, config}`
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConfigChange, NodeId } from '../../machines/index.js';
import type { RaftNode } from '../api/raft-node.js';
import { ConfigError, LeadershipTransferError, MembershipChangeError } from '../errors.js';
import { HttpRefusal, readJsonBody, reply } from '../kv/kv-http-json.js';
import { refusalFor } from '../kv/kv-http-refusals.js';

export type AdminNode = Pick<RaftNode, 'transferLeadership' | 'changeMembership' | 'membership'>;

export interface AdminOptions {
  readonly maxBodyBytes: number;
  /** Other nodes' client API addresses (id -> host:port), for the 307 to the leader. */
  readonly peerClients: Readonly<Record<NodeId, string>>;
}

export const ADMIN_ROUTES =
  'POST /admin/transfer-leadership, GET or POST /admin/members, POST /admin/members/<id>/promote, ' +
  'DELETE /admin/members/<id>';

/** Answers a request whose path starts with `/admin/`; throws an HttpRefusal for the caller to answer. */
export async function serveAdmin(
  node: AdminNode,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  options: AdminOptions,
): Promise<void> {
  const method = request.method ?? 'GET';
  const member = /^\/admin\/members\/([^/]+)(\/promote)?$/.exec(path);
  const context = { peerClients: options.peerClients, target: request.url ?? path };
  const answer = async (work: () => Promise<unknown>) => {
    try {
      reply(response, 200, await work());
    } catch (error) {
      throw adminRefusal(error, context);
    }
  };
  if (path === '/admin/transfer-leadership') {
    allow(method, 'POST', path);
    const body = await readJsonBody(request, {
      maxBytes: options.maxBodyBytes,
      shape: '{"to"?: "<node id>"}',
      optional: true,
    });
    const to = optionalString(body, 'to');
    return answer(() => node.transferLeadership(to));
  }
  if (path === '/admin/members') {
    if (method === 'GET') return answer(() => Promise.resolve(node.membership()));
    allow(method, 'POST', path, 'GET, POST');
    const body = await readJsonBody(request, {
      maxBytes: options.maxBodyBytes,
      shape: '{"id": "<node id>", "role": "voter" | "learner", "address"?: "host:port"}',
    });
    return answer(() => node.changeMembership(addition(body)));
  }
  if (member !== null) {
    const id = decodeURIComponent(member[1]!);
    const change: ConfigChange = member[2] === undefined ? { type: 'remove', id } : { type: 'promote', id };
    allow(method, change.type === 'remove' ? 'DELETE' : 'POST', path);
    return answer(() => node.changeMembership(change));
  }
  throw new HttpRefusal(404, { error: 'NotFound', message: `use ${ADMIN_ROUTES}` });
}

function allow(method: string, expected: string, path: string, allowed = expected): void {
  if (method === expected || allowed.split(', ').includes(method)) return;
  throw new HttpRefusal(
    405,
    { error: 'MethodNotAllowed', message: `use ${allowed} ${path}` },
    { allow: allowed },
  );
}

function optionalString(body: unknown, field: string): string | undefined {
  if (body === undefined) return undefined;
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[field] : null;
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.length > 0) return value;
  throw new HttpRefusal(400, {
    error: 'BadRequest',
    message: `"${field}" must be a node id (a non-empty string)`,
  });
}

/** `{"id", "role", "address"?}` as a change; the address as the transport's ws:// URL. */
function addition(body: unknown): ConfigChange {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const id = optionalString(body, 'id');
  const { role, address } = fields;
  if (id === undefined || (role !== 'voter' && role !== 'learner')) {
    throw new HttpRefusal(400, {
      error: 'BadRequest',
      message: 'the body must be {"id": "<node id>", "role": "voter" | "learner", "address"?: "host:port"}',
    });
  }
  if (
    address !== undefined &&
    (typeof address !== 'string' || !/^(wss?:\/\/)?[^\s/]+:[0-9]{1,5}$/.test(address))
  ) {
    throw new HttpRefusal(400, {
      error: 'BadRequest',
      message: `"address" must be where the new node's peers reach it, host:port, got ${JSON.stringify(address)}`,
    });
  }
  const url =
    typeof address === 'string' ? (/^wss?:\/\//.test(address) ? address : `ws://${address}`) : undefined;
  return {
    type: role === 'voter' ? 'addVoter' : 'addLearner',
    id,
    ...(url === undefined ? {} : { address: url }),
  };
}

/** The HTTP answer to what a transfer or a membership change failed with. */
function adminRefusal(
  error: unknown,
  context: { peerClients: Readonly<Record<NodeId, string>>; target: string },
): unknown {
  if (error instanceof LeadershipTransferError) {
    return new HttpRefusal(409, { error: 'TransferFailed', message: error.message, target: error.target });
  }
  if (error instanceof MembershipChangeError) {
    return error.index === null
      ? new HttpRefusal(409, { error: 'MembershipChangeRefused', message: error.message })
      : new HttpRefusal(504, {
          error: 'OutcomeUnknown',
          message: `${error.message} (GET /admin/members)`,
          index: error.index,
        });
  }
  if (error instanceof ConfigError)
    return new HttpRefusal(400, { error: 'BadRequest', message: error.message });
  const mapped = refusalFor(error, context);
  return 'unknown' in mapped ? mapped.unknown : mapped.refusal;
}
