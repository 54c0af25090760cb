/**
 * The cap on unauthenticated connections: TCP connections the server accepted that have not
 * yet come through the handshake (still sending the HTTP upgrade, or upgraded and not yet
 * authenticated). Each lasts at most upgradeTimeoutMs plus handshakeTimeoutMs, so the cap
 * bounds what a flood of them can hold open. Beyond it a new connection is destroyed at
 * once and counted in `refusedConnections`; a burst of refusals is logged once when it
 * starts and once when it is over, not once per socket.
 */
import type { Socket } from 'node:net';
import type { TransportLogger } from './options.js';
import type { StatsCounter } from './stats.js';

/** A burst of refusals is over after this long without one. */
export const REFUSAL_BURST_QUIET_MS = 1000;

export class PendingConnections {
  readonly #open = new Set<Socket>();
  #burst: { refused: number; readonly timer: NodeJS.Timeout } | undefined;

  constructor(
    private readonly maxPendingConnections: number,
    private readonly stats: StatsCounter,
    private readonly logger: TransportLogger,
  ) {}

  /** A newly accepted socket: counted until it authenticates or closes, or destroyed if over the cap. */
  admit(socket: Socket): void {
    if (this.#open.size >= this.maxPendingConnections) {
      const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`; // gone once destroyed
      socket.destroy();
      this.#refused(remote);
      return;
    }
    this.#open.add(socket);
    socket.once('close', () => this.#open.delete(socket));
  }

  /** The socket came through the handshake: it no longer counts against the cap. */
  authenticated(socket: Socket): void {
    this.#open.delete(socket);
  }

  /** Ends a burst in progress (its summary is logged now). */
  close(): void {
    if (this.#burst !== undefined) this.#endBurst();
  }

  #refused(remote: string): void {
    this.stats.add('refusedConnections');
    if (this.#burst !== undefined) {
      this.#burst.refused += 1;
      this.#burst.timer.refresh();
      return;
    }
    const timer = setTimeout(() => this.#endBurst(), REFUSAL_BURST_QUIET_MS);
    timer.unref();
    this.#burst = { refused: 1, timer };
    this.logger.warn(
      { remote, maxPendingConnections: this.maxPendingConnections },
      'refusing connections: too many unauthenticated connections (maxPendingConnections)',
    );
  }

  #endBurst(): void {
    const burst = this.#burst;
    if (burst === undefined) return;
    clearTimeout(burst.timer);
    this.#burst = undefined;
    this.logger.warn(
      { refused: burst.refused, maxPendingConnections: this.maxPendingConnections },
      'stopped refusing connections over maxPendingConnections',
    );
  }
}
