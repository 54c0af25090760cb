/**
 * An entry's command as JSON text, encoded once per entry object. The same entry goes to
 * the write-ahead log and, on a leader, to every follower; entries are never edited, so the
 * text made for the first is reused by the rest instead of encoding the command each time.
 * A configuration entry's `config` is written in one fixed shape, the same on the wire, in
 * the log and in its counted size.
 */
import type { ClusterConfig, LogEntry } from '../machines/index.js';
import { stringifyJson } from '../machines/index.js';

const commandJson = new WeakMap<LogEntry, string>();

/** `stringifyJson(entry.command)`, memoized on the entry (`null` for what JSON drops). */
export function entryCommandJson(entry: LogEntry): string {
  let text = commandJson.get(entry);
  if (text === undefined) {
    // undefined (not a JSON value) is written as null, as JSON.stringify does inside an array.
    text = stringifyJson(entry.command) ?? 'null';
    commandJson.set(entry, text);
  }
  return text;
}

/**
 * A configuration as JSON text: `{"voters":[..],"learners":[..],"addresses":{..}}`, those
 * fields only, in that order, whatever object carries them. Configs are rare and small, so
 * this is not memoized.
 */
export function configJson(config: ClusterConfig): string {
  return JSON.stringify({ voters: config.voters, learners: config.learners, addresses: config.addresses });
}

/** The configuration a parsed `configJson` text holds, or undefined if it is not one. */
export function parseConfig(value: unknown): ClusterConfig | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { voters, learners, addresses, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || !isStrings(voters) || !isStrings(learners)) return undefined;
  if (typeof addresses !== 'object' || addresses === null || Array.isArray(addresses)) return undefined;
  if (!Object.values(addresses).every((address) => typeof address === 'string')) return undefined;
  return { voters, learners, addresses: addresses as Record<string, string> };
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
