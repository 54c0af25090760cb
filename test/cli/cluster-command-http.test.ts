/**
 * The pieces of `raftchart cluster`'s HTTP server in-process: the static page server keeps
 * to its directory and says how to build a missing page; listenOn falls back to a free port
 * only when told to.
 */
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listenOn } from '../../src/cli/cluster-http.js';
import { createStaticHandler } from '../../src/cli/static-server.js';
import { ConfigError } from '../../src/errors.js';

let root: string;
const servers: Server[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'raftchart-static-'));
});

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
  await rm(root, { recursive: true, force: true });
});

/** Serves `site/` under `root`; `root/secret.txt` sits next to it, outside. */
async function serveSite(): Promise<number> {
  const site = join(root, 'site');
  await mkdir(site);
  await writeFile(join(root, 'secret.txt'), 'outside');
  const handler = createStaticHandler({ root: site, notBuiltPage: '<p>run npm run build:visualize</p>' });
  const server = createServer((req, res) => void handler(req, res));
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** A request with the path sent exactly as given (fetch would normalise it first). */
function get(port: number, path: string, method = 'GET') {
  return new Promise<{ status: number; type: string | undefined; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'], body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('static page server', () => {
  it('answers / with a page that says how to build the visualizer while it is not built', async () => {
    const port = await serveSite();
    const page = await get(port, '/');
    expect(page).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    expect(page.body).toContain('npm run build:visualize');
    expect((await get(port, '/assets/app.js')).status).toBe(404);
  });

  it('serves the built files with their content types, once they exist', async () => {
    const port = await serveSite();
    await mkdir(join(root, 'site', 'assets'));
    await writeFile(join(root, 'site', 'index.html'), '<script src="assets/app.js"></script>');
    await writeFile(join(root, 'site', 'assets', 'app.js'), 'console.log(1)');
    expect(await get(port, '/?live=http://127.0.0.1:8080')).toMatchObject({
      status: 200,
      type: 'text/html; charset=utf-8',
      body: '<script src="assets/app.js"></script>',
    });
    expect(await get(port, '/assets/app.js')).toMatchObject({
      status: 200,
      type: 'text/javascript; charset=utf-8',
      body: 'console.log(1)',
    });
    expect(await get(port, '/assets/app.js', 'HEAD')).toMatchObject({ status: 200, body: '' });
    expect((await get(port, '/assets/app.js', 'POST')).status).toBe(405);
  });

  it('never serves a file outside its directory', async () => {
    const port = await serveSite();
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
    ]) {
      const answer = await get(port, path);
      expect(answer.body, path).not.toContain('outside');
      expect([400, 404], path).toContain(answer.status);
    }
    expect((await get(port, '/%00')).status).toBe(400);
    expect((await get(port, '/%e0%a4%a')).status).toBe(400);
  });
});

describe('listenOn', () => {
  async function taken(): Promise<number> {
    const holder = createServer();
    servers.push(holder);
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    return (holder.address() as AddressInfo).port;
  }

  it('falls back to a free port when the port is taken and it may', async () => {
    const port = await taken();
    const server = createServer();
    servers.push(server);
    const listening = await listenOn(server, '127.0.0.1', port, true);
    expect(listening.fellBack).toBe(true);
    expect(listening.port).not.toBe(port);
    expect(listening.url).toBe(`http://127.0.0.1:${listening.port}`);
  });

  it('refuses a taken port it was told to use, naming it', async () => {
    const port = await taken();
    const server = createServer();
    servers.push(server);
    const failure = listenOn(server, '127.0.0.1', port, false);
    await expect(failure).rejects.toThrow(ConfigError);
    await expect(failure).rejects.toThrow(`cannot serve on 127.0.0.1:${port} (--http)`);
  });
});
