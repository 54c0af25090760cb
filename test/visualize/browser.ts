/**
 * The browser tests' harness: the built page (visualize/dist, built once per run by
 * test/support/build.ts) served from 127.0.0.1, Debian's Chromium driven by playwright-core
 * (never a downloaded browser), every console error and uncaught page error collected so a
 * test fails on it, screenshots under test-results/; and the page's test-id contract read
 * back as data (nodes, logs, diagram, timeline) for the tests to wait on.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { inject } from 'vitest';

import { freePort } from '../transport/helpers.js';

export const CHROMIUM = '/usr/bin/chromium';
export const PAGE_DIR = resolve('visualize/dist');
export const RESULTS_DIR = resolve('test-results');

/** Waits for the page are generous: Chromium and a simulation share a busy 2-core machine. */
export const WAIT_MS = 45_000;
/** For beforeAll/afterAll hooks that launch Chromium or processes. */
export const HOOK_MS = 90_000;

/** Throws what vite printed if globalSetup could not build the page; or if nothing built it. */
export function requireBuiltPage(): void {
  const error = inject('pageBuildError');
  if (typeof error === 'string')
    throw new Error(`the page did not build (npm run build:visualize):\n${error}`);
  if (!existsSync(join(PAGE_DIR, 'index.html')))
    throw new Error(
      `no ${PAGE_DIR}/index.html: run through vitest.config.ts (its globalSetup builds the page)`,
    );
}

export interface StaticServer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

/** Serves `root` read-only on 127.0.0.1 and a port the OS picks; `/` is index.html. */
export async function serveDirectory(root: string = PAGE_DIR): Promise<StaticServer> {
  const base = resolve(root);
  const server = createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const file = normalize(join(base, pathname.endsWith('/') ? `${pathname}index.html` : pathname));
    if (file !== base && !file.startsWith(base + sep)) {
      response.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) => {
        const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
        response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
      },
      () => response.writeHead(404).end(),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/**
 * Headless Debian Chromium. We run as root, where Chromium's sandbox cannot start:
 * playwright-core passes `--no-sandbox` itself unless `chromiumSandbox` is set, and it is
 * named here too so the requirement is visible.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium); .ci/run does`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
}

/** A page whose console errors and uncaught errors are collected from the moment it opens. */
export class WatchedPage {
  readonly page: Page;
  readonly name: string;
  /** Every console error and page error, in order. */
  readonly errors: string[] = [];
  readonly #allowed: RegExp[] = [];

  private constructor(page: Page, name: string) {
    this.page = page;
    this.name = name;
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const { url } = message.location();
      this.#record(`console error: ${message.text()}${url === '' ? '' : ` (${url})`}`);
    });
    page.on('pageerror', (error) => this.#record(`page error: ${error.stack ?? error.message}`));
  }

  /** Opens `url` in a new page (1400×900 unless told); `name` prefixes its screenshots. */
  static async open(
    browser: Browser,
    url: string,
    name: string,
    viewport = { width: 1400, height: 900 },
  ): Promise<WatchedPage> {
    const page = await browser.newPage({ viewport });
    const watched = new WatchedPage(page, name);
    await page.goto(url, { waitUntil: 'load', timeout: WAIT_MS });
    return watched;
  }

  /** Errors matching `pattern` are expected from now on (e.g. a feed refused by a node just killed). */
  allow(pattern: RegExp): void {
    this.#allowed.push(pattern);
  }

  /** Throws if the page logged an error or threw. */
  expectNoErrors(): void {
    if (this.errors.length > 0)
      throw new Error(
        `${this.name}: the page reported ${this.errors.length} error(s):\n${this.errors.join('\n')}`,
      );
  }

  /**
   * Saves test-results/<name>-<what>.png (or `path`, e.g. a committed screenshot), the
   * viewport or (`fullPage`) the whole page; returns the path.
   */
  async screenshot(
    what: string,
    path = join(RESULTS_DIR, `${this.name}-${what}.png`),
    fullPage = false,
  ): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    await this.page.screenshot({ path, fullPage });
    return path;
  }

  async close(): Promise<void> {
    await this.page.close();
  }

  #record(text: string): void {
    if (!this.#allowed.some((pattern) => pattern.test(text))) this.errors.push(text);
  }
}

/** A node as its `node-<id>` card shows it. */
export interface NodeView {
  readonly id: string;
  readonly role: string;
  readonly term: number;
  readonly up: boolean;
}

/** The structural slice of a DOM element the readers use (the tests compile without the DOM lib). */
interface Tagged {
  getAttribute(name: string): string | null;
}

export async function readNodes(page: Page): Promise<NodeView[]> {
  return page.locator('[data-testid^="node-"][data-role]').evaluateAll((elements: Tagged[]) =>
    elements.map((element) => ({
      id: (element.getAttribute('data-testid') ?? '').slice('node-'.length),
      role: element.getAttribute('data-role') ?? '',
      term: Number(element.getAttribute('data-term')),
      up: element.getAttribute('data-up') === 'true',
    })),
  );
}

/** The running leader of the highest term, if any. */
export function leaderOf(nodes: readonly NodeView[]): NodeView | undefined {
  return nodes.filter((node) => node.up && node.role === 'leader').sort((a, b) => b.term - a.term)[0];
}

/** An entry of node `id`'s log grid. */
export interface LogCell {
  readonly index: number;
  readonly committed: boolean;
}

export async function readLog(page: Page, id: string): Promise<LogCell[]> {
  return page.locator(`[data-testid="log-${id}"] [data-index]`).evaluateAll((elements: Tagged[]) =>
    elements.map((element) => ({
      index: Number(element.getAttribute('data-index')),
      committed: element.getAttribute('data-committed') === 'true',
    })),
  );
}

/** The nodes lit on the diagram's state `path` (e.g. `leader.heartbeating`); empty if it is not lit. */
export async function litNodes(page: Page, path: string): Promise<string[]> {
  const lit = page.locator(`[data-testid="diagram"] [data-state="${path}"].lit`);
  if ((await lit.count()) === 0) return [];
  const nodes = await lit.first().getAttribute('data-lit-nodes');
  return (nodes ?? '').split(/\s+/).filter((id) => id !== '');
}

export async function timelineTexts(page: Page): Promise<string[]> {
  return page.locator('[data-testid="timeline"] [data-testid="timeline-entry"]').allTextContents();
}

/**
 * Polls `check` (every 100 ms) until it returns a value other than undefined; fails early if
 * the page reports an error, and on timeout saves a screenshot and says what the nodes were.
 */
export async function waitFor<T>(
  watched: WatchedPage,
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    watched.expectNoErrors();
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const shot = await watched.screenshot(`timeout-${what.replace(/\W+/g, '-')}`).catch(() => 'none');
      const nodes = await readNodes(watched.page).catch(() => []);
      // What the page says, in case it says why (an error message instead of the cluster).
      const text = await watched.page
        .locator('body')
        .innerText()
        .catch(() => '');
      throw new Error(
        `${what}: not within ${timeoutMs} ms; nodes ${JSON.stringify(nodes)}; screenshot ${shot}; ` +
          `the page begins: ${JSON.stringify(text.slice(0, 300))}`,
      );
    }
    await delay(100);
  }
}

/** Waits for a running leader whose term is above `aboveTerm`. */
export async function waitForLeader(watched: WatchedPage, aboveTerm = 0): Promise<NodeView> {
  return waitFor(watched, `a leader above term ${aboveTerm}`, async () => {
    const leader = leaderOf(await readNodes(watched.page));
    return leader !== undefined && leader.term > aboveTerm ? leader : undefined;
  });
}

/** Waits until the page shows `count` node cards. */
export async function waitForNodes(watched: WatchedPage, count: number): Promise<NodeView[]> {
  return waitFor(watched, `${count} nodes shown`, async () => {
    const nodes = await readNodes(watched.page);
    return nodes.length === count ? nodes : undefined;
  });
}

/** Waits until node `id`'s card satisfies `holds` (`what` says how, for the timeout message). */
export async function waitForNode(
  watched: WatchedPage,
  id: string,
  what: string,
  holds: (node: NodeView) => boolean,
): Promise<NodeView> {
  return waitFor(watched, `${id} ${what}`, async () => {
    const node = (await readNodes(watched.page)).find((n) => n.id === id);
    return node !== undefined && holds(node) ? node : undefined;
  });
}

/** Waits until the leader's log grid shows at least `count` committed entries. */
export async function waitForCommitted(watched: WatchedPage, count: number): Promise<void> {
  await waitFor(watched, `${count} entries committed on the leader`, async () => {
    const leader = leaderOf(await readNodes(watched.page));
    if (leader === undefined) return undefined;
    const committed = (await readLog(watched.page, leader.id)).filter((cell) => cell.committed);
    return committed.length >= count ? true : undefined;
  });
}

/** Proposes `command` through the page's propose box. */
export async function propose(page: Page, command: string): Promise<void> {
  await page.locator('[data-testid="propose-input"]').fill(command);
  await page.locator('[data-testid="propose"]').click();
}

/** The page's own rates, `window.__raftchart`: frames and events in the last second, events so far. */
export interface PageStats {
  readonly fps: number;
  readonly eventsPerSecond: number;
  readonly events: number;
}

export async function readStats(page: Page): Promise<PageStats> {
  const stats = (await page.evaluate('window.__raftchart')) as PageStats | undefined;
  if (stats === undefined) throw new Error('the page sets no window.__raftchart');
  return stats;
}

/** Sets the speed control to its fastest setting (a select's largest option, an input's max). */
export async function setFastestSpeed(page: Page): Promise<string> {
  const speed = page.locator('[data-testid="speed"]');
  await speed.waitFor({ timeout: WAIT_MS });
  const tag = await speed.evaluate((element: { tagName: string }) => element.tagName.toLowerCase());
  if (tag === 'select') {
    const values = await speed
      .locator('option')
      .evaluateAll((options: Tagged[]) => options.map((option) => option.getAttribute('value') ?? ''));
    const fastest = values.sort((a, b) => Number(b) - Number(a))[0];
    if (fastest === undefined) throw new Error('the speed control has no options');
    await speed.selectOption(fastest);
    return fastest;
  }
  if (tag === 'input') {
    const max = (await speed.getAttribute('max')) ?? '100';
    await speed.fill(max);
    await speed.dispatchEvent('change');
    return max;
  }
  throw new Error(`the speed control is a <${tag}>; the tests know <select> and <input>`);
}

/** A node as `raftchart cluster` lists it at `/api/cluster`. */
export interface ClusterMember {
  readonly id: string;
  readonly feedUrl: string | null;
  readonly clientUrl: string;
  readonly pid: number | null;
  readonly up: boolean;
}

/**
 * What Chromium itself logs (as a console error; the page cannot prevent it) each time the
 * page tries a WebSocket that refuses: expected of a killed node's feed, and of no other.
 */
export function refusedWebSocket(url: string): RegExp {
  const escaped = url.replace(/\/$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^console error: WebSocket connection to '${escaped}[/?'][^']*' failed`);
}

/** `raftchart cluster` (the supervisor of real node processes) as a child process, with the URL it printed. */
export class LiveCluster {
  readonly url: string;
  readonly #child: ChildProcess;
  readonly #dataDir: string;
  readonly #output: { text: string };

  private constructor(child: ChildProcess, url: string, dataDir: string, output: { text: string }) {
    this.#child = child;
    this.url = url;
    this.#dataDir = dataDir;
    this.#output = output;
  }

  /** Starts `node dist/src/cli/main.js cluster --nodes <n>` on 127.0.0.1 and waits for its URL line. */
  static async start(nodes: number): Promise<LiveCluster> {
    const dataDir = await mkdtemp(join(tmpdir(), 'raftchart-live-'));
    const http = `127.0.0.1:${await freePort()}`;
    const args = [
      'dist/src/cli/main.js',
      'cluster',
      '--nodes',
      String(nodes),
      '--http',
      http,
      '--data',
      dataDir,
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = { text: '' };
    const url = new Promise<string>((found, failed) => {
      const scan = (chunk: Buffer): void => {
        output.text += chunk.toString();
        // `raftchart: 3-node cluster up; open http://127.0.0.1:<port>/?live=...`, once a leader is elected.
        const match = /\bopen (http:\/\/127\.0\.0\.1:\d+\S*)/.exec(output.text);
        if (match?.[1] !== undefined) found(match[1]);
      };
      child.stdout?.on('data', scan);
      child.stderr?.on('data', scan);
      child.once('exit', (code, signal) =>
        failed(
          new Error(
            `raftchart cluster exited (${String(code ?? signal)}) before printing a URL:\n${output.text}`,
          ),
        ),
      );
    });
    try {
      const printed = await within(url, WAIT_MS, null);
      if (printed === null)
        throw new Error(`raftchart cluster printed no URL within ${WAIT_MS} ms:\n${output.text}`);
      return new LiveCluster(child, printed, dataDir, output);
    } catch (error) {
      await stopProcessTree(child, dataDir);
      throw error;
    }
  }

  /** Node `id` as the supervisor lists it (`GET /api/cluster`). */
  async member(id: string): Promise<ClusterMember> {
    const response = await fetch(new URL('/api/cluster', this.url), { signal: AbortSignal.timeout(10_000) });
    const { nodes } = (await response.json()) as { nodes: ClusterMember[] };
    const member = nodes.find((node) => node.id === id);
    if (member === undefined) throw new Error(`the supervisor lists no node ${id}: ${JSON.stringify(nodes)}`);
    return member;
  }

  /** What the supervisor printed so far. */
  get output(): string {
    return this.#output.text;
  }

  /** Stops the supervisor and its nodes; returns the ids of processes still running (it should be none). */
  stop(): Promise<number[]> {
    return stopProcessTree(this.#child, this.#dataDir);
  }
}

/**
 * SIGTERM to `child`; waits for it to exit (SIGKILL if it will not), then for every process
 * it had started to be gone (those left are killed and returned), and removes `dataDir`.
 */
async function stopProcessTree(child: ChildProcess, dataDir: string): Promise<number[]> {
  const children = child.pid === undefined ? [] : descendants(child.pid);
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    if ((await within(exited, WAIT_MS, 'late')) === 'late') child.kill('SIGKILL');
  }
  const deadline = Date.now() + WAIT_MS;
  let left = children.filter(running);
  while (left.length > 0 && Date.now() < deadline) {
    await delay(100);
    left = left.filter(running);
  }
  for (const orphan of left) process.kill(orphan, 'SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
  return left;
}

/** `promise`'s value, or `timedOut` if it takes longer than `ms` (no timer left behind). */
async function within<T, U>(promise: Promise<T>, ms: number, timedOut: U): Promise<T | U> {
  const abort = new AbortController();
  try {
    return await Promise.race([promise, delay(ms, timedOut, { signal: abort.signal })]);
  } finally {
    abort.abort();
  }
}

/** Every process below `pid`, from /proc (Linux). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat !== null) parents.set(Number(entry), stat.ppid);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const [child, ppid] of parents) {
      if (ppid === parent) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** A zombie has exited; only its parent has yet to read its status. */
function running(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== null && stat.state !== 'Z';
}

function procStat(pid: number): { state: string; ppid: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so read after the last ')'.
    const [state = '', ppid = '0'] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state, ppid: Number(ppid) };
  } catch {
    return null;
  }
}
