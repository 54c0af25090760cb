/**
 * The simplest useful state machine: the list of every command applied, in order. The
 * multi-process tests compare these lists across nodes; the key/value app will replace it
 * as the reference application.
 */
import { stringifyJson } from '../../machines/index.js';
import type { StateMachine } from '../api/state-machine.js';

export class CommandLog implements StateMachine<unknown, number> {
  #commands: unknown[] = [];

  /** Returns the command's position in the list (its index, when no entry was skipped). */
  apply(command: unknown): number {
    this.#commands.push(command);
    return this.#commands.length;
  }

  snapshot(): string {
    return stringifyJson(this.#commands);
  }

  restore(snapshot: string): void {
    const commands: unknown = JSON.parse(snapshot);
    if (!Array.isArray(commands)) throw new TypeError('a CommandLog snapshot is a JSON array of commands');
    this.#commands = commands;
  }

  get commands(): readonly unknown[] {
    return this.#commands;
  }
}
