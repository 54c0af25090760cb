/**
 * A snapshot's file: `u32 crc32 | u32 metaLength | meta | data`, little-endian, where meta
 * is the JSON array `[index, term]` (`[index, term, config]` once the snapshot records its
 * configuration; a file written before that has none and still loads), data the snapshot's
 * data as UTF-8, and the checksum covers everything after itself. Written whole to a
 * temporary name and renamed into place.
 */
import { crc32 } from 'node:zlib';
import type { ClusterConfig, SnapshotRecord } from '../../machines/index.js';
import { parseConfig } from '../entry-json.js';
import { snapshotMetaJson } from './state-size.js';

const HEADER_BYTES = 8;

export function encodeSnapshotFile(snapshot: SnapshotRecord): Buffer {
  const meta = snapshotMetaJson(snapshot);
  const metaBytes = Buffer.byteLength(meta);
  const buffer = Buffer.allocUnsafe(HEADER_BYTES + metaBytes + Buffer.byteLength(snapshot.data));
  buffer.writeUInt32LE(metaBytes, 4);
  buffer.write(meta, HEADER_BYTES, 'utf8');
  buffer.write(snapshot.data, HEADER_BYTES + metaBytes, 'utf8');
  buffer.writeUInt32LE(crc32(buffer.subarray(4)), 0);
  return buffer;
}

/** The snapshot a file holds, or a description of what is wrong with it. */
export function decodeSnapshotFile(data: Buffer): SnapshotRecord | { readonly problem: string } {
  if (data.length < HEADER_BYTES) return { problem: `a snapshot file of only ${data.length} bytes` };
  if (crc32(data.subarray(4)) !== data.readUInt32LE(0)) {
    return { problem: 'a snapshot file whose checksum does not match its content' };
  }
  const metaBytes = data.readUInt32LE(4);
  let meta: unknown;
  try {
    meta = JSON.parse(data.toString('utf8', HEADER_BYTES, HEADER_BYTES + metaBytes));
  } catch {
    meta = undefined;
  }
  if (
    !Array.isArray(meta) ||
    (meta.length !== 2 && meta.length !== 3) ||
    !Number.isSafeInteger(meta[0]) ||
    !Number.isSafeInteger(meta[1]) ||
    HEADER_BYTES + metaBytes > data.length
  ) {
    return { problem: 'a snapshot file whose index and term are malformed' };
  }
  let config: ClusterConfig | undefined;
  if (meta.length === 3) {
    config = parseConfig(meta[2]);
    if (config === undefined) return { problem: 'a snapshot file whose configuration is malformed' };
  }
  const snapshot = {
    index: meta[0] as number,
    term: meta[1] as number,
    data: data.toString('utf8', HEADER_BYTES + metaBytes),
  };
  return config === undefined ? snapshot : { ...snapshot, config };
}
