/**
 * Commands are JSON values: stored in the log, written to the WAL and sent on the wire as
 * JSON text. Native `JSON.stringify` recurses, so a value nested a few thousand levels deep
 * overflows the stack wherever it is encoded. This file holds the two walks that never do:
 * a check of a value's shape, depth and encoded size (used at the door, where a proposal is
 * refused before it reaches the log), and an encoder that falls back to an explicit stack
 * when the native one runs out (so an entry that is already in a log, from before the door
 * existed, is still stored, sent and restored, never a crash loop). Pure and browser-safe.
 */

export interface JsonLimits {
  /** Nesting of arrays and objects: `1` is depth 0, `[1]` depth 1, `{"a":[1]}` depth 2. */
  readonly maxDepth: number;
  /** Bytes of the value's JSON text in UTF-8. */
  readonly maxBytes: number;
}

export type JsonCheck =
  | { readonly ok: true; readonly bytes: number; readonly depth: number }
  | { readonly ok: false; readonly problem: string };

const UNLIMITED: JsonLimits = { maxDepth: Infinity, maxBytes: Infinity };

/**
 * Whether `value` is a plain JSON value within `limits`, and its JSON text's UTF-8 size.
 * Plain means what survives a JSON round trip unchanged, since every replica but the
 * proposer sees the decoded copy: null, booleans, finite numbers, strings, arrays, and
 * objects whose prototype is Object's (or null) with no undefined, function or symbol in
 * them. Iterative: any depth is measured without recursion, and the walk stops at the
 * first limit crossed.
 */
export function checkJsonValue(value: unknown, limits: JsonLimits = UNLIMITED): JsonCheck {
  const stack: WalkItem[] = [{ value, depth: 0, parent: null, key: null }];
  let bytes = 0;
  let deepest = 0;
  const fail = (at: WalkItem | null, problem: string): JsonCheck => {
    const path = at === null ? '' : pathOf(at);
    return {
      ok: false,
      problem: `${path === '' ? 'the command' : `the command at ${shorten(path)}`} ${problem}`,
    };
  };
  while (stack.length > 0) {
    const item = stack.pop()!;
    const v = item.value;
    if (v === null) bytes += 4;
    else if (typeof v === 'boolean') bytes += v ? 4 : 5;
    else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return fail(item, `is ${v}, which JSON cannot hold`);
      bytes += String(v).length;
    } else if (typeof v === 'string') bytes += jsonStringBytes(v);
    else if (typeof v === 'object') {
      const depth = item.depth + 1;
      if (depth > limits.maxDepth) {
        return fail(null, `is nested more than ${limits.maxDepth} levels deep (maxCommandDepth): flatten it`);
      }
      deepest = Math.max(deepest, depth);
      if (Array.isArray(v)) {
        bytes += 2 + Math.max(0, v.length - 1);
        for (let i = v.length - 1; i >= 0; i--) {
          stack.push({ value: v[i], depth, parent: item, key: i });
        }
      } else {
        const proto: unknown = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null) {
          return fail(item, 'is not a plain object (a class instance, Date, Map, ...): pass plain data');
        }
        if (Object.getOwnPropertySymbols(v).length > 0) {
          return fail(item, 'has symbol keys, which JSON drops');
        }
        const keys = Object.keys(v);
        bytes += 2 + Math.max(0, keys.length - 1);
        for (let i = keys.length - 1; i >= 0; i--) {
          const key = keys[i]!;
          bytes += jsonStringBytes(key) + 1;
          stack.push({ value: (v as Record<string, unknown>)[key], depth, parent: item, key });
        }
      }
    } else {
      // undefined, functions, symbols and bigints are not JSON (or change in a round trip).
      return fail(item, `is ${typeof v === 'undefined' ? 'undefined' : `a ${typeof v}`}, not a JSON value`);
    }
    if (bytes > limits.maxBytes) {
      return fail(null, `is over ${limits.maxBytes} bytes as JSON (maxCommandBytes): make it smaller`);
    }
  }
  return { ok: true, bytes, depth: deepest };
}

/**
 * A value met on the walk, and where: its path is built from the parents only when an error
 * message needs it, not for every member of every command.
 */
interface WalkItem {
  readonly value: unknown;
  readonly depth: number;
  readonly parent: WalkItem | null;
  /** Its key in the parent: an array index or an object key; null at the root. */
  readonly key: number | string | null;
}

/** `.key` and `[i]` from the root down to `item`. */
function pathOf(item: WalkItem): string {
  const parts: string[] = [];
  for (let at: WalkItem | null = item; at !== null && at.key !== null; at = at.parent) {
    parts.push(typeof at.key === 'number' ? `[${at.key}]` : `.${at.key}`);
  }
  return parts.reverse().join('');
}

/** A path short enough for an error message. */
function shorten(path: string): string {
  return path.length <= 80 ? path : `${path.slice(0, 77)}...`;
}

const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** UTF-8 bytes of `JSON.stringify(s)`: the quotes, escapes and multi-byte characters. */
export function jsonStringBytes(s: string): number {
  // Most strings are printable ASCII with nothing to escape: one byte a character.
  if (PLAIN_ASCII.test(s)) return s.length + 2;
  let bytes = 2;
  for (let i = 0; i < s.length; i++) {
    const n = charBytes(s.charCodeAt(i), s.charCodeAt(i + 1));
    bytes += n;
    if (n === 4) i++; // a surrogate pair: two code units, one character
  }
  return bytes;
}

/**
 * `s` cut into consecutive pieces whose JSON text (quotes aside) is at most `maxBytes` each,
 * so that each fits a frame whatever its characters; a piece holds at least one character,
 * and a surrogate pair is never cut in two.
 */
export function splitJsonString(s: string, maxBytes: number): string[] {
  const pieces: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const n = charBytes(s.charCodeAt(i), s.charCodeAt(i + 1));
    if (bytes + n > maxBytes && i > start) {
      pieces.push(s.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += n;
    if (n === 4) i++;
  }
  if (start < s.length || pieces.length === 0) pieces.push(s.slice(start));
  return pieces;
}

/** Bytes the character with code unit `c` (followed by `next`) takes inside a JSON string. */
function charBytes(c: number, next: number): number {
  if (c === 0x22 || c === 0x5c) return 2;
  if (c < 0x20) return c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 2 : 6;
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c >= 0xd800 && c <= 0xdbff) return next >= 0xdc00 && next <= 0xdfff ? 4 : 6; // lone: \uXXXX
  if (c >= 0xdc00 && c <= 0xdfff) return 6;
  return 3;
}

/**
 * `JSON.stringify`, total over depth: the native encoder first (fast, and what almost every
 * value takes), and for a value too deep for the stack the same text built iteratively.
 */
export function stringifyJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error; // a cycle or a bigint: not JSON at all
    return stringifyDeep(value);
  }
}

interface Frame {
  readonly container: object;
  readonly keys: readonly string[] | null;
  next: number;
  wrote: boolean;
}

/** The same text as `JSON.stringify` (toJSON, skipped and nulled members), without recursion. */
function stringifyDeep(root: unknown): string {
  const parts: string[] = [];
  const stack: Frame[] = [];
  const ancestors = new Set<object>();
  // Writes a scalar, or opens a container; returns false for what JSON omits.
  const open = (input: unknown, key: string): boolean => {
    let v = input;
    if (typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      v = (v as { toJSON: (key: string) => unknown }).toJSON(key);
    }
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return false;
    if (typeof v === 'bigint') throw new TypeError('Do not know how to serialize a BigInt');
    if (typeof v !== 'object' || v === null) {
      parts.push(JSON.stringify(v));
      return true;
    }
    if (ancestors.has(v)) throw new TypeError('Converting circular structure to JSON');
    ancestors.add(v);
    const keys = Array.isArray(v) ? null : Object.keys(v);
    parts.push(keys === null ? '[' : '{');
    stack.push({ container: v, keys, next: 0, wrote: false });
    return true;
  };
  if (!open(root, '')) return undefined as unknown as string; // as JSON.stringify(undefined)
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const { container, keys } = frame;
    const length = keys === null ? (container as unknown[]).length : keys.length;
    if (frame.next >= length) {
      parts.push(keys === null ? ']' : '}');
      ancestors.delete(container);
      stack.pop();
      continue;
    }
    const i = frame.next++;
    if (keys === null) {
      if (frame.wrote) parts.push(',');
      frame.wrote = true;
      if (!open((container as unknown[])[i], String(i))) parts.push('null');
    } else {
      const key = keys[i]!;
      const at = parts.length;
      parts.push(`${frame.wrote ? ',' : ''}${JSON.stringify(key)}:`);
      if (open((container as Record<string, unknown>)[key], key)) frame.wrote = true;
      else parts.length = at; // an omitted member leaves no key behind
    }
  }
  return parts.join('');
}
