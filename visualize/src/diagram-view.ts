/**
 * The statechart diagram generated from the machine (src/inspect/diagram-svg.ts lays it out
 * and draws it), with the page's marks on it: each state a node is in gets class `lit` and
 * `data-lit-nodes` (those nodes' ids, in order) and a marker per node in its own colour;
 * the transitions taken lately get class `taken`. The diagram is loaded on its own (the
 * layout library is large), so the cluster is drawn before it arrives.
 */
import type { NodeId } from '../../machines/index.js';
import { nodeColour } from './colors.js';
import { button, s, scrollWithin, setAttr } from './dom.js';
import type { OutlineTransition } from './transition-match.js';
import { parseOutlineLine, takenTransitions } from './transition-match.js';
import type { ViewState } from './view-state.js';

/** A step's transition stays marked this long (real ms, growing slower than the speed). */
const TAKEN_VISIBLE_REAL_MS = 900;
/**
 * The taken marks change at most this often (real ms): at 10x the chart takes transitions
 * every frame, and each change repaints the large diagram.
 */
const TAKEN_REFRESH_MS = 150;

export class DiagramView {
  readonly element: HTMLElement;
  /** Fit the panel, or the diagram's own size (scrolling). */
  readonly zoom: HTMLButtonElement;
  #svg: SVGSVGElement | null = null;
  #states = new Map<string, SVGGElement>();
  #transitions = new Map<string, Element[]>();
  #chart: OutlineTransition[] = [];
  #lit = '';
  #taken = new Set<string>();
  #takenAt = Number.NEGATIVE_INFINITY;

  constructor(element: HTMLElement) {
    this.element = element;
    this.zoom = button('zoom', 'Actual size', 'the diagram at its own size, or fitted');
    this.zoom.classList.add('zoom');
    this.zoom.hidden = true;
    this.zoom.addEventListener('click', () => {
      const actual = this.element.classList.toggle('actual');
      this.zoom.textContent = actual ? 'Fit' : 'Actual size';
      if (actual) this.#scrollToLit();
    });
  }

  /** Shows the diagram (an `<svg>` document as text, from the diagram module). */
  show(svgText: string): void {
    const doc = new DOMParser().parseFromString(svgText, 'image/svg+xml');
    const svg = doc.documentElement;
    if (!(svg instanceof SVGSVGElement)) throw new Error('the statechart diagram is not an <svg> document');
    const node = document.importNode(svg, true);
    // Fitted by CSS; its own size is kept for "actual size".
    node.style.setProperty('--actual-width', `${node.getAttribute('width') ?? 1000}px`);
    node.removeAttribute('width');
    node.removeAttribute('height');
    this.zoom.hidden = false;
    this.element.replaceChildren(node);
    this.#svg = node;
    this.#states = new Map(
      [...node.querySelectorAll<SVGGElement>('[data-state]')].map((g) => [g.dataset.state ?? '', g]),
    );
    this.#transitions = new Map();
    for (const element of node.querySelectorAll('[data-transition]')) {
      const key = element.getAttribute('data-transition') ?? '';
      const list = this.#transitions.get(key) ?? [];
      list.push(element);
      this.#transitions.set(key, list);
    }
    this.#chart = [...this.#transitions.keys()].flatMap((key) => parseOutlineLine(key) ?? []);
    this.#lit = '';
  }

  render(state: ViewState, now: number, speed: number, selected: NodeId | null): void {
    if (this.#svg === null) return;
    this.#renderLit(state);
    const realNow = performance.now();
    if (realNow - this.#takenAt < TAKEN_REFRESH_MS) return;
    this.#takenAt = realNow;
    const visible = TAKEN_VISIBLE_REAL_MS * Math.sqrt(Math.max(speed, 0.05));
    const taken = new Set<string>();
    for (const id of state.ids) {
      if (selected !== null && id !== selected) continue;
      const node = state.nodes[id]!;
      const step = node.lastStep;
      if (!node.up || step === null || now - step.at > visible) continue;
      for (const key of takenTransitions(step, this.#chart)) taken.add(key);
    }
    for (const key of this.#taken) {
      if (!taken.has(key))
        for (const element of this.#transitions.get(key) ?? []) element.classList.remove('taken');
    }
    for (const key of taken) {
      if (!this.#taken.has(key))
        for (const element of this.#transitions.get(key) ?? []) element.classList.add('taken');
    }
    this.#taken = taken;
  }

  /** At actual size, brings the first lit leaf into view. */
  #scrollToLit(): void {
    const lit = [...this.element.querySelectorAll('.state.lit')].at(-1);
    if (lit !== undefined) scrollWithin(this.element, lit, 'center');
  }

  /** Lights each state a node is in (its leaf and the role around it), when that changes. */
  #renderLit(state: ViewState): void {
    const nodesIn = new Map<string, NodeId[]>();
    for (const id of state.ids) {
      const node = state.nodes[id]!;
      if (!node.up || node.summary === null) continue;
      const parts = node.summary.state.split('.');
      for (let depth = 1; depth <= parts.length; depth++) {
        const path = parts.slice(0, depth).join('.');
        nodesIn.set(path, [...(nodesIn.get(path) ?? []), id]);
      }
    }
    const signature = [...nodesIn].map(([path, ids]) => `${path}=${ids.join(' ')}`).join(';');
    if (signature === this.#lit) return;
    this.#lit = signature;
    for (const [path, element] of this.#states) {
      const ids = nodesIn.get(path);
      element.classList.toggle('lit', ids !== undefined);
      if (ids === undefined) element.removeAttribute('data-lit-nodes');
      else setAttr(element, 'data-lit-nodes', ids.join(' '));
      const badges = element.querySelector(':scope > .badges');
      if (badges === null) continue;
      const leaf = ![...this.#states.keys()].some((other) => other.startsWith(`${path}.`));
      badges.replaceChildren(...(leaf && ids !== undefined ? markers(state.ids, ids) : []));
    }
  }
}

/** One dot per node in the node's colour with its id, right to left from the box's corner. */
function markers(all: readonly NodeId[], ids: readonly NodeId[]): SVGGElement[] {
  return ids.map((id, i) =>
    s(
      'g',
      { class: 'node-marker', transform: `translate(${-9 - i * 21} 9)` },
      s('circle', { r: 9, fill: nodeColour(all, id) }),
      s('text', { y: 4, 'text-anchor': 'middle', fill: '#ffffff', 'font-size': 11, 'font-weight': 700 }, id),
    ),
  );
}
