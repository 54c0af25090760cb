/**
 * Small tmpfs mounts, for tests that need a filesystem that really fills up or really is
 * read-only. Mounting needs privileges a test process often lacks (an unprivileged user, a
 * CI container), so `tmpfsUnavailable` probes and says why, and those tests skip with it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why a tmpfs cannot be mounted here, or undefined if it can (found by mounting one). */
export function tmpfsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `tmpfs is Linux only, and this is ${process.platform}`;
  let mount: Tmpfs;
  try {
    mount = Tmpfs.mount(64 * 1024);
  } catch (error) {
    return `mounting a tmpfs failed (${firstLine(error)}): it needs root with CAP_SYS_ADMIN`;
  }
  mount.unmount();
  return undefined;
}

export class Tmpfs {
  private constructor(readonly dir: string) {}

  /** A fresh tmpfs of `bytes` (whole pages) on a new temporary directory. */
  static mount(bytes: number): Tmpfs {
    const dir = mkdtempSync(join(tmpdir(), 'raftchart-tmpfs-'));
    try {
      run('mount', '-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return new Tmpfs(dir);
  }

  readOnly(readOnly: boolean): void {
    run('mount', '-o', `remount,${readOnly ? 'ro' : 'rw'}`, this.dir);
  }

  unmount(): void {
    run('umount', this.dir);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function run(command: string, ...args: string[]): void {
  execFileSync(command, args, { stdio: 'pipe' });
}

function firstLine(error: unknown): string {
  const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
  return (stderr || String(error)).split('\n')[0]!;
}
