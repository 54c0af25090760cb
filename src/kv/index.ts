/**
 * The key/value service: the reference application (its state machine, the service one
 * node runs, its errors). The HTTP API, the client and the metrics sit beside it.
 */
export type { KvCommand, KvOp, KvResult, KvResultOf, KvSession } from './kv-command.js';
export {
  MAX_CLIENT_BYTES,
  MAX_KEY_BYTES,
  isKvResult,
  keyProblem,
  parseKvCommand,
  sessionProblem,
  validateKey,
  validateSession,
  validateValue,
  valueProblem,
} from './kv-command.js';
export {
  InvalidKeyError,
  InvalidSessionError,
  InvalidValueError,
  KvError,
  SequenceReusedError,
  StaleSequenceError,
} from './kv-errors.js';
export type { SessionCheck, SessionEntry } from './kv-sessions.js';
export { DEFAULT_MAX_CLIENTS, KvSessionTable } from './kv-sessions.js';
export type { KvSize, KvStoreOptions } from './kv-store.js';
export { KvStore } from './kv-store.js';
export type { Consistency, KvGetOptions, KvRead, KvWritten } from './kv-service.js';
export { CONSISTENCIES, KvService } from './kv-service.js';
