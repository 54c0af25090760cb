/**
 * The frame size limit, enforced by ws itself (`maxPayload`) on both ends of every
 * connection: a frame whose header announces more is refused before its payload is
 * buffered. ws then closes with 1009 (Message Too Big) but no reason; this WebSocket
 * subclass, used for every socket the transport makes or accepts, fills in a reason that
 * names the limit.
 */
import { WebSocket } from 'ws';
import { CLOSE_TOO_LARGE, closeReason } from './close-codes.js';

/** ws's error code for a frame over `maxPayload`. */
export const FRAME_TOO_LARGE_ERROR = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';

export function frameTooLargeReason(maxFrameBytes: number): string {
  return closeReason(`frame too large (limit ${maxFrameBytes} bytes)`);
}

/** A WebSocket class whose reason-less 1009 closes say which limit was exceeded. */
export function frameLimitedWebSocket(maxFrameBytes: number): typeof WebSocket {
  const reason = frameTooLargeReason(maxFrameBytes);
  return class FrameLimitedWebSocket extends WebSocket {
    override close(code?: number, data?: string | Buffer): void {
      if (code === CLOSE_TOO_LARGE && (data === undefined || data.length === 0)) super.close(code, reason);
      else super.close(code, data);
    }
  };
}
