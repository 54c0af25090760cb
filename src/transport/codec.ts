/**
 * The wire codec: how a RaftMessage becomes one WebSocket frame and back. Two candidates were
 * measured (test/bench/codec.bench.ts, numbers in docs/transport.md); `WIRE_CODEC` is the one
 * the transport uses. Decoding returns `unknown`: nothing is a RaftMessage until the wire
 * schema says so.
 */
import { decode as msgpackDecode, encode as msgpackEncode } from '@msgpack/msgpack';
import type { RaftMessage } from '../../machines/index.js';
import { stringifyJson } from '../../machines/index.js';
import { configJson, entryCommandJson } from '../entry-json.js';

export interface FrameCodec {
  readonly name: string;
  /** Whether frames travel as binary (true) or text (false) WebSocket messages. */
  readonly binary: boolean;
  encode(message: RaftMessage): Buffer;
  /** Throws on bytes that are not a value of this encoding. */
  decode(frame: Buffer): unknown;
}

/**
 * JSON text frames, UTF-8; encoding never overflows the stack, whatever a command's depth.
 * An AppendEntries is written around its entries' commands as already encoded
 * (`entryCommandJson`), so a leader encodes each command once, not once per follower.
 */
export const JSON_FRAME_CODEC: FrameCodec = {
  name: 'json',
  binary: false,
  encode: (message) => Buffer.from(encodeJson(message), 'utf8'),
  decode: (frame) => JSON.parse(frame.toString('utf8')) as unknown,
};

function encodeJson(message: RaftMessage): string {
  if (message.type !== 'AppendEntries' || message.entries.length === 0) return stringifyJson(message);
  // The same value as stringifyJson(message), with "entries" last (and a config in its one shape).
  const head = JSON.stringify({ ...message, entries: undefined });
  const entries = message.entries.map((entry) =>
    entry.config === undefined
      ? `{"term":${entry.term},"command":${entryCommandJson(entry)}}`
      : `{"term":${entry.term},"command":${entryCommandJson(entry)},"config":${configJson(entry.config)}}`,
  );
  return `${head.slice(0, -1)},"entries":[${entries.join(',')}]}`;
}

/** MessagePack binary frames (@msgpack/msgpack). */
export const MSGPACK_FRAME_CODEC: FrameCodec = {
  name: 'msgpack',
  binary: true,
  encode: (message) => {
    const bytes = msgpackEncode(message);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  },
  decode: (frame) => msgpackDecode(frame),
};

/** The codec the transport speaks; chosen by measurement (docs/transport.md). */
export const WIRE_CODEC: FrameCodec = JSON_FRAME_CODEC;
