/**
 * The event timeline: role changes, elections, commits and faults as a list, and a scrubber
 * over the run's time with one-event steps back and forward. Seeking shows the cluster as it
 * was after that event (the page re-reduces the events up to it); "Live" follows the newest
 * again. Entries are appended as they come, never redrawn.
 */
import { button, h, scrollWithin, setAttr, setText } from './dom.js';
import type { EventStore } from './event-store.js';

export interface TimelineHandlers {
  /** Show the state after `count` events; null: follow the newest. */
  seek(count: number | null): void;
  /** Play the history from what is shown (from the start when following), or stop playing. */
  play(): void;
}

/** Entries kept on the page at most (the oldest go first). */
const MAX_ENTRIES = 5000;

export class TimelineView {
  readonly element: HTMLElement;
  readonly #handlers: TimelineHandlers;
  readonly #list: HTMLOListElement;
  readonly #slider: HTMLInputElement;
  readonly #position: HTMLElement;
  readonly #back: HTMLButtonElement;
  readonly #forward: HTMLButtonElement;
  readonly #follow: HTMLButtonElement;
  readonly #play: HTMLButtonElement;
  readonly #items: HTMLLIElement[] = [];
  /** Index (in the event stream) of the last entry appended. */
  #lastEntry = -1;
  #marked: number | null = -1;
  #store: EventStore | null = null;
  #viewing: number | null = null;

  constructor(handlers: TimelineHandlers) {
    this.#handlers = handlers;
    this.#slider = h('input', {
      type: 'range',
      min: 0,
      max: 0,
      step: 1,
      value: 0,
      'data-testid': 'scrub',
      'aria-label': 'time in the run',
    });
    this.#back = button('event-back', '◀', 'the state one event earlier');
    this.#forward = button('event-forward', '▶', 'the state one event later');
    this.#follow = button('follow', 'Live', 'follow the newest events');
    this.#play = button('play', 'Play', 'play the history from here (from the start when live)');
    this.#position = h('span', { class: 'position', 'data-testid': 'position' });
    this.#list = h('ol', { class: 'timeline', 'data-testid': 'timeline' });
    this.element = h(
      'div',
      { class: 'timeline-view' },
      h('div', { class: 'scrub' }, this.#play, this.#back, this.#slider, this.#forward, this.#follow),
      this.#position,
      this.#list,
    );
    const seek = (count: number | null) => {
      this.#viewing = count; // two clicks within one frame step twice
      this.#handlers.seek(count);
    };
    const shown = () => this.#viewing ?? this.#store?.count ?? 0;
    const first = () => this.#store?.first ?? 0;
    this.#slider.addEventListener('input', () => {
      const store = this.#store;
      if (store !== null) seek(Math.max(store.first + 1, store.countAt(Number(this.#slider.value))));
    });
    this.#back.addEventListener('click', () => seek(Math.max(first(), shown() - 1)));
    this.#forward.addEventListener('click', () => {
      const next = shown() + 1;
      seek(next >= (this.#store?.count ?? 0) ? null : next);
    });
    this.#follow.addEventListener('click', () => seek(null));
    this.#play.addEventListener('click', () => this.#handlers.play());
    this.#list.addEventListener('click', (event) => {
      const item = (event.target as Element).closest('li');
      const index = item?.dataset.index;
      if (index !== undefined) this.#handlers.seek(Number(index) + 1);
    });
  }

  /**
   * `store` at the newest event; `viewing`: the events shown (null: all, following);
   * `viewingAt`: the time shown; `playing`: the history is being played back.
   */
  render(
    store: EventStore,
    viewing: number | null,
    viewingAt: number,
    origin: number,
    playing: boolean,
  ): void {
    this.#append(store);
    const { from, to } = store.span();
    setAttr(this.#slider, 'min', Math.floor(from));
    setAttr(this.#slider, 'max', Math.ceil(to));
    if (document.activeElement !== this.#slider) this.#slider.value = String(Math.round(viewingAt));
    this.#store = store;
    this.#viewing = viewing;
    const shown = viewing ?? store.count;
    this.#back.disabled = shown <= store.first;
    this.#forward.disabled = viewing === null;
    this.#follow.disabled = viewing === null;
    this.#follow.classList.toggle('active', viewing === null);
    setText(this.#play, playing ? 'Stop' : 'Play');
    this.#play.classList.toggle('active', playing);
    setText(
      this.#position,
      `${viewing === null ? 'newest' : playing ? 'playing back' : 'viewing the past'} · event ${shown} of ${store.count} · t=${((viewingAt - origin) / 1000).toFixed(3)}s`,
    );
    this.#mark(viewing);
  }

  #append(store: EventStore): void {
    const entries = store.timeline;
    // Entries are in stream order: start after the last one on the page.
    let start = entries.length;
    while (start > 0 && entries[start - 1]!.index > this.#lastEntry) start--;
    if (start === entries.length) return;
    const following = this.#list.scrollTop + this.#list.clientHeight >= this.#list.scrollHeight - 8;
    const fragment = document.createDocumentFragment();
    for (let i = start; i < entries.length; i++) {
      const entry = entries[i]!;
      const item = h(
        'li',
        { class: `entry ${entry.kind}`, 'data-testid': 'timeline-entry', 'data-index': entry.index },
        entry.text,
      );
      this.#items.push(item);
      fragment.append(item);
      this.#lastEntry = entry.index;
    }
    this.#list.append(fragment);
    while (this.#items.length > MAX_ENTRIES) this.#items.shift()!.remove();
    if (following) this.#list.scrollTop = this.#list.scrollHeight;
    this.#marked = -1; // new items need their marks
  }

  /** Entries after the event shown are dimmed; the last one at or before it is current. */
  #mark(viewing: number | null): void {
    if (viewing === this.#marked) return;
    this.#marked = viewing;
    let current: HTMLLIElement | null = null;
    for (const item of this.#items) {
      const future = viewing !== null && Number(item.dataset.index) >= viewing;
      item.classList.toggle('future', future);
      item.classList.remove('current');
      if (!future) current = item;
    }
    if (viewing !== null && current !== null) {
      current.classList.add('current');
      scrollWithin(this.#list, current, 'nearest');
    }
  }
}
