/**
 * One card per node: role, term, vote, the leader it follows, its chart state and pending
 * timer, its log and commit indexes, and the node controls the source offers (crash,
 * restart, time out now, disconnect, reconnect). Clicking a card selects the node.
 */
import type { NodeId } from '../../machines/index.js';
import { nodeColour, termColour, termInk } from './colors.js';
import { button, h, setAttr, setText } from './dom.js';
import type { NodeView, ViewState } from './view-state.js';
import { isPartitioned } from './view-state.js';
import { membershipOf, roleLabel } from './role-look.js';

export type NodeAction = 'crash' | 'restart' | 'timeout' | 'disconnect' | 'reconnect';

export interface NodeCardHandlers {
  select(id: NodeId): void;
  /** The actions the source offers, each run on one node. */
  readonly actions: Partial<Record<NodeAction, (id: NodeId) => void>>;
}

const ACTION_LABELS: Readonly<Record<NodeAction, [string, string]>> = {
  crash: ['Crash', 'stop the node as a crash would: what it persisted survives'],
  restart: ['Restart', 'start the node again from what it persisted'],
  timeout: ['Time out', 'fire its election timer now: it starts an election'],
  disconnect: ['Cut off', 'disconnect it: cut every link to and from it'],
  reconnect: ['Reconnect', 'restore its links'],
};

interface Card {
  readonly element: HTMLElement;
  readonly role: HTMLElement;
  readonly facts: HTMLElement;
  readonly buttons: Partial<Record<NodeAction, HTMLButtonElement>>;
}

export class NodeCards {
  readonly element: HTMLElement;
  readonly #handlers: NodeCardHandlers;
  readonly #cards = new Map<NodeId, Card>();
  #ids = '';

  constructor(handlers: NodeCardHandlers) {
    this.#handlers = handlers;
    this.element = h('div', { class: 'node-cards' });
  }

  render(state: ViewState, selected: NodeId | null): void {
    if (state.ids.join(' ') !== this.#ids) this.#build(state.ids);
    for (const id of state.ids) this.#renderCard(this.#cards.get(id)!, state, state.nodes[id]!, selected);
  }

  #build(ids: readonly NodeId[]): void {
    this.#ids = ids.join(' ');
    this.#cards.clear();
    this.element.replaceChildren();
    for (const id of ids) {
      const role = h('span', { class: 'role-badge' });
      const facts = h('div', { class: 'facts' });
      const buttons: Partial<Record<NodeAction, HTMLButtonElement>> = {};
      const row = h('div', { class: 'buttons' });
      for (const [action, run] of Object.entries(this.#handlers.actions) as [
        NodeAction,
        (id: NodeId) => void,
      ][]) {
        const [label, title] = ACTION_LABELS[action];
        const element = button(`${action}-${id}`, label, title);
        element.addEventListener('click', (event) => {
          event.stopPropagation(); // not a click on the card
          run(id);
        });
        buttons[action] = element;
        row.append(element);
      }
      const name = h(
        'span',
        { class: 'name' },
        h('span', { class: 'chip', style: `background:${nodeColour(ids, id)}` }),
        h('strong', {}, ` ${id}`),
      );
      const element = h(
        'div',
        { class: 'node-card', 'data-testid': `node-${id}`, tabindex: 0 },
        name,
        role,
        facts,
        row,
      );
      element.addEventListener('click', () => this.#handlers.select(id));
      this.#cards.set(id, { element, role, facts, buttons });
      this.element.append(element);
    }
  }

  #renderCard(card: Card, state: ViewState, node: NodeView, selected: NodeId | null): void {
    const summary = node.summary;
    const role = summary?.role ?? 'follower';
    const cutOff = node.up && isPartitioned(state, node.id);
    setAttr(card.element, 'data-role', node.up ? role : 'down');
    setAttr(card.element, 'data-term', summary?.term ?? 0);
    setAttr(card.element, 'data-up', String(node.up));
    setAttr(card.element, 'data-partitioned', String(cutOff));
    setAttr(
      card.element,
      'class',
      `node-card ${node.up ? role : 'down'}${selected === node.id ? ' selected' : ''}${cutOff ? ' cut-off' : ''}`,
    );
    const term = summary?.term ?? 0;
    // A pre-candidate only polls, in no term of its own yet: its badge is the term's outline.
    const polling = node.up && role === 'preCandidate';
    card.role.style.background = polling ? '#ffffff' : node.up ? termColour(term) : '#d0d7de';
    card.role.style.color = polling ? '#1f2328' : node.up ? termInk(term) : '#57606a';
    card.role.style.boxShadow = polling ? `inset 0 0 0 1.5px ${termColour(term)}` : 'none';
    setText(card.role, node.up ? roleLabel(role) : 'down');
    setAttr(
      card.facts,
      'title',
      `chart state ${summary?.state ?? '–'}` +
        (summary === null ? '' : `; ${membershipOf(node.id, summary)}`) +
        (cutOff ? '; cut off from the others' : ''),
    );
    setText(card.facts, facts(node));
    const { restart, crash, disconnect, reconnect, timeout } = card.buttons;
    if (crash !== undefined) crash.disabled = !node.up;
    if (timeout !== undefined) timeout.disabled = !node.up || role === 'leader';
    if (restart !== undefined) restart.disabled = false;
    if (disconnect !== undefined) disconnect.hidden = state.disconnected.has(node.id);
    if (reconnect !== undefined) reconnect.hidden = !state.disconnected.has(node.id);
  }
}

/**
 * One line: term, vote, the leader it follows, and a leader's commit index (the log grid
 * below has every node's); then, when there is one, what is out of the ordinary: not a
 * voter, a transfer under way. The pending timer is the ring on the cluster drawing: text
 * counting down every frame would cost a layout each.
 */
function facts(node: NodeView): string {
  const summary = node.summary;
  if (summary === null) return 'not started';
  const last =
    summary.role === 'leader' ? `commit ${summary.commitIndex}` : `leader ${summary.leaderId ?? '–'}`;
  const parts = [`term ${summary.term}`, `vote ${summary.votedFor ?? '–'}`, last];
  const membership = membershipOf(node.id, summary);
  if (membership !== 'voter') parts.unshift(membership);
  if (summary.transferTo !== null) parts.push(`transfer → ${summary.transferTo}`);
  return parts.join(' · ');
}
