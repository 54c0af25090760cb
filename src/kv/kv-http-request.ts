/**
 * What a `/kv/...` request asks for, read from its method, raw path, query and body, or the
 * 400 (BadKey, BadRequest) or 405 that says what is wrong with it. The path is read as sent,
 * not through URL (which resolves `..` and `%2e%2e` segments): a key is exactly one path
 * segment, percent-decoded, so a `/` in a key travels as `%2F`; `.` and `..` are refused.
 */
import type { KvSession } from './kv-command.js';
import { keyProblem, sessionProblem, valueProblem } from './kv-command.js';
import { HttpRefusal } from './kv-http-json.js';
import type { Consistency } from './kv-service.js';
import { CONSISTENCIES } from './kv-service.js';

/** The route a `/kv/...` request takes, before its body is read. */
export type KvRoute =
  | { readonly op: 'get'; readonly key: string; readonly consistency: Consistency }
  /** PUT: a put, or a compare-and-set when the body has `expected`. */
  | { readonly op: 'put'; readonly key: string }
  | { readonly op: 'append'; readonly key: string }
  | { readonly op: 'delete'; readonly key: string };

/** What a write asks for, once its body is read. */
export type KvWrite =
  | { readonly op: 'put'; readonly key: string; readonly value: string; readonly session?: KvSession }
  | {
      readonly op: 'cas';
      readonly key: string;
      readonly expected: string | null;
      readonly value: string;
      readonly session?: KvSession;
    }
  | { readonly op: 'append'; readonly key: string; readonly value: string; readonly session?: KvSession }
  | { readonly op: 'delete'; readonly key: string; readonly session?: KvSession };

const KEY_METHODS = 'GET, PUT, DELETE';

/**
 * The route of a request whose path starts with `/kv` (`path`: as sent, before any `?`;
 * `query`: what follows the `?`).
 */
export function kvRoute(method: string | undefined, path: string, query: string): KvRoute {
  const rest = path === '/kv' ? '' : path.slice('/kv/'.length);
  const segments = rest.split('/');
  const append = segments.length === 2 && segments[1] === 'append';
  if (segments.length > 1 && !append) {
    throw badKey(
      `the key in ${truncate(path)} spans ${segments.length} path segments: a key is one segment, ` +
        'so send a "/" in it as %2F (encodeURIComponent)',
    );
  }
  const key = decodeKey(segments[0]!);
  if (append) {
    if (method !== 'POST') throw notAllowed('POST', `append with POST /kv/<key>/append {"value": "<text>"}`);
    return { op: 'append', key };
  }
  switch (method) {
    case 'GET':
      return { op: 'get', key, consistency: consistencyOf(query) };
    case 'PUT':
      return { op: 'put', key };
    case 'DELETE':
      return { op: 'delete', key };
    default:
      throw notAllowed(
        KEY_METHODS,
        'use GET /kv/<key> to read, PUT to set (or compare-and-set), DELETE to delete, ' +
          'and POST /kv/<key>/append to append',
      );
  }
}

/** The write a route's body asks for; `body` is undefined for an empty (optional) body. */
export function kvWrite(route: Exclude<KvRoute, { op: 'get' }>, body: unknown): KvWrite {
  const { key } = route;
  const allowed = FIELDS[route.op];
  if (route.op === 'delete' && body === undefined) return { op: 'delete', key };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest(`the body must be a JSON object ${SHAPES[route.op]}`);
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).find((field) => !allowed.includes(field));
  if (unknown !== undefined) {
    throw badRequest(`the body has an unknown field ${JSON.stringify(unknown)}: send ${SHAPES[route.op]}`);
  }
  const session = sessionOf(fields);
  const withSession = session === undefined ? {} : { session };
  if (route.op === 'delete') return { op: 'delete', key, ...withSession };
  const problem = valueProblem(fields.value);
  if (problem !== null) throw badRequest(`${problem}, as "value" in ${SHAPES[route.op]}`);
  const value = fields.value as string;
  if (route.op === 'append') return { op: 'append', key, value, ...withSession };
  if (!('expected' in fields)) return { op: 'put', key, value, ...withSession };
  const { expected } = fields;
  if (expected !== null && typeof expected !== 'string') {
    throw badRequest(
      '"expected" must be the text the key must hold for the value to be set, or null for "the key must be absent"',
    );
  }
  return { op: 'cas', key, expected, value, ...withSession };
}

/** The shape of each write's body, for messages and for readJsonBody. */
export const SHAPES: Readonly<Record<Exclude<KvRoute['op'], 'get'>, string>> = {
  put: '{"value": "<text>"} (optional: "expected": "<text>" or null for compare-and-set; "client" and "seq")',
  append: '{"value": "<text>"} (optional: "client" and "seq")',
  delete: '{"client": "<id>", "seq": <n>}, or no body',
};

const FIELDS: Readonly<Record<Exclude<KvRoute['op'], 'get'>, readonly string[]>> = {
  put: ['value', 'expected', 'client', 'seq'],
  append: ['value', 'client', 'seq'],
  delete: ['client', 'seq'],
};

/** `client` and `seq`, both or neither: a session. */
function sessionOf(fields: Record<string, unknown>): KvSession | undefined {
  const hasClient = 'client' in fields;
  const hasSeq = 'seq' in fields;
  if (!hasClient && !hasSeq) return undefined;
  if (hasClient !== hasSeq) {
    throw badRequest(
      `"client" and "seq" go together: give both (a client id and its request number 1, 2, 3...) or neither`,
    );
  }
  const session = { client: fields.client, seq: fields.seq };
  const problem = sessionProblem(session);
  if (problem !== null) throw badRequest(problem);
  return session as KvSession;
}

function decodeKey(segment: string): string {
  let key: string;
  try {
    key = decodeURIComponent(segment);
  } catch {
    throw badKey(
      `the key ${truncate(segment)} is not valid percent-encoding: encode it with encodeURIComponent`,
    );
  }
  const problem = keyProblem(key);
  if (problem !== null) {
    throw badKey(key === '' ? 'the key is missing: name it, as in /kv/<key>' : problem);
  }
  // URL libraries (browsers, fetch, curl) resolve these segments, even as %2E: no client could reach them.
  if (key === '.' || key === '..') {
    throw badKey(
      `the key ${JSON.stringify(key)} is a relative path segment to every URL library: choose another`,
    );
  }
  return key;
}

function consistencyOf(query: string): Consistency {
  const given = new URLSearchParams(query).get('consistency');
  if (given === null) return 'linearizable';
  if ((CONSISTENCIES as readonly string[]).includes(given)) return given as Consistency;
  throw badRequest(
    `consistency=${truncate(given)} is not one of ${CONSISTENCIES.join(', ')}: ` +
      'leave it out for linearizable reads',
  );
}

function badKey(message: string): HttpRefusal {
  return new HttpRefusal(400, { error: 'BadKey', message });
}

function badRequest(message: string): HttpRefusal {
  return new HttpRefusal(400, { error: 'BadRequest', message });
}

function notAllowed(allow: string, message: string): HttpRefusal {
  return new HttpRefusal(405, { error: 'MethodNotAllowed', message }, { allow });
}

function truncate(text: string): string {
  return text.length <= 60 ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, 57))}...`;
}
