/**
 * The data directory's layout: log segments `wal-<seq>.log` and snapshot files
 * `snap-<seq>.snap` (the snapshot whose record starts segment `<seq>`), sequence numbers
 * as 16 decimal digits so names sort in order; `<name>.tmp` while a file is being written.
 * Anything else in the directory is left alone.
 */
import { readdir } from 'node:fs/promises';

const SEGMENT = /^wal-(\d{16})\.log$/;
const SNAPSHOT = /^snap-(\d{16})\.snap$/;
const TEMPORARY = /^snap-\d{16}\.snap\.tmp$/;

export function segmentName(seq: number): string {
  return `wal-${String(seq).padStart(16, '0')}.log`;
}

export function snapshotName(seq: number): string {
  return `snap-${String(seq).padStart(16, '0')}.snap`;
}

export function temporaryName(name: string): string {
  return `${name}.tmp`;
}

export interface DataDirListing {
  /** Segment sequence numbers, ascending. */
  readonly segments: readonly number[];
  /** Snapshot file sequence numbers, ascending. */
  readonly snapshots: readonly number[];
  /** Names of temporary files a crash left behind. */
  readonly temporaries: readonly string[];
}

export async function listDataDir(dir: string): Promise<DataDirListing> {
  const segments: number[] = [];
  const snapshots: number[] = [];
  const temporaries: string[] = [];
  for (const name of await readdir(dir)) {
    const segment = SEGMENT.exec(name);
    const snapshot = SNAPSHOT.exec(name);
    if (segment !== null) segments.push(Number(segment[1]));
    else if (snapshot !== null) snapshots.push(Number(snapshot[1]));
    else if (TEMPORARY.test(name)) temporaries.push(name);
  }
  const ascending = (a: number, b: number): number => a - b;
  return { segments: segments.sort(ascending), snapshots: snapshots.sort(ascending), temporaries };
}
