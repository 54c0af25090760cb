/**
 * InstallSnapshot on the wire: a large snapshot leaves as chunks of one request and is put
 * back together before it reaches the receiver's actor, which only ever sees whole
 * snapshots. Chunks are cut by their size as JSON (escapes and multi-byte characters
 * counted), so each fits the transport's frame whatever the data holds; offsets count
 * characters.
 */
import type { InstallSnapshot, NodeId } from '../../machines/index.js';
import { splitJsonString } from '../../machines/index.js';

/** Bytes of snapshot data per InstallSnapshot chunk, unless the options say otherwise. */
export const DEFAULT_SNAPSHOT_CHUNK = 1 << 20;

/** The chunks of one request (same rpcId); only the last (`done`) is answered. */
export function chunkSnapshot(message: InstallSnapshot, maxChunkBytes: number): InstallSnapshot[] {
  if (message.data.length * 6 <= maxChunkBytes) return [message]; // fits even if every character is escaped
  const pieces = splitJsonString(message.data, maxChunkBytes);
  if (pieces.length === 1) return [message];
  let offset = 0;
  return pieces.map((data, i) => {
    const chunk = { ...message, offset, data, done: i === pieces.length - 1 };
    offset += data.length;
    return chunk;
  });
}

interface Partial {
  /** Which snapshot the pieces belong to: term, index, term of the index. */
  readonly snapshot: string;
  readonly pieces: Map<number, string>;
  received: number;
  total: number | undefined;
}

/**
 * Reassembles chunked snapshots, per sending leader. Chunks may arrive in any order, and
 * from several requests: a leader resends the same snapshot when a probe fails before the
 * transfer ends, so pieces are gathered per snapshot (term, index, term of the index), not
 * per request, or a snapshot slower to send than a heartbeat would never complete. A
 * chunk of another snapshot replaces what was gathered.
 */
export class SnapshotAssembler {
  readonly #partial = new Map<NodeId, Partial>();

  /** The whole snapshot, as the request whose chunk completed it, once every piece is in. */
  accept(chunk: InstallSnapshot): InstallSnapshot | null {
    if (chunk.offset === 0 && chunk.done) return chunk;
    const snapshot = `${chunk.term}:${chunk.lastIncludedIndex}:${chunk.lastIncludedTerm}`;
    let partial = this.#partial.get(chunk.from);
    if (partial === undefined || partial.snapshot !== snapshot) {
      partial = { snapshot, pieces: new Map(), received: 0, total: undefined };
      this.#partial.set(chunk.from, partial);
    }
    if (!partial.pieces.has(chunk.offset)) {
      partial.pieces.set(chunk.offset, chunk.data);
      partial.received += chunk.data.length;
    }
    if (chunk.done) partial.total = chunk.offset + chunk.data.length;
    if (partial.total === undefined || partial.received !== partial.total) return null;
    this.#partial.delete(chunk.from);
    const data = [...partial.pieces].sort(([a], [b]) => a - b).map(([, piece]) => piece);
    return { ...chunk, offset: 0, data: data.join(''), done: true };
  }
}
