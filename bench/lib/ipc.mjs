/* global performance, process */
/**
 * Requests and answers over a forked child's IPC channel. The coordinator side is `Child`:
 * `call(cmd, args)` resolves with what the child's handler returned (or rejects with its
 * error, or when the child exits); `on(event, listener)` hears what the child announces. The
 * child side is `serve(handlers)` and `announce(event, data)`.
 */
import { fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { track } from './children.mjs';

export class Child extends EventEmitter {
  #process;
  #next = 0;
  #pending = new Map();
  #stderr = '';
  /** Resolves with { code, signal } when the process has exited. */
  exited;

  constructor(script, { name = script, args = [], execArgv = [], env = process.env } = {}) {
    super();
    this.name = name;
    this.startedAt = performance.now();
    this.#process = track(fork(script, args, { execArgv, env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] }));
    // The last few KiB of its stderr, to say why it failed.
    this.#process.stderr.setEncoding('utf8');
    this.#process.stderr.on('data', (chunk) => (this.#stderr = (this.#stderr + chunk).slice(-4096)));
    this.#process.on('message', (message) => this.#receive(message));
    this.exited = new Promise((resolve) =>
      this.#process.once('exit', (code, signal) => {
        const error = new Error(
          `${this.name} exited (code ${code}, signal ${signal}): ${this.#stderr.trim()}`,
        );
        for (const { reject } of this.#pending.values()) reject(error);
        this.#pending.clear();
        resolve({ code, signal });
      }),
    );
  }

  get pid() {
    return this.#process.pid;
  }

  call(cmd, args = {}) {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#process.send({ id, cmd, args }, (error) => {
        if (error && this.#pending.delete(id)) reject(error);
      });
    });
  }

  kill(signal = 'SIGKILL') {
    if (this.#process.exitCode === null && this.#process.signalCode === null) this.#process.kill(signal);
  }

  #receive(message) {
    if (message.event !== undefined) {
      this.emit(message.event, message.data);
      return;
    }
    const pending = this.#pending.get(message.id);
    if (pending === undefined) return;
    this.#pending.delete(message.id);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(new Error(`${this.name}: ${message.error}`));
  }
}

/**
 * In a child: answers each request with its handler's result. The child exits when its
 * coordinator goes away (even killed), rather than run on orphaned.
 */
export function serve(handlers) {
  process.on('message', async ({ id, cmd, args }) => {
    try {
      const handler = handlers[cmd];
      if (handler === undefined) throw new Error(`unknown command ${cmd}`);
      process.send({ id, ok: true, result: await handler(args) });
    } catch (error) {
      process.send({ id, ok: false, error: error?.stack ?? String(error) });
    }
  });
  process.once('disconnect', () => process.exit(1));
}

export function announce(event, data) {
  process.send?.({ event, data });
}
