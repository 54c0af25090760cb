/**
 * Which data directories a node may start on (docs/storage.md, "What a data directory may
 * look like"): one with no raftchart file at all is a new node; one with a log is replayed,
 * and what a crash left behind is repaired; anything else is refused as corruption. Every
 * check comes before the first repair, so a refused directory is left exactly as it was.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { listDataDir, segmentName, snapshotName } from './data-dir.js';
import { truncateFile } from './durable-fs.js';
import { LogState } from './log-state.js';
import { openStep, StorageCorruptedError } from './storage-errors.js';
import type { ReplayResult } from './wal-replay.js';
import { replayLog } from './wal-replay.js';

/** Where storage reports what it discarded, or could not clean up after a failed write. */
export type Warn = (message: string, details: object) => void;

export type RecoveredDir = Omit<ReplayResult, 'tornTail'>;

/**
 * The state `dir` holds, once its torn tail is cut and its leftovers removed (with a
 * warning for what held state). The caller makes the removals durable.
 */
export async function recoverDataDir(
  dir: string,
  options: { readonly warn: Warn; readonly fsync: boolean },
): Promise<RecoveredDir> {
  const listing = await openStep(dir, 'listing', dir, () => listDataDir(dir));
  if (listing.segments.length === 0) {
    // Every write goes to a segment that exists (the first is created, durably, when a new
    // node opens), so a snapshot without one means the log, term and vote were lost.
    const stray = [...listing.snapshots.map(snapshotName), ...listing.temporaries];
    if (stray.length > 0) {
      throw new StorageCorruptedError(
        join(dir, stray[0]!),
        0,
        'a snapshot file but no log segment (wal-*.log): the log that records it, and the term ' +
          'and vote, are missing, so this is not a new node',
      );
    }
    return { state: new LogState(), segments: [1], lastSegmentBytes: 0, snapshotFile: undefined };
  }
  const { tornTail, ...replayed } = await replayLog(dir, listing.segments);
  const unrecorded = listing.snapshots.filter((seq) => seq > (replayed.snapshotFile ?? 0));
  for (const seq of unrecorded) checkUnrecorded(dir, seq, replayed);

  if (tornTail !== undefined) {
    await openStep(dir, 'cutting the torn tail of', tornTail.file, () =>
      truncateFile(tornTail.file, tornTail.offset, options.fsync),
    );
    options.warn(
      'storage: discarded a torn write at the end of the log (a crash while writing it)',
      tornTail,
    );
  }
  for (const seq of unrecorded) {
    options.warn('storage: discarded a snapshot file the log never recorded (a crash while writing it)', {
      file: join(dir, snapshotName(seq)),
    });
  }
  // Segments before the checkpoint, snapshots superseded or never recorded, temporary files.
  const leftovers = [
    ...listing.segments.filter((seq) => seq < replayed.segments[0]!).map(segmentName),
    ...listing.snapshots.filter((seq) => seq !== replayed.snapshotFile).map(snapshotName),
    ...listing.temporaries,
  ];
  for (const name of leftovers) {
    const file = join(dir, name);
    await openStep(dir, 'removing', file, () => rm(file, { force: true }));
  }
  return replayed;
}

/**
 * A snapshot file is renamed into place before the record that starts its segment is
 * written, so a crash in between leaves it unrecorded, for the segment that record would
 * have started: the one after the last, or the last if it was still empty. Any other
 * unrecorded snapshot means the segments that recorded it are gone.
 */
function checkUnrecorded(dir: string, seq: number, replayed: RecoveredDir): void {
  const last = replayed.segments.at(-1)!;
  const lastIsEmpty = replayed.lastSegmentBytes === 0;
  if (seq === last + 1 || (seq === last && lastIsEmpty)) return;
  throw new StorageCorruptedError(
    join(dir, snapshotName(seq)),
    0,
    `a snapshot file the log does not record, and no crash could have left it (the log ends in ` +
      `${segmentName(last)}${lastIsEmpty ? ', empty' : ''}): the segments that recorded it are missing`,
  );
}
