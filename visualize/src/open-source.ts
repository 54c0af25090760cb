/**
 * The ClusterSource for a choice: the page's only way to its data. A simulation runs here
 * in the page; a live cluster is the supervisor's nodes, watched through their feeds;
 * recordings are files the reader picks, replayed through the machine. The live and
 * recording sources are loaded only when used (the recording parser's schema validator is
 * as large as the rest of the page).
 */
import type { ClusterSource } from '../../src/inspect/cluster-source.js';
import type { RecordingSource } from '../../src/inspect/recording-source.js';
import { createSimSource } from '../../src/inspect/sim-source.js';
import type { SourceChoice } from './source-choice.js';

export async function openSource(
  choice: Exclude<SourceChoice, { kind: 'recording' }>,
): Promise<ClusterSource> {
  switch (choice.kind) {
    case 'simulation':
      return createSimSource({
        seed: choice.seed,
        nodes: choice.nodes,
        unreliable: choice.unreliable,
        speed: choice.speed,
      });
    case 'live': {
      const { connectLiveSource, fetchLiveNodes } = await import('../../src/inspect/live-source.js');
      const nodes = await fetchLiveNodes(choice.supervisorUrl).catch((error: unknown) => {
        throw new Error(
          `could not ask ${choice.supervisorUrl}/api/cluster for the cluster's nodes ` +
            `(is \`raftchart cluster\` running there?): ${error instanceof Error ? error.message : String(error)}`,
        );
      });
      return connectLiveSource({
        nodes,
        supervisorUrl: choice.supervisorUrl,
        ...(choice.token === null ? {} : { token: choice.token }),
      });
    }
  }
}

/** Recordings from files (one per node), with a line saying how they replayed. */
export async function openRecordingFiles(
  files: readonly File[],
): Promise<{ source: RecordingSource; notice: { text: string; error: boolean } }> {
  const [{ openRecordings }, { describeDivergence }] = await Promise.all([
    import('../../src/inspect/recording-source.js'),
    import('../../src/inspect/replay.js'),
  ]);
  const texts = await Promise.all(files.map(async (file) => ({ name: file.name, text: await file.text() })));
  const source = openRecordings(texts);
  const diverged = source.replays.filter((replay) => replay.divergence !== null);
  const replayed = source.replays.reduce((sum, replay) => sum + replay.replayed, 0);
  const notice =
    diverged.length === 0
      ? { text: `${files.length} recording(s) replayed exactly: ${replayed} inputs`, error: false }
      : { text: diverged.map((replay) => describeDivergence(replay.divergence!)).join('; '), error: true };
  return { source, notice };
}
