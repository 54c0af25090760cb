/** Memory storage whose writes fail, once `failWith` is set, as a full disk's do. */
import type { StorageBatch } from '../../src/node/providers.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';

export class FailingStorage extends MemoryStorage {
  failWith: Error | null = null;
  override write(batch: StorageBatch): Promise<void> {
    return this.failWith === null ? super.write(batch) : Promise.reject(this.failWith);
  }
}

/** The error a write to a full filesystem rejects with. */
export function enospc(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
}
