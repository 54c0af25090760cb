/**
 * Why the transport closes a connection: a code (RFC 6455 or the 4000-4999 private range)
 * and a reason the other side can read. Reasons are capped at the protocol's 123 bytes.
 */

/** The peer did not prove knowledge of the cluster secret (or is not a configured peer). */
export const CLOSE_AUTH_FAILED = 4001;
/** A frame that is not a RaftMessage for this node from the authenticated peer. */
export const CLOSE_INVALID_FRAME = 4002;
/** A newer authenticated connection from the same peer took this one's place. */
export const CLOSE_REPLACED = 4003;
/** The peer was removed from this node's peers (`setPeers`): its connection goes with it. */
export const CLOSE_NOT_A_PEER = 4004;
/** RFC 6455: a frame larger than the receiver accepts. */
export const CLOSE_TOO_LARGE = 1009;
/** RFC 6455: the endpoint is going away (the transport is closing). */
export const CLOSE_GOING_AWAY = 1001;

export const AUTH_FAILED_REASON = 'authentication failed';
export const HANDSHAKE_TIMEOUT_REASON = 'authentication failed: handshake timeout';

const MAX_REASON_BYTES = 123;

/** `text`, cut to fit a close frame (123 bytes of UTF-8), never inside a character. */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text, 'utf8') <= MAX_REASON_BYTES) return text;
  let cut = text.slice(0, MAX_REASON_BYTES - 3);
  while (Buffer.byteLength(`${cut}...`, 'utf8') > MAX_REASON_BYTES) cut = cut.slice(0, -1);
  return `${cut}...`;
}

/** How long a closed connection gets to finish the close handshake before it is cut. */
export const CLOSE_GRACE_MS = 1000;

/** Closes with a code and reason; a peer that does not answer the close is cut after a grace. */
export function closeSocket(
  socket: { readonly readyState: number; close(code: number, reason: string): void; terminate(): void },
  code: number,
  reason: string,
): void {
  if (socket.readyState === 0 /* CONNECTING */) {
    socket.terminate();
    return;
  }
  if (socket.readyState !== 1 /* OPEN */) return;
  socket.close(code, closeReason(reason));
  setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
}
