/**
 * The page's live mode in Chromium against a real cluster: `raftchart cluster` starts three
 * node processes on 127.0.0.1 and serves the page; the page shows them, its propose control
 * writes a key (a PUT from the page, through CORS), and killing the leader from the page
 * makes the other two elect a new one. Real time, so every wait is a
 * generous poll on what the page shows.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  HOOK_MS,
  LiveCluster,
  WatchedPage,
  launchChromium,
  refusedWebSocket,
  requireBuiltPage,
  waitForLeader,
  waitForNodes,
} from './browser.js';

const NODES = 3;

let cluster: LiveCluster | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  requireBuiltPage();
  cluster = await LiveCluster.start(NODES);
  browser = await launchChromium();
}, HOOK_MS);

afterAll(async () => {
  await browser?.close();
  const survivors = (await cluster?.stop()) ?? [];
  expect(survivors, 'node processes left running after the supervisor stopped').toEqual([]);
}, HOOK_MS);

describe(`a live ${NODES}-process cluster`, () => {
  it('shows the nodes and a leader, writes a key from the propose box, and shows a new leader after the leader is killed from the page', async () => {
    if (cluster === undefined || browser === undefined)
      throw new Error('beforeAll did not start the cluster');
    const watched = await WatchedPage.open(browser, cluster.url, 'live');
    try {
      await waitForNodes(watched, NODES);
      const old = await waitForLeader(watched);
      await watched.screenshot('leader');

      // `key=value` in the propose box sets that key on the cluster.
      await watched.page.locator('[data-testid="propose-input"]').fill('from-the-page=1');
      await watched.page.locator('[data-testid="propose"]').click();
      const { clientUrl } = await cluster.member(old.id);
      const deadline = Date.now() + 30_000;
      let read: { value?: string } = {};
      while (read.value === undefined && Date.now() < deadline) {
        const response = await fetch(`${clientUrl}/kv/from-the-page?consistency=serializable`);
        read = (await response.json()) as { value?: string };
        if (read.value === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(read.value).toBe('1');

      // The page keeps trying the dead node's feed, and Chromium logs each refusal.
      const { feedUrl } = await cluster.member(old.id);
      if (feedUrl !== null) watched.allow(refusedWebSocket(feedUrl));
      await watched.page.locator(`[data-testid="crash-${old.id}"]`).click();
      const next = await waitForLeader(watched, old.term);
      expect(next.term).toBeGreaterThan(old.term);
      expect(next.id).not.toBe(old.id);
      await watched.screenshot('new-leader');
      watched.expectNoErrors();
    } catch (error) {
      throw new Error(`${String(error)}\nraftchart cluster printed:\n${cluster.output.slice(-4000)}`, {
        cause: error,
      });
    } finally {
      await watched.close();
    }
  });
});
