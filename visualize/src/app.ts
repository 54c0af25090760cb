/**
 * The cluster view over one ClusterSource: it keeps every event the source emits, and once
 * per animation frame applies the frame's events to the view state and draws it (the
 * cluster, the diagram, the node cards, the logs, the timeline, the selected node). The
 * source is all it knows: a simulation, a live cluster and a recording look the same.
 */
import type { NodeId } from '../../machines/index.js';
import type { ClusterSource } from '../../src/inspect/cluster-source.js';
import { ClusterView } from './cluster-view.js';
import { ControlsBar } from './controls-bar.js';
import { DiagramView } from './diagram-view.js';
import { DisplayClock } from './display-clock.js';
import { h, setText } from './dom.js';
import { EventStore } from './event-store.js';
import { FrameStats } from './frame-stats.js';
import { Inspector } from './inspector.js';
import type { LinkControl, Links } from './link-changes.js';
import { linkChange, linksAfter } from './link-changes.js';
import { LogGrid } from './log-grid.js';
import type { NodeAction } from './node-cards.js';
import { NodeCards } from './node-cards.js';
import { StatusLine } from './status-line.js';
import { TimelineView } from './timeline-view.js';
import type { ViewEvent, ViewState } from './view-state.js';
import { linkKey } from './view-state.js';

/** How often (real ms) the text panels follow the clock: the inspector, the timeline, the header. */
const TEXT_EVERY_MS = 50;

export interface AppOptions {
  /** Where the source's name goes: the seed of a simulation (`data-testid="seed"`). */
  readonly title: HTMLElement;
  readonly unreliable: boolean;
  /** Loads the statechart diagram as SVG text (separately: the layout library is large). */
  readonly diagram: () => Promise<string>;
  /** Start at the first event and play the history (a recording), rather than follow the newest. */
  readonly playFromStart?: boolean;
  /** Said in the status line at the start (how recordings replayed, say). */
  readonly notice?: { readonly text: string; readonly error: boolean };
}

export class App {
  readonly element: HTMLElement;
  readonly #source: ClusterSource;
  readonly #store: EventStore;
  readonly #pending: ViewEvent[] = [];
  readonly #clock = new DisplayClock();
  readonly #stats = new FrameStats();
  readonly #status = new StatusLine();
  readonly #cluster: ClusterView;
  readonly #diagram: DiagramView;
  readonly #cards: NodeCards;
  readonly #logs = new LogGrid();
  readonly #timeline: TimelineView;
  readonly #inspector = new Inspector();
  readonly #controls: ControlsBar;
  readonly #clockText = h('span', { class: 'clock', 'data-testid': 'clock' });
  readonly #statsText = h('span', { class: 'stats', title: 'frames drawn and events received per second' });
  readonly #unsubscribe: () => void;
  /** Events shown (the first n); null: the newest, following the source. */
  #viewing: number | null = null;
  /** What the page did to the links so far (recorded into the event stream as it does it). */
  #links: Links = { disconnected: new Set(), cut: new Set() };
  #viewed: ViewState | null = null;
  /** Playing the history back: the time shown, on the source's clock; null when not playing. */
  #playAt: number | null = null;
  #lastReal: number | null = null;
  #playFromStart: boolean;
  #selected: NodeId | null = null;
  #chosen = false;
  #frame = 0;
  #textAt = Number.NEGATIVE_INFINITY;
  #closed = false;

  constructor(source: ClusterSource, options: AppOptions) {
    this.#source = source;
    this.#store = new EventStore(source.ids);
    const { controls } = source;
    this.#cluster = new ClusterView({
      select: (id) => this.#select(id),
      toggleLink:
        controls.setLink === undefined ? null : (from, to, both) => this.#toggleLink(from, to, both),
    });
    const diagramHost = h('div', { class: 'diagram', 'data-testid': 'diagram' });
    this.#diagram = new DiagramView(diagramHost);
    const actions: Partial<Record<NodeAction, (id: NodeId) => void>> = {};
    const { crash, restart, timeoutNow, disconnect, reconnect } = controls;
    if (crash !== undefined) actions.crash = (id) => this.#act(`crash ${id}`, () => crash(id));
    if (restart !== undefined) {
      actions.restart = (id) => this.#act(`restart ${id}`, () => restart(id), { kind: 'restart', id });
    }
    if (timeoutNow !== undefined) actions.timeout = (id) => this.#act(`time out ${id}`, () => timeoutNow(id));
    if (disconnect !== undefined) {
      actions.disconnect = (id) =>
        this.#act(`disconnect ${id}`, () => disconnect(id), { kind: 'disconnect', id });
    }
    if (reconnect !== undefined) {
      actions.reconnect = (id) =>
        this.#act(`reconnect ${id}`, () => reconnect(id), { kind: 'reconnect', id });
    }
    this.#cards = new NodeCards({ select: (id) => this.#select(id), actions });
    this.#timeline = new TimelineView({
      seek: (count) => this.#seek(count),
      play: () => this.#togglePlay(),
    });
    this.#playFromStart = options.playFromStart === true;
    if (options.notice !== undefined) {
      if (options.notice.error) this.#status.error(options.notice.text);
      else this.#status.done(options.notice.text);
    }
    this.#controls = new ControlsBar({
      ids: source.ids,
      controls,
      time: source.time,
      unreliable: options.unreliable,
      act: (label, work, links) => this.#act(label, work, links),
    });
    this.element = h(
      'div',
      { class: 'app' },
      h(
        'header',
        { class: 'top' },
        h('h1', {}, 'raftchart'),
        options.title,
        this.#clockText,
        this.#statsText,
      ),
      h('div', { class: 'bar' }, this.#controls.element, this.#status.element),
      h(
        'main',
        { class: 'grid' },
        panel('cluster-panel', 'Cluster', this.#cluster.element, legend()),
        panel('diagram-panel', 'Statechart (generated from raftMachine)', this.#diagram.zoom, diagramHost),
        panel('cards-panel', 'Nodes', this.#cards.element),
        panel('logs-panel', 'Logs', this.#logs.element),
        panel('timeline-panel', 'Timeline', this.#timeline.element),
        panel('inspector-panel', 'Selected node', this.#inspector.element),
      ),
    );
    this.#unsubscribe = source.subscribe((event) => this.#pending.push(event));
    options.diagram().then(
      (svg) => {
        if (!this.#closed) this.#diagram.show(svg);
      },
      (error: unknown) => this.#status.error(`the statechart diagram could not be drawn: ${message(error)}`),
    );
    this.#frame = requestAnimationFrame((now) => this.#draw(now));
  }

  /** Says in the status line that something the reader asked for failed. */
  report(error: unknown): void {
    this.#status.error(message(error));
  }

  async close(): Promise<void> {
    this.#closed = true;
    cancelAnimationFrame(this.#frame);
    this.#unsubscribe();
    await this.#source.close();
  }

  #draw(realNow: number): void {
    if (this.#closed) return;
    const arrived = this.#pending.length;
    for (const event of this.#pending) this.#store.push(event);
    this.#pending.length = 0;
    this.#stats.frame(realNow, arrived);
    const head = this.#store.head;
    const time = this.#source.time;
    const speed = time?.speed ?? 1;
    const headNow = this.#clock.sample(
      realNow,
      Math.max(time?.now() ?? head.at, head.at),
      speed,
      time === null ? true : !time.paused,
    );
    if (this.#playFromStart && head.count > 0) {
      this.#playFromStart = false;
      this.#startPlaying();
    }
    this.#advancePlay(realNow, speed);
    const state = this.#viewing === null ? head : (this.#viewed ??= this.#store.stateAt(this.#viewing));
    const now = this.#viewing === null ? headNow : Math.max(state.at, this.#playAt ?? state.at);
    if (!this.#chosen && this.#selected === null) {
      const leader = state.ids.find(
        (id) => state.nodes[id]!.up && state.nodes[id]!.summary?.role === 'leader',
      );
      if (leader !== undefined) this.#selected = leader;
    }
    this.#cluster.render({ state, now, speed, selected: this.#selected });
    // Transitions taken: every node's, or only the one the reader picked (not one picked for them).
    this.#diagram.render(state, now, speed, this.#chosen ? this.#selected : null);
    this.#cards.render(state, this.#selected);
    this.#logs.render(state);
    this.#controls.render();
    // Text that changes with the clock is laid out again whenever it changes: 20 times a
    // second is enough to read, and leaves the frames to the drawing.
    if (realNow - this.#textAt >= TEXT_EVERY_MS || this.#viewing !== null) {
      this.#textAt = realNow;
      this.#inspector.render(state, now, this.#selected);
      this.#timeline.render(this.#store, this.#viewing, now, head.origin ?? 0, this.#playAt !== null);
      setText(this.#clockText, `t=${((now - (head.origin ?? 0)) / 1000).toFixed(3)}s`);
      const { fps, eventsPerSecond } = this.#stats.stats;
      setText(this.#statsText, `${fps} fps · ${eventsPerSecond} events/s · ${this.#store.count} events`);
    }
    this.#frame = requestAnimationFrame((next) => this.#draw(next));
  }

  #select(id: NodeId): void {
    this.#selected = id;
    this.#chosen = true;
  }

  #seek(count: number | null): void {
    this.#playAt = null;
    this.#show(count);
  }

  #show(count: number | null): void {
    const viewing = count === null || count >= this.#store.count ? null : count;
    if (viewing !== this.#viewing) this.#viewed = null;
    this.#viewing = viewing;
  }

  /** Plays the history from what is shown (from the start when following the newest). */
  #togglePlay(): void {
    if (this.#playAt !== null) this.#playAt = null;
    else this.#startPlaying();
  }

  #startPlaying(): void {
    const from = this.#viewing === null ? this.#store.first : this.#viewing;
    this.#playAt = this.#store.stateAt(from).at;
    this.#lastReal = null;
    this.#show(from);
  }

  /** Moves the playback on by the real time since the last frame, at the source's speed. */
  #advancePlay(realNow: number, speed: number): void {
    if (this.#playAt === null) return;
    const elapsed = this.#lastReal === null ? 0 : Math.min(realNow - this.#lastReal, 100);
    this.#lastReal = realNow;
    this.#playAt += elapsed * speed;
    const count = this.#store.countAt(this.#playAt);
    if (count >= this.#store.count) {
      this.#playAt = null; // caught up: follow the newest again
      this.#show(null);
    } else this.#show(Math.max(count, this.#store.first));
  }

  #toggleLink(from: NodeId, to: NodeId, both: boolean): void {
    const setLink = this.#source.controls.setLink;
    if (setLink === undefined) return;
    const up = this.#links.cut.has(linkKey(from, to));
    this.#act(`${up ? 'heal' : 'cut'} link ${from} ${both ? '↔' : '→'} ${to}`, async () => {
      await setLink(from, to, up);
      this.#recordLinks({ kind: 'setLink', from, to, up });
      if (!both) return;
      await setLink(to, from, up);
      this.#recordLinks({ kind: 'setLink', from: to, to: from, up });
    });
  }

  /** Runs a control; shows it in the status line, and records what it did to the links. */
  #act(label: string, work: () => Promise<unknown> | unknown, links?: LinkControl): void {
    this.#status.busy(label);
    Promise.resolve()
      .then(work)
      .then(
        (result) => {
          if (links !== undefined) this.#recordLinks(links);
          this.#status.done(typeof result === 'string' ? `${label}: ${result}` : label);
        },
        (error: unknown) => this.#status.error(`${label}: ${message(error)}`),
      );
  }

  #recordLinks(control: LinkControl): void {
    this.#links = linksAfter(this.#links, control, this.#source.ids);
    // After every event already received, so the stream stays in time order.
    const last = this.#pending.at(-1)?.at ?? this.#store.head.at;
    const at = Math.max(last, this.#source.time?.now() ?? last);
    this.#pending.push(linkChange(at, this.#links));
  }
}

function panel(className: string, title: string, ...children: Node[]): HTMLElement {
  return h('section', { class: `panel ${className}` }, h('h2', {}, title), ...children);
}

function legend(): HTMLElement {
  return h(
    'div',
    { class: 'legend' },
    h(
      'span',
      { class: 'key ring-key' },
      'ring: time left before the election timeout (leader: next heartbeat)',
    ),
    h('span', { class: 'key' }, 'fill: the node’s term'),
    h('span', { class: 'key msg-key request' }, 'request'),
    h('span', { class: 'key msg-key reply' }, 'reply'),
    h('span', { class: 'key msg-key delayed' }, 'delayed'),
    h('span', { class: 'key msg-key dropped' }, 'dropped'),
    h('span', { class: 'key' }, 'RV vote · HB/AE append · IS snapshot · ✓✗ answer · tN term'),
  );
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
