/**
 * The token that opens a node's inspection feed (and its control endpoints) without handing
 * out the cluster secret itself: HMAC-SHA256(secret, 'raftchart-inspect') in hex. Whoever
 * holds it can watch the cluster and cut its links, but cannot join it as a peer.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { INSPECT_TOKEN_LABEL } from './feed-protocol.js';

export function inspectToken(secret: string): string {
  return createHmac('sha256', secret).update(INSPECT_TOKEN_LABEL).digest('hex');
}

/** Whether `presented` is one of `accepted`, compared in constant time (as digests, any length). */
export function tokenMatches(presented: string | undefined, accepted: readonly string[]): boolean {
  if (presented === undefined) return false;
  const digest = createHash('sha256').update(presented).digest();
  let matched = false;
  for (const token of accepted) {
    matched = timingSafeEqual(digest, createHash('sha256').update(token).digest()) || matched;
  }
  return matched;
}

/** The token a request carries: `Authorization: Bearer <token>`, else `?token=` (browsers' WebSocket has no headers). */
export function presentedToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  const bearer = header === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  return bearer ?? new URL(request.url ?? '/', 'http://localhost').searchParams.get('token') ?? undefined;
}
