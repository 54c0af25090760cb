/**
 * Everything a node's actor can receive: wire messages plus local events from its own host.
 * Timeouts are not events here: they are `after` transitions of the state that owns them.
 */
import type { RaftMessage } from './messages.js';

/** The host's storage finished writing the log up to `index`, whose entry had `term`. */
export interface LogPersisted {
  readonly type: 'LogPersisted';
  readonly index: number;
  readonly term: number;
}

export type LocalEvent = LogPersisted;
export type NodeEvent = RaftMessage | LocalEvent;
