/**
 * `npm run screenshots`: refreshes the two screenshots the README shows,
 * docs/screenshots/simulation.png (the page's own simulation) and docs/screenshots/live.png
 * (a real 3-process cluster from `raftchart cluster`). Not a test file: `npm test` never
 * rewrites committed files (the tests keep their screenshots under test-results/); its own
 * config (vitest.screenshots.config.ts) runs it.
 */
import { resolve } from 'node:path';

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';

import type { StaticServer } from './browser.js';
import {
  HOOK_MS,
  LiveCluster,
  WatchedPage,
  launchChromium,
  propose,
  readStats,
  requireBuiltPage,
  serveDirectory,
  setFastestSpeed,
  waitFor,
  waitForCommitted,
  waitForLeader,
  waitForNodes,
} from './browser.js';

const SCREENSHOTS = resolve('docs/screenshots');
/** `npm start`'s seed, so the picture is the run a reader gets. */
const SEED = 7;
/** Wide enough for the cluster, the diagram and the timeline side by side; the whole page is taken. */
const VIEWPORT = { width: 1440, height: 900 };

describe('the README screenshots', () => {
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    requireBuiltPage();
    server = await serveDirectory();
    browser = await launchChromium();
  }, HOOK_MS);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  }, HOOK_MS);

  it('docs/screenshots/simulation.png: 5 simulated nodes, a leader, entries committed', async () => {
    const watched = await WatchedPage.open(
      browser,
      `${server.url}?seed=${SEED}&nodes=5`,
      'screenshot-simulation',
      VIEWPORT,
    );
    try {
      await setFastestSpeed(watched.page);
      await waitForLeader(watched);
      for (const command of ['set x 1', 'set y 2', 'set x 3']) await propose(watched.page, command);
      // The election's no-op and the three commands: a picture with something in it.
      await waitForCommitted(watched, 4);
      // Then a moment at real time, so the messages in flight are the few of one instant.
      await watched.page.locator('[data-testid="speed"]').selectOption('1');
      const { events } = await readStats(watched.page);
      await waitFor(watched, 'a moment at real time', async () =>
        (await readStats(watched.page)).events > events + 200 ? true : undefined,
      );
      await watched.page.locator('[data-testid="pause"]').click();
      await watched.screenshot('docs', `${SCREENSHOTS}/simulation.png`, true);
      watched.expectNoErrors();
    } finally {
      await watched.close();
    }
  });

  it('docs/screenshots/live.png: a real 3-process cluster with its leader', async () => {
    const cluster = await LiveCluster.start(3);
    try {
      const watched = await WatchedPage.open(browser, cluster.url, 'screenshot-live', VIEWPORT);
      try {
        await waitForNodes(watched, 3);
        await waitForLeader(watched);
        await propose(watched.page, 'set greeting hello');
        await waitForCommitted(watched, 2);
        await watched.screenshot('docs', `${SCREENSHOTS}/live.png`, true);
        watched.expectNoErrors();
      } finally {
        await watched.close();
      }
    } finally {
      await cluster.stop();
    }
  });
});
