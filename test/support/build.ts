/** Vitest global setup: build the package once, so process tests run what users run. */
import { execFileSync, spawnSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';

export default function setup(project: TestProject): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
  // The page as well, for the browser tests (test/visualize): a page that does not build fails
  // those tests, with vite's output, rather than every test of the run.
  project.provide('pageBuildError', buildPage());
}

/** `npm run build:visualize` into visualize/dist; null when it built, else what vite printed. */
function buildPage(): string | null {
  const vite = ['node_modules/vite/bin/vite.js', 'build', '--config', 'visualize/vite.config.ts'];
  const result = spawnSync(process.execPath, [...vite, '--logLevel', 'warn'], { encoding: 'utf8' });
  if (result.status === 0) return null;
  return `${result.stdout}${result.stderr}`.trim() || `vite build exited with ${String(result.status)}`;
}

declare module 'vitest' {
  export interface ProvidedContext {
    pageBuildError: string | null;
  }
}
