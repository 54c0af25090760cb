/**
 * The page's entry: reads the source from the URL (a seeded simulation by default, put into
 * the URL so a reload replays the run; a live cluster; recordings the reader picks), opens
 * it and shows the cluster view over it. Recordings can be opened from any mode.
 */
import { raftMachine } from '../../machines/index.js';
import type { ClusterSource } from '../../src/inspect/cluster-source.js';
import type { AppOptions } from './app.js';
import { App } from './app.js';
import { h } from './dom.js';
import { openRecordingFiles, openSource } from './open-source.js';
import type { SourceChoice } from './source-choice.js';
import { chooseSource, urlWithSeed } from './source-choice.js';
import './style.css';

const root = document.getElementById('app');
if (root === null) throw new Error('index.html has no #app element');
let current: App | null = null;

/** The statechart, laid out in the page from the machine itself (its own chunk: elkjs is large). */
async function diagramSvg(): Promise<string> {
  const { statechartSvg } = await import('../../src/inspect/diagram-svg.js');
  return statechartSvg(raftMachine);
}

function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]! % 1_000_000;
}

/** A button-like file picker: one recording file per node, several at once. */
function recordingPicker(label: string): HTMLElement {
  const input = h('input', {
    type: 'file',
    multiple: true,
    accept: '.jsonl,.json,.log,.txt,.rec,application/json,text/plain',
    'data-testid': 'recording-files',
  });
  input.addEventListener('change', () => {
    const files = [...(input.files ?? [])];
    if (files.length > 0) void showRecordings(files);
  });
  return h(
    'label',
    { class: 'file-button', title: 'recordings of the nodes (raftchart node --record)' },
    label,
    input,
  );
}

/** What the header says about the source; for a simulation, its seed and how to start another. */
function title(choice: SourceChoice, source: ClusterSource): HTMLElement {
  const open = recordingPicker('Open recordings…');
  if (choice.kind !== 'simulation') {
    return h(
      'span',
      { class: 'source' },
      h(
        'span',
        { 'data-testid': 'source' },
        source.label.startsWith(source.kind) ? source.label : `${source.kind} · ${source.label}`,
      ),
      ' ',
      open,
    );
  }
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
    ' ',
    open,
  );
}

function showError(error: unknown): void {
  const text = error instanceof Error ? error.message : String(error);
  root!.replaceChildren(
    h(
      'div',
      { class: 'fatal', 'data-testid': 'error' },
      h('h1', {}, 'raftchart'),
      h('p', {}, text),
      h('p', {}, h('a', { href: '?' }, 'Open a simulation'), ' or ', recordingPicker('open recordings…')),
    ),
  );
}

async function show(source: ClusterSource, options: AppOptions): Promise<void> {
  const previous = current;
  current = null;
  await previous?.close();
  current = new App(source, options);
  root!.replaceChildren(current.element);
}

async function showRecordings(files: readonly File[]): Promise<void> {
  try {
    const { source, notice } = await openRecordingFiles(files);
    history.replaceState(null, '', '?recording');
    const choice: SourceChoice = { kind: 'recording' };
    await show(source, {
      title: title(choice, source),
      unreliable: false,
      diagram: diagramSvg,
      playFromStart: true,
      notice,
    });
  } catch (error) {
    if (current === null) showError(error);
    else current.report(error);
  }
}

async function start(): Promise<void> {
  const choice = chooseSource(location.search, randomSeed);
  if (choice.kind === 'recording') {
    root!.replaceChildren(
      h(
        'div',
        { class: 'fatal picker' },
        h('h1', {}, 'raftchart · recordings'),
        h(
          'p',
          {},
          'Choose the recordings of the nodes, one file per node (made with raftchart node --record).',
        ),
        recordingPicker('Choose recording files…'),
      ),
    );
    return;
  }
  if (choice.kind === 'simulation' && choice.seedChosen) {
    history.replaceState(null, '', urlWithSeed(location.href, choice.seed, choice.nodes));
  }
  const source = await openSource(choice);
  await show(source, {
    title: title(choice, source),
    unreliable: choice.kind === 'simulation' && choice.unreliable,
    diagram: diagramSvg,
  });
}

addEventListener('pagehide', () => void current?.close());
start().catch(showError);
