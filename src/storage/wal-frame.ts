/**
 * The write-ahead log's framing: each record is `u32 length | u32 crc32 | payload`, both
 * little-endian, where the payload is `length` bytes, a kind byte then the body, and the
 * checksum covers the payload. The kind byte's high bit marks the last record of a batch:
 * a batch counts only once that record is read, so a batch is durable all or nothing.
 */
import { crc32 } from 'node:zlib';

export const FRAME_HEADER_BYTES = 8;
const END_OF_BATCH = 0x80;

export const RecordKind = { hardState: 1, snapshot: 2, truncate: 3, entry: 4 } as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

const KINDS: ReadonlySet<number> = new Set(Object.values(RecordKind));

export interface RecordToWrite {
  readonly kind: RecordKind;
  /** UTF-8 text, a JSON value for every kind. */
  readonly body: string;
}

/** One batch's records as one buffer, ready for a single write; the last ends the batch. */
export function encodeBatch(records: readonly RecordToWrite[]): Buffer {
  let total = 0;
  const bodyBytes = records.map((record) => Buffer.byteLength(record.body));
  for (const bytes of bodyBytes) total += FRAME_HEADER_BYTES + 1 + bytes;
  const buffer = Buffer.allocUnsafe(total);
  let offset = 0;
  records.forEach((record, i) => {
    const length = 1 + bodyBytes[i]!;
    const payload = offset + FRAME_HEADER_BYTES;
    buffer[payload] = record.kind | (i === records.length - 1 ? END_OF_BATCH : 0);
    buffer.write(record.body, payload + 1, 'utf8');
    buffer.writeUInt32LE(length, offset);
    buffer.writeUInt32LE(crc32(buffer.subarray(payload, payload + length)), offset + 4);
    offset = payload + length;
  });
  return buffer;
}

export type FrameRead =
  | {
      readonly type: 'record';
      readonly kind: RecordKind;
      readonly endOfBatch: boolean;
      readonly body: Buffer;
      /** Where the next frame starts. */
      readonly next: number;
    }
  /** The frame runs past the end of the data: a write cut short, if this is the tail. */
  | { readonly type: 'incomplete'; readonly problem: string }
  /** The frame is whole but wrong: its checksum fails, or its header is impossible. */
  | { readonly type: 'invalid'; readonly problem: string };

/** Reads the frame at `offset` (which must be before the end of `data`). */
export function readFrame(data: Buffer, offset: number): FrameRead {
  const left = data.length - offset;
  if (left < FRAME_HEADER_BYTES) {
    return {
      type: 'incomplete',
      problem: `a record header cut short (${left} of ${FRAME_HEADER_BYTES} bytes)`,
    };
  }
  const length = data.readUInt32LE(offset);
  if (length === 0) return { type: 'invalid', problem: 'a record of length 0' };
  if (length > left - FRAME_HEADER_BYTES) {
    return {
      type: 'incomplete',
      problem: `a record cut short (${left - FRAME_HEADER_BYTES} of ${length} payload bytes)`,
    };
  }
  const start = offset + FRAME_HEADER_BYTES;
  const payload = data.subarray(start, start + length);
  if (crc32(payload) !== data.readUInt32LE(offset + 4)) {
    return { type: 'invalid', problem: 'a record whose checksum does not match its content' };
  }
  const kind = payload[0]! & ~END_OF_BATCH;
  if (!KINDS.has(kind)) return { type: 'invalid', problem: `a record of unknown kind ${kind}` };
  return {
    type: 'record',
    kind: kind as RecordKind,
    endOfBatch: (payload[0]! & END_OF_BATCH) !== 0,
    body: payload.subarray(1),
    next: start + length,
  };
}

/**
 * Whether a whole, valid record starts anywhere after `offset`: if one does, the damage at
 * `offset` is not a write cut short at the tail, since records after it were written (and
 * so made durable) after the damaged one. A false match needs a 32-bit checksum to agree
 * by chance.
 */
export function hasRecordAfter(data: Buffer, offset: number): boolean {
  for (let at = offset + 1; at + FRAME_HEADER_BYTES < data.length; at++) {
    if (readFrame(data, at).type === 'record') return true;
  }
  return false;
}

/** Whether every byte from `offset` on is zero (a file extended but never written). */
export function isZeroFrom(data: Buffer, offset: number): boolean {
  for (let at = offset; at < data.length; at++) if (data[at] !== 0) return false;
  return true;
}
