/**
 * The key/value service's commands and results, as they sit in the Raft log, and the
 * checks of their parts. `parseKvCommand` is total: a log may hold anything (an entry
 * written by another version, or proposed around the service), and applying it must never
 * throw, so whatever is not a command is applied as nothing, on every node alike.
 */
import { utf8Bytes } from '../utf8-bytes.js';
import { InvalidKeyError, InvalidSessionError, InvalidValueError } from './kv-errors.js';

/** A client's request number: a client sends one request at a time, numbered from 1 up. */
export interface KvSession {
  readonly client: string;
  readonly seq: number;
}

export type KvCommand =
  | { readonly kv: 'put'; readonly key: string; readonly value: string; readonly session?: KvSession }
  | { readonly kv: 'append'; readonly key: string; readonly value: string; readonly session?: KvSession }
  | { readonly kv: 'delete'; readonly key: string; readonly session?: KvSession }
  | {
      readonly kv: 'cas';
      readonly key: string;
      /** null: the key must be absent. */
      readonly expected: string | null;
      readonly value: string;
      readonly session?: KvSession;
    }
  /** A read through the log (consistency 'log'). */
  | { readonly kv: 'get'; readonly key: string; readonly session?: KvSession };

export type KvResult =
  /** null: no such key. */
  | { readonly kv: 'get'; readonly value: string | null }
  | { readonly kv: 'put' }
  | { readonly kv: 'append' }
  | { readonly kv: 'delete'; readonly existed: boolean }
  /** `value`: what the key holds after the command (null: absent). */
  | { readonly kv: 'cas'; readonly swapped: boolean; readonly value: string | null }
  /** The session's seq is older than the client's last applied one: superseded, nothing done. */
  | { readonly kv: 'stale'; readonly lastSeq: number }
  /** A log entry that is not a KvCommand: applied as nothing. */
  | { readonly kv: 'invalid'; readonly message: string };

export type KvOp = KvCommand['kv'];
/** The result of a command of kind `K` that was applied (neither stale nor invalid). */
export type KvResultOf<K extends KvOp> = Extract<KvResult, { readonly kv: K }>;

export const MAX_KEY_BYTES = 1024;
export const MAX_CLIENT_BYTES = 256;

/** Why `key` is not a key, or null if it is one. */
export function keyProblem(key: unknown): string | null {
  return textProblem('key', key, MAX_KEY_BYTES);
}

/** Throws InvalidKeyError unless `key` is 1..1024 bytes of UTF-8 with no control characters. */
export function validateKey(key: unknown): asserts key is string {
  const problem = keyProblem(key);
  if (problem !== null) throw new InvalidKeyError(problem);
}

/** Why `value` is not a value, or null if it is one (any string: the node bounds its size). */
export function valueProblem(value: unknown): string | null {
  return typeof value === 'string' ? null : `the value is ${describe(value)}, not a string: send text`;
}

/** Throws InvalidValueError unless `value` is a string. */
export function validateValue(value: unknown): asserts value is string {
  const problem = valueProblem(value);
  if (problem !== null) throw new InvalidValueError(problem);
}

/** Why `session` is not a session, or null if it is one. */
export function sessionProblem(session: unknown): string | null {
  if (!isRecord(session)) return `the session is ${describe(session)}, not an object { client, seq }`;
  const extra = Object.keys(session).find((field) => field !== 'client' && field !== 'seq');
  if (extra !== undefined)
    return `the session has an unknown field ${JSON.stringify(extra)}: give only client and seq`;
  const clientProblem = textProblem('client id', session.client, MAX_CLIENT_BYTES);
  if (clientProblem !== null) return clientProblem;
  const { seq } = session;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
    return `the session's seq is ${describe(seq)}: number a client's requests 1, 2, 3... (a safe integer >= 1)`;
  }
  return null;
}

/** Throws InvalidSessionError unless `session` is { client: 1..256 bytes, seq: integer >= 1 }. */
export function validateSession(session: unknown): asserts session is KvSession {
  const problem = sessionProblem(session);
  if (problem !== null) throw new InvalidSessionError(problem);
}

const FIELDS: Readonly<Record<KvOp, readonly string[]>> = {
  put: ['kv', 'key', 'value', 'session'],
  append: ['kv', 'key', 'value', 'session'],
  delete: ['kv', 'key', 'session'],
  cas: ['kv', 'key', 'expected', 'value', 'session'],
  get: ['kv', 'key', 'session'],
};

/**
 * `value` as a KvCommand (a fresh copy holding only its fields), or why it is not one.
 * Never throws. Unknown fields are refused, so that no two versions read one entry apart.
 */
export function parseKvCommand(value: unknown): KvCommand | { readonly invalid: string } {
  const invalid = (message: string) => ({ invalid: message });
  if (!isRecord(value)) return invalid(`the command is ${describe(value)}, not a key/value command object`);
  const op = value.kv;
  if (typeof op !== 'string' || !Object.hasOwn(FIELDS, op)) {
    return invalid(`the command's kv is ${describe(op)}, not one of ${Object.keys(FIELDS).join(', ')}`);
  }
  const kind = op as KvOp;
  const extra = Object.keys(value).find((field) => !FIELDS[kind].includes(field));
  if (extra !== undefined)
    return invalid(`the ${kind} command has an unknown field ${JSON.stringify(extra)}`);
  const problem = keyProblem(value.key);
  if (problem !== null) return invalid(problem);
  const key = value.key as string;
  let session: KvSession | undefined;
  if (value.session !== undefined) {
    const bad = sessionProblem(value.session);
    if (bad !== null) return invalid(bad);
    const s = value.session as KvSession;
    session = { client: s.client, seq: s.seq };
  }
  const withSession = session === undefined ? {} : { session };
  if (kind === 'delete' || kind === 'get') return { kv: kind, key, ...withSession };
  const badValue = valueProblem(value.value);
  if (badValue !== null) return invalid(badValue);
  const text = value.value as string;
  if (kind === 'put' || kind === 'append') return { kv: kind, key, value: text, ...withSession };
  const { expected } = value;
  if (expected !== null && typeof expected !== 'string') {
    return invalid(`the cas command's expected is ${describe(expected)}: a string, or null for "absent"`);
  }
  return { kv: 'cas', key, expected, value: text, ...withSession };
}

/** Whether `value` is a KvResult (a snapshot's cached results are checked with it). */
export function isKvResult(value: unknown): value is KvResult {
  if (!isRecord(value)) return false;
  const fields = Object.keys(value).length;
  const isText = (v: unknown) => typeof v === 'string';
  const isTextOrNull = (v: unknown) => v === null || typeof v === 'string';
  switch (value.kv) {
    case 'get':
      return fields === 2 && isTextOrNull(value.value);
    case 'put':
    case 'append':
      return fields === 1;
    case 'delete':
      return fields === 2 && typeof value.existed === 'boolean';
    case 'cas':
      return fields === 3 && typeof value.swapped === 'boolean' && isTextOrNull(value.value);
    case 'stale':
      return fields === 2 && Number.isSafeInteger(value.lastSeq);
    case 'invalid':
      return fields === 2 && isText(value.message);
    default:
      return false;
  }
}

/** A key or client id: a string of 1..maxBytes bytes of UTF-8 with no control character. */
function textProblem(what: string, text: unknown, maxBytes: number): string | null {
  if (typeof text !== 'string') return `the ${what} is ${describe(text)}, not a string`;
  if (text.length === 0) return `the ${what} is empty: give it at least one character`;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x20 || unit === 0x7f) {
      return (
        `the ${what} holds the control character U+${unit.toString(16).toUpperCase().padStart(4, '0')} ` +
        `at position ${i}: use printable characters only`
      );
    }
    if (unit >= 0xd800 && unit <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
      else return `the ${what} holds a lone surrogate at position ${i}, which UTF-8 cannot encode`;
    }
  }
  const bytes = utf8Bytes(text);
  if (bytes > maxBytes)
    return `the ${what} is ${bytes} bytes of UTF-8, over the ${maxBytes} allowed: shorten it`;
  return null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short description of a wrong value for a message. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    return value.length <= 40 ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, 37))}...`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'undefined' ? 'missing' : `a ${typeof value}`;
}
