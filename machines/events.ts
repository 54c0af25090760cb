/**
 * Everything a node's actor can receive: wire messages plus local events from its own host.
 * Timeouts are not events here: they are `after` transitions of the state that owns them.
 */
import type { ConfigChange } from './membership.js';
import type { NodeId, RaftMessage } from './messages.js';
import type { ReadId } from './read-index.js';

/** The host's storage finished writing the log up to `index`, whose entry had `term`. */
export interface LogPersisted {
  readonly type: 'LogPersisted';
  readonly index: number;
  readonly term: number;
}

/**
 * Commands to append, as one batch: a leader appends them all in one step; any other
 * role ignores it (the host answers "not leader" before sending it).
 */
export interface Propose {
  readonly type: 'Propose';
  readonly commands: readonly unknown[];
}

/**
 * The host's turn is ending: a leader sends each streaming follower, in one AppendEntries,
 * the entries proposed during the turn.
 */
export interface Flush {
  readonly type: 'Flush';
}

/**
 * The application's snapshot of its state up to `index`, an index it has applied: the node
 * may discard its log through there. An index at or below the current snapshot is ignored.
 */
export interface Snapshot {
  readonly type: 'Snapshot';
  readonly index: number;
  readonly data: string;
}

/**
 * Reads the host was given this turn, as one batch: a leader holds them until a quorum
 * confirms it still leads, a follower asks the leader; either answers through the
 * `answerReads` effect (machines/read-index.ts).
 */
export interface Read {
  readonly type: 'Read';
  readonly ids: readonly ReadId[];
}

/**
 * Leadership transfer (thesis section 3.10): a leader brings `to` up to date, sends it
 * TimeoutNow and accepts no proposal meanwhile; it gives up after an election timeout. Any
 * other role, or a transfer the leader cannot start (`transferRefusal`), ignores it: the host
 * checks and answers first.
 */
export interface TransferLeadership {
  readonly type: 'TransferLeadership';
  readonly to: NodeId;
}

/**
 * A membership change (machines/membership.ts): a leader appends it as a configuration entry,
 * in force from then on. Ignored when `configChangeRefusal` refuses it; the host checks first.
 */
export interface ChangeConfig {
  readonly type: 'ChangeConfig';
  readonly change: ConfigChange;
}

export type LocalEvent = LogPersisted | Propose | Flush | Snapshot | Read | TransferLeadership | ChangeConfig;
export type NodeEvent = RaftMessage | LocalEvent;
