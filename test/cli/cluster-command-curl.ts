/**
 * Runs a printed command line exactly as a user would paste it: through `sh -c`. A `curl`
 * line on a machine without curl is run by fetch instead, from the same words (the flags
 * the printed examples use: -s, -L, -X, -H, -d), so the test still checks what was printed.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const HAVE_CURL = ['/usr/bin/curl', '/bin/curl', '/usr/local/bin/curl'].some((path) =>
  existsSync(path),
);

/** The line's stdout (and exit code 0), run by the shell; a curl line without curl, by fetch. */
export async function runPrinted(line: string, cwd: string): Promise<string> {
  if (line.startsWith('curl ') && !HAVE_CURL) return curlByFetch(line);
  const { stdout } = await run('/bin/sh', ['-c', line], { cwd, timeout: 60_000 });
  return stdout;
}

/** `line`'s curl request made with fetch; -L follows redirects as curl does (method and body kept on 307). */
export async function curlByFetch(line: string): Promise<string> {
  const words = shellWords(line).slice(1);
  let method: string | undefined;
  let body: string | undefined;
  let follow = false;
  let url: string | undefined;
  const headers: Record<string, string> = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === '-s') continue;
    else if (word === '-L') follow = true;
    else if (word === '-sL' || word === '-Ls') follow = true;
    else if (word === '-X') method = words[++i];
    else if (word === '-d') body = words[++i];
    else if (word === '-H') {
      const header = words[++i]!;
      const colon = header.indexOf(':');
      headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
    } else if (!word.startsWith('-')) url = word;
    else throw new Error(`the curl fallback does not know ${word} (in ${line})`);
  }
  if (url === undefined) throw new Error(`no URL in ${line}`);
  const response = await fetch(url, {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body === undefined ? {} : { body }),
    redirect: follow ? 'follow' : 'manual',
  });
  return response.text();
}

/** Splits a shell line into words: blanks separate, single quotes quote (all the printed lines use). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (char === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unclosed quote in ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (char === ' ') {
      if (word !== null) words.push(word);
      word = null;
    } else {
      if ('"\\$`'.includes(char)) throw new Error(`the fallback does not parse ${char} (in ${line})`);
      word = (word ?? '') + char;
    }
  }
  if (word !== null) words.push(word);
  return words;
}
