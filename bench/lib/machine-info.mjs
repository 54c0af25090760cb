/* global process */
/**
 * What the figures were measured on: CPUs, memory, load average (the machine may be
 * shared), Node, the kernel, the filesystem of the data directories, and the commit.
 */
import { execFileSync } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { arch, cpus, freemem, loadavg, platform, release, totalmem } from 'node:os';
import { TEMP_ROOT } from './children.mjs';

function git(args) {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function filesystem() {
  try {
    const line = execFileSync('df', ['-PT', TEMP_ROOT], { encoding: 'utf8' }).trim().split('\n').at(-1);
    const [device, type] = line.split(/\s+/);
    return { dir: TEMP_ROOT, device, type };
  } catch {
    return { dir: TEMP_ROOT, type: statfsSync(TEMP_ROOT).type };
  }
}

export function loadAverage() {
  return loadavg().map((value) => Number(value.toFixed(2)));
}

export function machineInfo() {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? null,
    totalMemoryBytes: totalmem(),
    freeMemoryBytes: freemem(),
    node: process.version,
    platform: `${platform()} ${release()} ${arch()}`,
    filesystem: filesystem(),
    commit: git(['rev-parse', '--short', 'HEAD']),
    // Uncommitted changes in the core, which the figures then include.
    dirty: git(['status', '--porcelain', '--', 'src', 'machines'])?.length > 0,
  };
}
