/**
 * A RaftNode's events as the inspection feed (InspectEvent): the same for a simulated node
 * and a real one. Browser-safe; it only listens, so it costs nothing while nobody attaches.
 */
import type { NodeId, RaftMessage } from '../../machines/index.js';
import type { RaftNode } from '../api/raft-node.js';
import type { NodeStep } from '../node/node-host.js';
import type { TimerKind } from '../node/timer-tap.js';
import type { InspectListener } from './inspect-event.js';
import { summarize } from './node-summary.js';

export interface NodeFeedOptions {
  /** The clock `at` is read from (the node's own). */
  readonly now: () => number;
  /**
   * Report messages as the node sends them (`sent`, with ids `<node>:<n>`). Off when the
   * network reports them instead (the simulator sees sends, deliveries and drops).
   */
  readonly messages: boolean;
}

/** Feeds `listener` from `node` until the returned function is called. */
export function feedFromNode(
  node: RaftNode<unknown, unknown>,
  listener: InspectListener,
  options: NodeFeedOptions,
): () => void {
  const id: NodeId = node.id;
  let sent = 0;
  const onStep = ({ event, status, context, value, transitions }: NodeStep) =>
    listener({
      type: 'step',
      at: options.now(),
      node: id,
      event: event.type,
      transitions,
      summary: summarize(context, value, status.appliedIndex),
    });
  const onTimer = (timer: TimerKind, deadline: number | null) =>
    listener({ type: 'timer', at: options.now(), node: id, timer, deadline });
  const onSent = (message: RaftMessage) =>
    listener({ type: 'message', at: options.now(), id: `${id}:${++sent}`, phase: 'sent', message });
  node.on('step', onStep);
  node.on('timer', onTimer);
  if (options.messages) node.on('sent', onSent);
  return () => {
    node.off('step', onStep);
    node.off('timer', onTimer);
    node.off('sent', onSent);
  };
}
