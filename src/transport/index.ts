/** The WebSocket transport for real nodes (docs/transport.md). */
export type { TransportStats } from './stats.js';
export type { BackoffOptions, TransportLogger, WsTransportOptions } from './options.js';
export type { WsTransport } from './ws-transport.js';
export { createWsTransport } from './ws-transport.js';
export type { FrameCodec } from './codec.js';
export { JSON_FRAME_CODEC, MSGPACK_FRAME_CODEC, WIRE_CODEC } from './codec.js';
export type { FrameCheck } from './wire-schema.js';
export { checkInboundFrame, validateRaftMessage, RAFT_MESSAGE_SCHEMA } from './wire-schema.js';
export {
  CLOSE_AUTH_FAILED,
  CLOSE_GOING_AWAY,
  CLOSE_INVALID_FRAME,
  CLOSE_NOT_A_PEER,
  CLOSE_REPLACED,
  CLOSE_TOO_LARGE,
} from './close-codes.js';
export type { BlockRequest, BlockedPeers } from './blocked-peers.js';
export type { DynamicPeers } from './dynamic-peers.js';
export { hasDynamicPeers } from './dynamic-peers.js';
