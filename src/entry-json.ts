/**
 * An entry's command as JSON text, encoded once per entry object. The same entry goes to
 * the write-ahead log and, on a leader, to every follower; entries are never edited, so the
 * text made for the first is reused by the rest instead of encoding the command each time.
 */
import type { LogEntry } from '../machines/index.js';
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
