/* global process, setTimeout */
/**
 * Everything the benchmark starts, so that everything is stopped: child processes are
 * tracked until they exit and temporary directories until removed. On a normal end each
 * phase stops its own processes; `cleanup` (in the runner's finally, and on SIGINT/SIGTERM)
 * SIGKILLs whatever is left and removes the directories.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const children = new Set();
const dirs = new Set();

/** Where temporary data directories go: BENCH_DIR, else the OS's temporary directory. */
export const TEMP_ROOT = process.env.BENCH_DIR ?? tmpdir();

export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function running(child) {
  return child.exitCode === null && child.signalCode === null;
}

export async function tempDir(prefix) {
  const dir = await mkdtemp(join(TEMP_ROOT, `raftchart-bench-${prefix}-`));
  dirs.add(dir);
  return dir;
}

export async function removeDir(dir) {
  dirs.delete(dir);
  await rm(dir, { recursive: true, force: true });
}

/** SIGKILLs every tracked child still running, waits (briefly) for them, removes the directories. */
export async function cleanup() {
  const exits = [];
  for (const child of children) {
    if (!running(child)) continue;
    exits.push(new Promise((resolve) => child.once('exit', resolve)));
    child.kill('SIGKILL');
  }
  await Promise.race([Promise.all(exits), new Promise((resolve) => setTimeout(resolve, 2000))]);
  for (const dir of [...dirs]) await removeDir(dir);
}

/** The same, synchronously: for process 'exit', where nothing can be awaited. */
export function cleanupSync() {
  for (const child of children) if (running(child)) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}
