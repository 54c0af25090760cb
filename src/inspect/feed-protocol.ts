/**
 * The inspection feed on the wire, as both ends see it: a real node's feed server
 * (feed-server.ts) and the page's live source (live-source.ts). One JSON text frame per
 * event; the first frame is a hello. Browser-safe.
 */
import type { NodeId, RaftMessage } from '../../machines/index.js';
import type { InspectEvent } from './inspect-event.js';

/** The first frame on every feed connection: whose feed it is. */
export interface FeedHello {
  readonly type: 'feedHello';
  readonly node: NodeId;
  /** Every node of the cluster, this one included, when the node was told them. */
  readonly ids?: readonly NodeId[];
  /** The node's wall clock (ms since the epoch) when the client connected. */
  readonly at: number;
}

export type FeedFrame = FeedHello | InspectEvent;

/** The text a feed's token is the HMAC-SHA256 of, keyed by the cluster secret. */
export const INSPECT_TOKEN_LABEL = 'raftchart-inspect';

/** The feed refused the client: no token, a wrong one, or a page of another origin without one. */
export const FEED_CLOSE_REFUSED = 4001;
/** The client read too slowly and its unsent frames passed the feed's bound: it was dropped. */
export const FEED_CLOSE_TOO_SLOW = 4008;
/** The feed has as many clients as it serves. */
export const FEED_CLOSE_FULL = 4009;

/**
 * A message's id on the feeds, the same on its sender's feed (`sent`) and its receiver's
 * (`delivered`), so the page can pair them: sender, receiver, type, term and request
 * number. A node numbers its requests afresh when it restarts, but only sends new ones in a
 * later term, so the term keeps ids apart. A snapshot's chunks before the last are told
 * apart by offset (the receiver reports only the reassembled whole, as the last chunk).
 */
export function messageKey(message: RaftMessage): string {
  const rpc = 'rpcId' in message ? `rpc${message.rpcId}` : `re${message.inReplyTo}`;
  const chunk = message.type === 'InstallSnapshot' && !message.done ? `@${message.offset}` : '';
  return `${message.from}>${message.to}:${message.type}:t${message.term}:${rpc}${chunk}`;
}

/** A frame's text as a FeedFrame, or null if it is not one (the shape is checked, not every field). */
export function parseFeedFrame(text: string): FeedFrame | null {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return null;
  const { type, at } = frame as { type?: unknown; at?: unknown };
  if (typeof type !== 'string' || typeof at !== 'number' || !FRAME_TYPES.has(type)) return null;
  return frame as FeedFrame;
}

const FRAME_TYPES: ReadonlySet<string> = new Set<FeedFrame['type']>([
  'feedHello',
  'nodeUp',
  'nodeDown',
  'step',
  'timer',
  'message',
  'fault',
]);
