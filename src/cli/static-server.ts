/**
 * Serves a directory of built files (the visualizer's `visualize/dist`) over `node:http`:
 * GET and HEAD only, nothing outside the directory, a content type by extension. While the
 * directory has no index.html, `/` answers with a page that says how to build it; the check
 * is made per request, so building while the server runs is enough.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

export interface StaticSite {
  /** The directory served, absolute. */
  readonly root: string;
  /** The HTML answered at `/` while `root` has no index.html. */
  readonly notBuiltPage: string;
}

export type StaticHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

export function createStaticHandler(site: StaticSite): StaticHandler {
  const root = resolve(site.root);
  return async (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return text(response, 405, 'use GET');
    }
    const file = fileFor(root, request.url ?? '/');
    if (file === null) return text(response, 400, 'bad path');
    const found = await regularFileSize(file);
    if (found === null) {
      if (file !== join(root, 'index.html')) return text(response, 404, 'not found');
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
      return void response.end(request.method === 'HEAD' ? undefined : site.notBuiltPage);
    }
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': found,
      'cache-control': 'no-cache',
    });
    if (request.method === 'HEAD') return void response.end();
    createReadStream(file)
      .on('error', () => response.destroy())
      .pipe(response);
  };
}

/** The file a request path names, or null if it is malformed; a path outside `root` is never returned. */
function fileFor(root: string, url: string): string | null {
  let path: string;
  try {
    // The URL parser removes `.` and `..` segments, encoded ones too.
    path = decodeURIComponent(new URL(url, 'http://localhost').pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  if (path.endsWith('/')) path += 'index.html';
  const file = resolve(root, `.${path}`);
  return file.startsWith(root + sep) ? file : null;
}

async function regularFileSize(file: string): Promise<number | null> {
  try {
    const info = await stat(file);
    return info.isFile() ? info.size : null;
  } catch {
    return null;
  }
}

function text(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(`${body}\n`);
}
