/**
 * One accepted connection: the server side of the handshake (handshake-machine.ts, with its
 * actions done on this socket), then every frame decoded, checked against the wire schema
 * and the authenticated peer, and delivered. The first thing wrong closes the connection
 * with a reason and a log line, and from then on nothing more from it reaches the node (ws
 * may already have parsed frames that followed).
 */
import type { RawData, WebSocket } from 'ws';
import { createActor } from 'xstate';
import type { NodeId, RaftMessage } from '../../machines/index.js';
import { CLOSE_AUTH_FAILED, CLOSE_INVALID_FRAME, closeSocket } from './close-codes.js';
import type { FrameCodec } from './codec.js';
import { FRAME_TOO_LARGE_ERROR } from './frame-limit.js';
import { ServerHandshake } from './handshake.js';
import { handshakeMachine } from './handshake-machine.js';
import type { TransportLogger } from './options.js';
import { frameBytes } from './raw-frame.js';
import type { StatsCounter } from './stats.js';
import { checkInboundFrame } from './wire-schema.js';

export interface InboundContext {
  readonly self: NodeId;
  readonly secret: string;
  readonly codec: FrameCodec;
  readonly maxFrameBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly logger: TransportLogger;
  readonly stats: StatsCounter;
  isPeer(id: NodeId): boolean;
  /** The connection authenticated as `peer`. */
  authenticated(peer: NodeId, socket: WebSocket): void;
  /** A valid frame from an authenticated peer. */
  /** A valid frame's message, and the frame's size in bytes. */
  deliver(message: RaftMessage, bytes: number): void;
}

export function acceptInbound(socket: WebSocket, remote: string, context: InboundContext): void {
  const { logger, stats, codec } = context;
  let peer: NodeId = '';
  /** Refused, or a protocol error: nothing more from this connection reaches the node. */
  let refused = false;

  const handshake = createActor(
    handshakeMachine.provide({
      actions: {
        send: (_, { frame }) => socket.send(frame),
        refuse: (_, { why, reason }) => {
          refused = true;
          stats.add('refusedConnections');
          logger.warn({ remote, why }, 'refused a connection: authentication failed');
          closeSocket(socket, CLOSE_AUTH_FAILED, reason);
        },
        authenticated: (_, params) => {
          peer = params.peer;
          logger.info({ peer, remote }, 'peer connected (inbound)');
          context.authenticated(peer, socket);
        },
      },
    }),
    {
      input: {
        handshake: new ServerHandshake(context.self, context.secret, (id) => context.isPeer(id)),
        timeoutMs: context.handshakeTimeoutMs,
      },
    },
  );
  const stopHandshake = (): void => {
    if (handshake.getSnapshot().matches('authenticating')) handshake.send({ type: 'closed' });
  };
  const refuseFrame = (why: string): void => {
    refused = true;
    stats.add('rejected');
    logger.warn({ peer, remote, why }, 'refused an invalid frame; connection closed');
    closeSocket(socket, CLOSE_INVALID_FRAME, `invalid frame: ${why}`);
  };

  socket.on('close', stopHandshake);

  socket.on('error', (error: Error & { code?: string }) => {
    // Protocol errors only (a server-side socket reports no I/O errors here); ws is closing it.
    if (refused) return;
    refused = true;
    stopHandshake();
    stats.add('rejected');
    if (error.code === FRAME_TOO_LARGE_ERROR) {
      logger.warn(
        { peer, remote, maxFrameBytes: context.maxFrameBytes },
        'refused a frame larger than maxFrameBytes; connection closed',
      );
    } else {
      logger.warn({ peer, remote, why: error.message }, 'WebSocket protocol error; connection closed');
    }
  });

  socket.on('message', (data: RawData, isBinary: boolean) => {
    if (refused) return;
    const frame = frameBytes(data);
    if (handshake.getSnapshot().matches('authenticating')) {
      handshake.send({ type: 'frame', text: isBinary ? undefined : frame.toString('utf8') });
      return;
    }
    if (isBinary !== codec.binary) return refuseFrame(`expected a ${codec.binary ? 'binary' : 'text'} frame`);
    let value: unknown;
    try {
      value = codec.decode(frame);
    } catch {
      return refuseFrame(`not ${codec.name}`);
    }
    const checked = checkInboundFrame(value, peer, context.self);
    if (!checked.ok) return refuseFrame(checked.reason);
    context.deliver(checked.message, frame.length);
  });

  handshake.start(); // sends the challenge and starts the handshake timeout
}
