/**
 * The page's simulation mode in Chromium: a SimCluster running in the page, seeded from the
 * URL, driven from the page's own controls. Every wait is for a condition on the page (the
 * simulation runs at its fastest speed), never a fixed sleep; a test fails on any console
 * error or uncaught page error.
 */
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { StaticServer } from './browser.js';
import {
  HOOK_MS,
  WAIT_MS,
  WatchedPage,
  launchChromium,
  leaderOf,
  propose,
  litNodes,
  readLog,
  readNodes,
  requireBuiltPage,
  serveDirectory,
  setFastestSpeed,
  timelineTexts,
  waitFor,
  waitForLeader,
  waitForNode,
} from './browser.js';

const SEED = 3;
const NODES = 5;
/**
 * How many timeline entries two runs of one seed must agree on. On a lossy network (the
 * page's `unreliable` option) seed 3 has re-elected three times by then (about 42 s of
 * virtual time): every entry's virtual time, node and term must match.
 */
const TIMELINE_ENTRIES = 12;

let server: StaticServer;
let browser: Browser;
const opened: WatchedPage[] = [];

beforeAll(async () => {
  requireBuiltPage();
  server = await serveDirectory();
  browser = await launchChromium();
}, HOOK_MS);

afterEach(async () => {
  for (const watched of opened.splice(0)) await watched.close();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
}, HOOK_MS);

/** The page with `?seed=&nodes=` (and `extra` options), its seed shown, at its fastest speed. */
async function openSimulation(name: string, extra = ''): Promise<WatchedPage> {
  const watched = await WatchedPage.open(browser, `${server.url}?seed=${SEED}&nodes=${NODES}${extra}`, name);
  opened.push(watched);
  await waitFor(watched, `the seed ${SEED} shown`, async () => {
    const text = await watched.page.locator('[data-testid="seed"]').textContent();
    return text !== null && new RegExp(`\\b${SEED}\\b`).test(text) ? true : undefined;
  });
  await setFastestSpeed(watched.page);
  return watched;
}

describe(`the simulated cluster (seed ${SEED}, ${NODES} nodes)`, () => {
  it('loads with no console errors and shows the default cluster', async () => {
    const watched = await WatchedPage.open(browser, server.url, 'simulation-default');
    opened.push(watched);
    await waitFor(watched, 'the seed shown', async () =>
      (await watched.page.locator('[data-testid="seed"]').count()) > 0 ? true : undefined,
    );
    await waitFor(watched, 'node cards', async () =>
      (await readNodes(watched.page)).length > 0 ? true : undefined,
    );
    await watched.page.locator('[data-testid="diagram"] svg').first().waitFor();
    await watched.screenshot('loaded');
    watched.expectNoErrors();
  });

  it('elects a leader, shown lit at leader.heartbeating on the diagram', async () => {
    const watched = await openSimulation('simulation-leader');
    expect(await readNodes(watched.page)).toHaveLength(NODES);
    const leader = await waitForLeader(watched);
    // Lit as soon as the diagram draws the step that made it leader.
    const lit = await waitFor(watched, `${leader.id} lit at leader.heartbeating`, async () => {
      const nodes = await litNodes(watched.page, 'leader.heartbeating');
      return nodes.includes(leader.id) ? nodes : undefined;
    });
    const others = (await readNodes(watched.page)).filter(
      (node) => node.id !== leader.id && node.role !== 'leader',
    );
    for (const node of others) expect(lit, `${node.id} is no leader`).not.toContain(node.id);
    await watched.screenshot('lit');
    watched.expectNoErrors();
  });

  it('elects a new leader with a higher term when the leader is crashed from the page', async () => {
    const watched = await openSimulation('simulation-crash');
    const old = await waitForLeader(watched);
    await watched.page.locator(`[data-testid="crash-${old.id}"]`).click();
    await waitForNode(watched, old.id, 'shown down', (node) => !node.up);
    const next = await waitForLeader(watched, old.term);
    expect(next.id).not.toBe(old.id);
    expect(next.term).toBeGreaterThan(old.term);
    await watched.screenshot('new-leader');

    // Restarted, the old leader comes back up as a follower of the new one.
    await watched.page.locator(`[data-testid="restart-${old.id}"]`).click();
    await waitForNode(
      watched,
      old.id,
      'back up, following',
      (node) => node.up && node.role === 'follower' && node.term >= next.term,
    );
    watched.expectNoErrors();
  });

  it('shows a proposed command committed on every running node’s log grid', async () => {
    const watched = await openSimulation('simulation-propose');
    const first = await waitForLeader(watched);
    // One node down, so "every running node" means something; a leader over the other four.
    const victim = (await readNodes(watched.page)).find((node) => node.id !== first.id);
    if (victim === undefined) throw new Error('a 5-node cluster with one node');
    await watched.page.locator(`[data-testid="crash-${victim.id}"]`).click();
    await waitForNode(watched, victim.id, 'shown down', (node) => !node.up);

    // Settled: the leader's last entry (its election no-op at least) committed, so the
    // next index its log grows to is the command's.
    const settled = await waitFor(watched, 'the leader’s log committed to its end', async () => {
      const leader = leaderOf(await readNodes(watched.page));
      if (leader === undefined) return undefined;
      const last = (await readLog(watched.page, leader.id)).at(-1);
      return last?.committed === true ? { leader, last: last.index } : undefined;
    });
    await propose(watched.page, 'set x 42');
    const index = settled.last + 1;

    const running = await waitFor(watched, `entry ${index} committed on every running node`, async () => {
      const nodes = (await readNodes(watched.page)).filter((node) => node.up);
      for (const node of nodes) {
        const cell = (await readLog(watched.page, node.id)).find((c) => c.index === index);
        if (cell?.committed !== true) return undefined;
      }
      return nodes;
    });
    expect(running.map((node) => node.id)).not.toContain(victim.id);
    expect(running).toHaveLength(NODES - 1);
    await watched.screenshot('committed');
    watched.expectNoErrors();
  });

  it(
    'gives the same timeline twice for the same seed',
    async () => {
      const runs: string[][] = [];
      for (const run of [1, 2]) {
        const watched = await openSimulation(`simulation-timeline-${run}`, '&unreliable=1');
        await waitFor(
          watched,
          `${TIMELINE_ENTRIES} timeline entries`,
          async () => ((await timelineTexts(watched.page)).length >= TIMELINE_ENTRIES ? true : undefined),
          2 * WAIT_MS,
        );
        await watched.page.locator('[data-testid="pause"]').click();
        runs.push((await timelineTexts(watched.page)).slice(0, TIMELINE_ENTRIES));
        watched.expectNoErrors();
      }
      expect(runs[1], `seed ${SEED}: the second run's first ${TIMELINE_ENTRIES} entries`).toEqual(runs[0]);
    },
    4 * WAIT_MS,
  );
});
