/**
 * The course's unbuffered applyCh: a send completes only when the reader takes the value,
 * so a slow reader holds up the sender (the node's apply queue), never the node itself.
 */
export class UnbufferedChannel<T> {
  readonly #senders: { value: T; taken: () => void }[] = [];
  readonly #readers: ((value: T) => void)[] = [];

  send(value: T): Promise<void> {
    const reader = this.#readers.shift();
    if (reader !== undefined) {
      reader(value);
      return Promise.resolve();
    }
    return new Promise((taken) => this.#senders.push({ value, taken }));
  }

  receive(): Promise<T> {
    const sender = this.#senders.shift();
    if (sender !== undefined) {
      sender.taken();
      return Promise.resolve(sender.value);
    }
    return new Promise((resolve) => this.#readers.push(resolve));
  }
}
