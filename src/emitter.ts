/**
 * A typed event emitter that runs anywhere (Node's EventEmitter does not load in a browser,
 * and the node and the simulator must). Listeners run synchronously, in the order they
 * were added; an `error` event with no listener is dropped, not thrown: a failed node
 * reports through its `failure` as well.
 */
/** A listener of an event whose arguments are `Args`. */
export type Listener<Args extends unknown[]> = (...args: Args) => void;
type AnyListener = (...args: unknown[]) => void;

export class Emitter<Events extends { [K in keyof Events]: unknown[] }> {
  // Stored untyped: each key's listeners take that key's arguments, which a Map cannot say.
  readonly #listeners = new Map<keyof Events, AnyListener[]>();

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const listeners = this.#listeners.get(event) ?? [];
    this.#listeners.set(event, [...listeners, listener as AnyListener]);
    this.listenersChanged(event);
    return this;
  }

  /** Like `on`, for one call only. */
  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const wrapper: Listener<Events[K]> = (...args) => {
      this.off(event, wrapper);
      listener(...args);
    };
    return this.on(event, wrapper);
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const listeners = this.#listeners.get(event);
    if (listeners === undefined) return this;
    const index = listeners.indexOf(listener as AnyListener);
    if (index >= 0) {
      this.#listeners.set(event, listeners.toSpliced(index, 1));
      this.listenersChanged(event);
    }
    return this;
  }

  /** Called after a listener of `event` was added or removed: for work done only while watched. */
  protected listenersChanged(_event: keyof Events): void {}

  /** Whether anyone listens: an emitter skips building what nobody would read. */
  listenerCount<K extends keyof Events>(event: K): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): boolean {
    // A copy-on-write list: a listener that adds or removes listeners affects the next emit.
    const listeners = this.#listeners.get(event);
    if (listeners === undefined || listeners.length === 0) return false;
    for (const listener of listeners) listener(...args);
    return true;
  }
}
