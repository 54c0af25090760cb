/**
 * XState's own inspector (Stately Inspector) for a node process, when asked for: every
 * event and snapshot of the node's statechart actor goes to a WebSocket inspector server
 * (`@statelyai/inspect/server`, or any server that speaks its protocol). Opt-in twice over:
 * it is asked for by flag or environment variable, and `@statelyai/inspect` is an optional
 * dependency, loaded only then.
 */
import type * as StatelyInspect from '@statelyai/inspect';
import type { InspectionEvent } from 'xstate';
import { ConfigError } from '../errors.js';

/** The environment variable that turns the inspector on: a ws:// URL of the inspector server. */
export const XSTATE_INSPECT_ENV = 'RAFTCHART_XSTATE_INSPECT';

export interface XStateInspector {
  readonly inspect: (inspection: InspectionEvent) => void;
  stop(): void;
}

/** The inspector for `url` (flag first, then the environment), or undefined when not asked for. */
export async function xstateInspector(
  url: string | undefined,
  env: Record<string, string | undefined> = process.env,
): Promise<XStateInspector | undefined> {
  const target = url ?? env[XSTATE_INSPECT_ENV];
  if (target === undefined || target === '') return undefined;
  if (!/^wss?:\/\//.test(target)) {
    throw new ConfigError(
      `the XState inspector URL must be ws:// or wss:// (the inspector server's), got "${target}"`,
    );
  }
  let module: typeof StatelyInspect;
  try {
    module = await import('@statelyai/inspect');
  } catch (error) {
    throw new ConfigError(
      'XState inspection needs the optional package @statelyai/inspect: npm install @statelyai/inspect',
      { cause: error },
    );
  }
  const inspector = module.createWebSocketInspector({ url: target });
  return { inspect: (inspection) => inspector.inspect.next?.(inspection), stop: () => inspector.stop() };
}
