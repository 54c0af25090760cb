/**
 * Every node's log as a row of cells, one column per index so the same entry lines up
 * across nodes: each cell coloured by its term, solid once committed, marked once applied;
 * the snapshot as one cell at its last index with a bar after it. Rows change only the
 * cells whose entry changed, and only when the node's log, commit or snapshot did.
 */
import type { NodeId } from '../../machines/index.js';
import type { NodeSummary } from '../../src/inspect/inspect-event.js';
import { nodeColour, termColour, termInk } from './colors.js';
import { h, setAttr, setText } from './dom.js';
import type { ViewState } from './view-state.js';

const CELL = 24;
/** Columns drawn at most: the grid shows the newest ones. */
const MAX_COLUMNS = 320;

interface Row {
  readonly element: HTMLElement;
  readonly label: HTMLElement;
  readonly marks: HTMLElement;
  readonly track: HTMLElement;
  readonly commit: HTMLElement;
  readonly applied: HTMLElement;
  readonly snapshot: HTMLElement;
  readonly cells: Map<number, HTMLElement>;
  /** What the row last drew (null: nothing yet): a change of any of these redraws it. */
  key: unknown[] | null;
}

export class LogGrid {
  readonly element: HTMLElement;
  readonly #scroller: HTMLElement;
  readonly #ruler: HTMLElement;
  readonly #rows = new Map<NodeId, Row>();
  #ids: readonly NodeId[] = [];
  #lo = 1;
  #hi = 0;
  #follow = true;

  constructor() {
    this.#ruler = h('div', { class: 'log-track ruler' });
    this.#scroller = h('div', { class: 'log-scroll' });
    this.#scroller.append(
      h('div', { class: 'log-row ruler-row' }, h('span', { class: 'log-label' }, 'index'), this.#ruler),
    );
    // Stays at the newest entries until the reader scrolls back.
    this.#scroller.addEventListener('scroll', () => {
      const { scrollLeft, scrollWidth, clientWidth } = this.#scroller;
      this.#follow = scrollLeft + clientWidth >= scrollWidth - CELL;
    });
    this.element = h('div', { class: 'log-grid' }, this.#scroller);
  }

  render(state: ViewState): void {
    if (state.ids.join(' ') !== this.#ids.join(' ')) this.#build(state);
    const [lo, hi] = columns(state);
    const moved = lo !== this.#lo || hi !== this.#hi;
    this.#lo = lo;
    this.#hi = hi;
    const width = `${(hi - lo + 2) * CELL}px`;
    const shift = `translateX(${-(lo - 1) * CELL}px)`;
    if (moved) this.#drawRuler(width, shift);
    for (const id of state.ids) {
      const row = this.#rows.get(id)!;
      const node = state.nodes[id]!;
      const key = [node.summary, node.up, lo, hi];
      if (row.key !== null && row.key.every((value, i) => value === key[i])) continue;
      row.key = key;
      row.track.style.width = width;
      row.marks.style.transform = shift;
      setAttr(row.element, 'class', `log-row${node.up ? '' : ' down'}`);
      this.#drawRow(row, node.summary, lo);
    }
    if (moved && this.#follow) this.#scroller.scrollLeft = this.#scroller.scrollWidth;
  }

  #build(state: ViewState): void {
    this.#ids = [...state.ids];
    for (const row of this.#rows.values()) row.element.remove();
    this.#rows.clear();
    for (const id of state.ids) {
      const label = h('span', { class: 'log-label' });
      label.append(h('span', { class: 'chip', style: `background:${nodeColour(state.ids, id)}` }), ` ${id}`);
      const commit = h('div', {
        class: 'mark commit',
        title: 'commit index: entries up to here are committed',
      });
      const applied = h('div', { class: 'mark applied', title: 'last applied: handed to the application' });
      const snapshot = h('div', { class: 'cell snapshot', title: 'snapshot' });
      const marks = h('div', { class: 'log-marks' }, snapshot, commit, applied);
      const track = h('div', { class: 'log-track' }, marks);
      const element = h('div', { class: 'log-row', 'data-testid': `log-${id}` }, label, track);
      this.#scroller.append(element);
      this.#rows.set(id, {
        element,
        label,
        marks,
        track,
        commit,
        applied,
        snapshot,
        cells: new Map(),
        key: null,
      });
    }
  }

  #drawRuler(width: string, shift: string): void {
    this.#ruler.style.width = width;
    const marks = h('div', { class: 'log-marks', style: `transform:${shift}` });
    for (let index = this.#lo; index <= this.#hi; index++) {
      // Every fifth index, and the first unless the fifth is right after it.
      if (index % 5 !== 0 && (index !== this.#lo || index % 5 === 4)) continue;
      marks.append(h('span', { class: 'tick', style: `left:${index * CELL}px` }, String(index)));
    }
    this.#ruler.replaceChildren(marks);
  }

  #drawRow(row: Row, summary: NodeSummary | null, lo: number): void {
    const first = summary === null ? 1 : Math.max(lo, summary.logStart);
    const last = summary?.lastLogIndex ?? 0;
    for (const [index, cell] of row.cells) {
      if (index >= first && index <= last) continue;
      cell.remove();
      row.cells.delete(index);
    }
    if (summary === null) {
      row.snapshot.hidden = true;
      row.commit.hidden = true;
      row.applied.hidden = true;
      return;
    }
    for (let index = first; index <= last; index++) {
      const term = summary.logTerms[index - summary.logStart] ?? 0;
      let cell = row.cells.get(index);
      if (cell === undefined) {
        cell = h('div', { class: 'cell', 'data-index': index, style: `left:${index * CELL}px` });
        row.cells.set(index, cell);
        // Cells stay in index order in the DOM (the range is contiguous: the next is index + 1).
        const next = row.cells.get(index + 1);
        if (next === undefined) row.marks.append(cell);
        else row.marks.insertBefore(cell, next);
      }
      if (cell.dataset.term !== String(term)) {
        cell.dataset.term = String(term);
        cell.style.background = termColour(term);
        cell.style.color = termInk(term);
        setText(cell, String(term));
      }
      setAttr(cell, 'data-committed', String(index <= summary.commitIndex));
      setAttr(cell, 'data-applied', String(index <= summary.appliedIndex));
      setAttr(
        cell,
        'title',
        `index ${index}, term ${term}${index <= summary.commitIndex ? ', committed' : ''}`,
      );
    }
    const snapshotShown = summary.snapshotIndex > 0 && summary.snapshotIndex >= lo;
    row.snapshot.hidden = !snapshotShown;
    if (snapshotShown) {
      row.snapshot.style.left = `${summary.snapshotIndex * CELL}px`;
      row.snapshot.style.background = termColour(summary.snapshotTerm);
      row.snapshot.style.color = termInk(summary.snapshotTerm);
      setText(row.snapshot, 'S');
      setAttr(
        row.snapshot,
        'title',
        `snapshot: entries 1-${summary.snapshotIndex} compacted (last term ${summary.snapshotTerm})`,
      );
    }
    placeMark(row.commit, summary.commitIndex, lo);
    placeMark(row.applied, summary.appliedIndex, lo);
    setAttr(row.commit, 'title', `commit index ${summary.commitIndex}`);
    setAttr(row.applied, 'title', `last applied ${summary.appliedIndex}`);
  }
}

/** A marker after the cell at `index` (hidden before the first column). */
function placeMark(mark: HTMLElement, index: number, lo: number): void {
  mark.hidden = index < lo;
  mark.style.left = `${(index + 1) * CELL}px`;
}

/** The columns shown: from the oldest index any node still holds to the newest, at most MAX_COLUMNS. */
function columns(state: ViewState): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const id of state.ids) {
    const summary = state.nodes[id]!.summary;
    if (summary === null) continue;
    lo = Math.min(lo, summary.snapshotIndex > 0 ? summary.snapshotIndex : summary.logStart);
    hi = Math.max(hi, summary.lastLogIndex);
  }
  if (!Number.isFinite(lo)) lo = 1;
  hi = Math.max(hi, lo + 15); // a few empty columns show where entries will go
  return [Math.max(lo, hi - MAX_COLUMNS + 1), hi];
}
