/**
 * Vitest global setup: build the package once, so process tests and doc examples run what
 * users run. Every project of vitest.config.ts names it; the build happens for the first
 * and is remembered for the rest (they share the main process, not this module).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';

const BUILT = Symbol.for('raftchart.test.build');

export default function setup(project: TestProject): void {
  const memo = globalThis as { [BUILT]?: { pageBuildError: string | null } };
  if (memo[BUILT] === undefined) {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
      stdio: 'inherit',
    });
    // The page as well, for the browser tests (test/visualize): a page that does not build
    // fails those tests, with vite's output, rather than every test of the run.
    memo[BUILT] = { pageBuildError: buildPage() };
  }
  project.provide('pageBuildError', memo[BUILT].pageBuildError);
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
