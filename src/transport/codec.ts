/**
 * The wire codec: how a RaftMessage becomes one WebSocket frame and back. Two candidates were
 * measured (test/bench/codec.bench.ts, numbers in docs/transport.md); `WIRE_CODEC` is the one
 * the transport uses. Decoding returns `unknown`: nothing is a RaftMessage until the wire
 * schema says so.
 */
import { decode as msgpackDecode, encode as msgpackEncode } from '@msgpack/msgpack';
import type { RaftMessage } from '../../machines/index.js';
import { stringifyJson } from '../../machines/index.js';

export interface FrameCodec {
  readonly name: string;
  /** Whether frames travel as binary (true) or text (false) WebSocket messages. */
  readonly binary: boolean;
  encode(message: RaftMessage): Buffer;
  /** Throws on bytes that are not a value of this encoding. */
  decode(frame: Buffer): unknown;
}

/** JSON text frames, UTF-8; encoding never overflows the stack, whatever a command's depth. */
export const JSON_FRAME_CODEC: FrameCodec = {
  name: 'json',
  binary: false,
  encode: (message) => Buffer.from(stringifyJson(message), 'utf8'),
  decode: (frame) => JSON.parse(frame.toString('utf8')) as unknown,
};

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
