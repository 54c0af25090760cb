/* global console, process */
/**
 * Renders a results plot to PNG in a real browser, to see that it draws as meant:
 * `node bench/render-plot.mjs bench/results/<date>.svg [out.png]`. Uses playwright-core (a
 * dev dependency) with the system's Chromium (CHROMIUM, default /usr/bin/chromium); it
 * downloads nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [svg, png = svg?.replace(/\.svg$/, '.png')] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
if (svg === undefined || !existsSync(svg)) {
  console.error('usage: node bench/render-plot.mjs <plot.svg> [out.png]');
  process.exit(2);
}
if (!existsSync(executablePath)) {
  console.error(`no browser at ${executablePath}: set CHROMIUM to a Chromium executable`);
  process.exit(2);
}
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
try {
  // The page is exactly the plot's size, read off its root element.
  const root = readFileSync(svg, 'utf8').match(/<svg[^>]*>/)?.[0] ?? '';
  const size = (name) => Number(root.match(new RegExp(`${name}="(\\d+)"`))?.[1] ?? 800);
  const page = await browser.newPage({ viewport: { width: size('width'), height: size('height') } });
  await page.goto(pathToFileURL(resolve(svg)).href);
  await page.screenshot({ path: png });
  console.log(`rendered ${svg} to ${png}`);
} finally {
  await browser.close();
}
