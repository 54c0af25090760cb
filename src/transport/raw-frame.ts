/** The bytes of one received WebSocket message, whatever form ws handed them in. */
import type { RawData } from 'ws';

export function frameBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
