/**
 * The ClusterSource for a choice: the page's only way to its data. A simulation runs here
 * in the page (src/inspect/sim-source.ts).
 */
import type { ClusterSource } from '../../src/inspect/cluster-source.js';
import { createSimSource } from '../../src/inspect/sim-source.js';
import type { SourceChoice } from './source-choice.js';
import { SourceChoiceError } from './source-choice.js';

export async function openSource(choice: SourceChoice): Promise<ClusterSource> {
  switch (choice.kind) {
    case 'simulation':
      return createSimSource({
        seed: choice.seed,
        nodes: choice.nodes,
        unreliable: choice.unreliable,
        speed: choice.speed,
      });
    case 'live':
      throw new SourceChoiceError('this build of the page has no live mode yet');
    case 'recording':
      throw new SourceChoiceError('this build of the page cannot open recordings yet');
  }
}
