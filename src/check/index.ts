/**
 * The linearizability checker: record a history of client calls, then check it against a
 * model with the Wing & Gong / Lowe search, partition by partition (docs/linearizability.md).
 */
export type { CheckOptions, CheckResult, Verdict } from './check-operations.js';
export { checkOperations, DEFAULT_CHECK_TIMEOUT_MS } from './check-operations.js';
export { CheckError, InvalidHistoryError, OperationFinishedError } from './check-errors.js';
export type { IllegalPrefix } from './explain-failure.js';
export type { HistoryRecorderOptions, PendingOperation } from './history-recorder.js';
export { HistoryRecorder } from './history-recorder.js';
export type { KvInput, KvOutput, KvState } from './kv-model.js';
export { isKvWrite, kvModel } from './kv-model.js';
export type { Illegal, Model } from './model.js';
export { ILLEGAL } from './model.js';
export type { Operation } from './operation.js';
export { isOpen } from './operation.js';
export type { RegisterInput, RegisterOutput } from './register-model.js';
export { registerModel } from './register-model.js';
