/**
 * The page's entry: reads the source from the URL (a seeded simulation by default, put into
 * the URL so a reload replays the run), opens it and shows the cluster view over it.
 */
import { raftMachine } from '../../machines/index.js';
import { App } from './app.js';
import { h } from './dom.js';
import { openSource } from './open-source.js';
import type { SourceChoice } from './source-choice.js';
import { chooseSource, urlWithSeed } from './source-choice.js';
import './style.css';

const root = document.getElementById('app');
if (root === null) throw new Error('index.html has no #app element');

/** The statechart, laid out in the page from the machine itself (its own chunk: elkjs is large). */
async function diagramSvg(): Promise<string> {
  const { statechartSvg } = await import('../../src/inspect/diagram-svg.js');
  return statechartSvg(raftMachine);
}

function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]! % 1_000_000;
}

/** What the header says about the source; for a simulation, its seed and how to start another. */
function title(choice: SourceChoice, label: string): HTMLElement {
  if (choice.kind !== 'simulation') return h('span', { class: 'source', 'data-testid': 'source' }, label);
  const fresh = new URL(location.href);
  fresh.searchParams.delete('seed');
  return h(
    'span',
    { class: 'source' },
    'simulation · ',
    h(
      'strong',
      { 'data-testid': 'seed', title: 'reload, or open this URL, to replay the same run' },
      `seed ${choice.seed}`,
    ),
    ` · ${choice.nodes} nodes · `,
    h('a', { href: fresh.toString(), title: 'a new run with a random seed' }, 'new seed'),
  );
}

function showError(error: unknown): void {
  const text = error instanceof Error ? error.message : String(error);
  root!.replaceChildren(
    h('div', { class: 'fatal', 'data-testid': 'error' }, h('h1', {}, 'raftchart'), h('p', {}, text)),
  );
}

async function start(): Promise<void> {
  const choice = chooseSource(location.search, randomSeed);
  if (choice.kind === 'simulation' && choice.seedChosen) {
    history.replaceState(null, '', urlWithSeed(location.href, choice.seed, choice.nodes));
  }
  const source = await openSource(choice);
  const app = new App(source, {
    title: title(choice, source.label),
    unreliable: choice.kind === 'simulation' && choice.unreliable,
    diagram: diagramSvg,
  });
  root!.replaceChildren(app.element);
  addEventListener('pagehide', () => void app.close());
}

start().catch(showError);
