/**
 * The selected node's full context: its hard state, indexes, snapshot, votes, timers, the
 * last step it took, and for a leader each follower's replication progress (nextIndex,
 * matchIndex, probe or replicate). The tables are built when the selection (or the set of
 * rows) changes; every frame only the cells whose text changed are touched.
 */
import type { NodeId } from '../../machines/index.js';
import { nodeColour, termColour, termInk } from './colors.js';
import { h, setText } from './dom.js';
import type { NodeView, ViewState } from './view-state.js';
import { isPartitioned } from './view-state.js';
import { membershipOf, roleLabel } from './role-look.js';

type Rows = [string, string][];

export class Inspector {
  readonly element: HTMLElement;
  readonly #title = h('h3');
  readonly #facts = h('table', { class: 'facts-table' });
  readonly #progressTitle = h('h4', {}, 'replication progress');
  readonly #progress = h('table', { class: 'progress-table' });
  readonly #logTitle = h('h4');
  readonly #log = h('div', { class: 'mini-log' });
  #node: NodeId | null = null;
  #factCells: HTMLElement[] = [];
  #factNames = '';
  #progressCells: HTMLElement[] = [];
  #progressPeers = '';
  #logTerms: readonly number[] | null = null;
  #logCommit = -1;

  constructor() {
    this.element = h('div', { class: 'inspector', 'data-testid': 'inspector' });
    this.element.append(h('p', { class: 'hint' }, 'Click a node to see its full context.'));
  }

  render(state: ViewState, now: number, selected: NodeId | null): void {
    const node = selected === null ? undefined : state.nodes[selected];
    if (node === undefined) return;
    if (selected !== this.#node) this.#select(state, node);
    this.#fillFacts(facts(state, node, now));
    // A node that stepped down keeps its last progress in its context: it is a leader's only.
    const leading = node.summary?.role === 'leader';
    const progress = Object.entries(leading ? (node.summary?.progress ?? {}) : {}).map(
      ([peer, p]): [string, string, string, string] => [
        peer,
        String(p.nextIndex),
        String(p.matchIndex),
        p.mode,
      ],
    );
    this.#fillProgress(progress);
    this.#fillLog(node);
  }

  #select(state: ViewState, node: NodeView): void {
    this.#node = node.id;
    this.#title.replaceChildren(
      h('span', { class: 'chip', style: `background:${nodeColour(state.ids, node.id)}` }),
      ` node ${node.id}`,
    );
    this.#factNames = '';
    this.#progressPeers = '';
    this.#logTerms = null;
    this.element.replaceChildren(
      this.#title,
      this.#facts,
      this.#progressTitle,
      this.#progress,
      this.#logTitle,
      this.#log,
    );
  }

  #fillFacts(rows: Rows): void {
    const names = rows.map(([name]) => name).join('|');
    if (names !== this.#factNames) {
      this.#factNames = names;
      this.#factCells = [];
      this.#facts.replaceChildren(
        ...rows.map(([name]) => {
          const cell = h('td');
          this.#factCells.push(cell);
          return h('tr', {}, h('th', {}, name), cell);
        }),
      );
    }
    rows.forEach(([, value], i) => setText(this.#factCells[i]!, value));
  }

  #fillProgress(rows: [string, string, string, string][]): void {
    const peers = rows.map(([peer]) => peer).join(' ');
    this.#progressTitle.hidden = rows.length === 0;
    this.#progress.hidden = rows.length === 0;
    if (peers !== this.#progressPeers) {
      this.#progressPeers = peers;
      this.#progressCells = [];
      const head = h(
        'tr',
        {},
        ...['peer', 'nextIndex', 'matchIndex', 'mode'].map((name) => h('th', {}, name)),
      );
      this.#progress.replaceChildren(
        head,
        ...rows.map(() => {
          const cells = [h('td'), h('td'), h('td'), h('td')];
          this.#progressCells.push(...cells);
          return h('tr', {}, ...cells);
        }),
      );
    }
    rows.flat().forEach((value, i) => setText(this.#progressCells[i]!, value));
  }

  #fillLog(node: NodeView): void {
    const summary = node.summary;
    if (summary === null) return;
    if (summary.logTerms === this.#logTerms && summary.commitIndex === this.#logCommit) return;
    this.#logTerms = summary.logTerms;
    this.#logCommit = summary.commitIndex;
    setText(this.#logTitle, `log from index ${summary.logStart} (terms; faded: not committed)`);
    this.#log.replaceChildren(
      ...summary.logTerms.map((term, i) => {
        const index = summary.logStart + i;
        return h(
          'span',
          {
            class: `cell${index <= summary.commitIndex ? ' committed' : ''}`,
            style: `background:${termColour(term)};color:${termInk(term)}`,
            title: `index ${index}, term ${term}`,
          },
          String(term),
        );
      }),
    );
  }
}

function facts(state: ViewState, node: NodeView, now: number): Rows {
  const summary = node.summary;
  const up = node.up
    ? isPartitioned(state, node.id)
      ? 'yes, cut off from the others'
      : 'yes'
    : `no (${node.downReason ?? 'down'})`;
  if (summary === null) return [['up', up]];
  const rows: Rows = [
    ['up', up],
    ['role', roleLabel(summary.role)],
    ['chart state', summary.state],
    ['membership', membershipOf(node.id, summary)],
    [
      'configuration',
      `voters ${summary.voters.join(', ') || '–'}` +
        (summary.learners.length === 0 ? '' : `; learners ${summary.learners.join(', ')}`),
    ],
    ['current term', String(summary.term)],
    ['voted for', summary.votedFor ?? 'nobody'],
    ['leader', summary.leaderId ?? 'unknown'],
    [
      summary.role === 'preCandidate' ? 'pre-votes' : 'votes',
      summary.role === 'candidate' || summary.role === 'preCandidate'
        ? `${summary.votes.join(', ')} (${summary.votes.length} of ${summary.voters.length || state.ids.length})`
        : '–',
    ],
    ['leadership transfer', summary.transferTo === null ? '–' : `to ${summary.transferTo}, under way`],
    ['last log index', String(summary.lastLogIndex)],
    ['commit index', String(summary.commitIndex)],
    ['last applied', String(summary.appliedIndex)],
    [
      'snapshot',
      summary.snapshotIndex === 0 ? 'none' : `up to ${summary.snapshotIndex} (term ${summary.snapshotTerm})`,
    ],
  ];
  const timer = summary.role === 'leader' ? node.timers.heartbeatInterval : node.timers.electionTimeout;
  rows.push([
    summary.role === 'leader' ? 'next heartbeat' : 'election timeout',
    !node.up || timer === undefined
      ? 'none pending'
      : `in ${Math.max(0, Math.round(timer.deadline - now))} ms (due at ${timer.deadline} ms)`,
  ]);
  if (summary.role === 'follower') {
    // While the lease holds, this follower refuses to help unseat the leader it heard.
    const lease = node.timers.leaderLease;
    rows.push([
      'leader lease',
      !node.up
        ? '–'
        : lease !== undefined
          ? `holds, lapses in ${Math.max(0, Math.round(lease.deadline - now))} ms`
          : summary.state.endsWith('.lapsed')
            ? 'lapsed'
            : 'none pending',
    ]);
  }
  const step = node.lastStep;
  rows.push([
    'last step',
    step === null
      ? '–'
      : `${step.event} at ${step.at} ms: ${step.from ?? '(start)'} → ${step.to}` +
        (step.transitions.length === 0 ? '' : ` (${step.transitions.join('; ')})`),
  ]);
  return rows;
}
