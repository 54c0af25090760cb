/**
 * The tester's wrappers around a clerk's calls (its Get, Put, Append and check): each
 * counts as one op, and when given the history (the course's OpLog) records its call and
 * return on virtual time for the linearizability check.
 */
import type { HistoryRecorder } from '../../src/check/history-recorder.js';
import type { KvInput, KvOutput } from '../../src/check/kv-model.js';
import type { Clerk } from './clerk.js';
import type { KvConfig } from './kv-config.js';
import { KvraftFailure } from './kvraft-failure.js';

export type OpLog = HistoryRecorder<KvInput, KvOutput>;

/** The value ("" if the key has none, as the course's clerk answers). */
export async function get(
  cfg: KvConfig,
  ck: Clerk,
  key: string,
  log: OpLog | null,
  cli: number,
): Promise<string> {
  const done = log?.begin(cli, { kv: 'get', key });
  const value = await ck.get(key);
  cfg.op();
  done?.({ kv: 'get', value });
  return value ?? '';
}

export async function put(
  cfg: KvConfig,
  ck: Clerk,
  key: string,
  value: string,
  log: OpLog | null,
  cli: number,
): Promise<void> {
  const done = log?.begin(cli, { kv: 'put', key, value });
  await ck.put(key, value);
  cfg.op();
  done?.({ kv: 'put' });
}

export async function append(
  cfg: KvConfig,
  ck: Clerk,
  key: string,
  value: string,
  log: OpLog | null,
  cli: number,
): Promise<void> {
  const done = log?.begin(cli, { kv: 'append', key, value });
  await ck.append(key, value);
  cfg.op();
  done?.({ kv: 'append' });
}

/** Get(key) must answer `value`. */
export async function check(cfg: KvConfig, ck: Clerk, key: string, value: string): Promise<void> {
  const v = await get(cfg, ck, key, null, -1);
  if (v !== value) throw new KvraftFailure(`Get(${key}): expected:\n${value}\nreceived:\n${v}`);
}
