/**
 * `raftchart replay <files...>`: re-runs each recording (one per node, from `raftchart node
 * --record`) through the pure machine and checks that every step reproduces what the node
 * did. Prints one summary per file; exits 0 when every step of every file reproduced its
 * outputs, 1 at the first divergence or unreadable file.
 */
import { readFile } from 'node:fs/promises';
import type { RaftState } from '../../machines/index.js';
import { RecordingParseError, parseRecording } from '../inspect/recording.js';
import type { ReplayResult } from '../inspect/replay.js';
import { describeDivergence, replayRecording } from '../inspect/replay.js';

export interface ReplayOutput {
  /** A line of the report. */
  readonly out: (line: string) => void;
  /** A line about a file that could not be replayed at all. */
  readonly err: (line: string) => void;
}

/** Replays every file; resolves with the exit code. */
export async function replayFiles(paths: readonly string[], output: ReplayOutput): Promise<number> {
  let failed = 0;
  let first: string | null = null;
  for (const path of paths) {
    let result: ReplayResult;
    try {
      result = replayRecording(parseRecording(await readFile(path, 'utf8'), path), { keepSteps: false });
    } catch (error) {
      if (!(error instanceof RecordingParseError) && !isFileError(error)) throw error;
      output.err(
        `raftchart replay: ${error instanceof RecordingParseError ? error.message : `cannot read ${path}: ${error.message}`}`,
      );
      failed++;
      first ??= `${path}, unreadable`;
      continue;
    }
    output.out(summary(result));
    for (const section of result.sections) {
      if (section.tornLine !== null) {
        output.out(`  line ${section.tornLine} was cut off (the node crashed mid-write): skipped`);
      }
    }
    if (result.divergence !== null) {
      failed++;
      first ??= `${result.name}:${result.divergence.line}`;
      output.out(`  ${describeDivergence(result.divergence)}`);
    }
  }
  if (first === null) {
    output.out(`every step of ${plural(paths.length, 'recording')} reproduced its outputs`);
    return 0;
  }
  output.out(`${failed} of ${plural(paths.length, 'recording')} did not replay (the first: ${first})`);
  return 1;
}

function summary(result: ReplayResult): string {
  const starts = result.sections.length;
  const verdict = result.ok ? 'every step reproduced' : 'DIVERGED';
  // Where the replay got to: the node's end, or the step before the divergence.
  const section = result.sections.find((s) => s.divergence !== null) ?? result.sections.at(-1);
  const end = section?.final ?? null;
  return (
    `${result.name}: node ${result.node}, ${plural(starts, 'start')}, ` +
    `${plural(result.replayed, 'input')} replayed, ${verdict}; ${result.ok ? 'ends' : 'was'} ${describeState(end)}`
  );
}

function describeState(state: RaftState | null): string {
  if (state === null) return 'not started';
  const { currentTerm, commitIndex, log } = state.context;
  return `${state.role} in term ${currentTerm}, commit index ${commitIndex}, last log index ${log.lastIndex}`;
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

function isFileError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}
