/* global URL, console, process */
/**
 * `npm run bench`: raftchart measured end to end on this machine, in one run: the machine's
 * floor (limits), proposals in a 3-node cluster of bench nodes (propose), HTTP writes and
 * reads on a cluster of `raftchart node` processes (http), leader crashes (failover) and a
 * large log (memory). Prints progress as it goes and a summary table at the end, and writes
 * bench/results/<date>.json (every figure, the machine, the settings) and <date>.svg (the
 * plot). Knobs are environment variables, listed in bench/README.md. Every process it starts
 * is stopped and every temporary directory removed, on errors and Ctrl-C too.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanup, cleanupSync } from './lib/children.mjs';
import { closeHttpJson } from './lib/http-json.mjs';
import { loadAverage, machineInfo } from './lib/machine-info.mjs';
import { elapsedSeconds, progress } from './lib/progress.mjs';
import { ratio, rounded } from './lib/stats.mjs';
import { failoverPhase } from './phases/failover.mjs';
import { httpPhase } from './phases/http.mjs';
import { limitsPhase } from './phases/limits.mjs';
import { memoryPhase } from './phases/memory.mjs';
import { proposePhase } from './phases/propose.mjs';
import { plotSvg } from './report/plot-svg.mjs';
import { summaryTable } from './report/table.mjs';

const PHASES = ['limits', 'propose', 'http', 'failover', 'memory'];
const env = process.env;
/** Set by SIGINT/SIGTERM: no further phase starts while the processes are being stopped. */
let interrupted = false;

function number(name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

function list(name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const values = raw.split(',').map((item) => Number(item.trim()));
  if (values.some((value) => !Number.isInteger(value) || value < 1)) {
    throw new Error(`${name} must be a comma-separated list of positive integers, got "${raw}"`);
  }
  return values;
}

function selectedPhases() {
  const flag = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
  const raw = flag ?? env.BENCH_ONLY;
  if (raw === undefined || raw === '') return PHASES;
  const chosen = raw.split(',').map((item) => item.trim());
  const unknown = chosen.filter((name) => !PHASES.includes(name));
  if (unknown.length > 0)
    throw new Error(`unknown phase(s) ${unknown.join(', ')}: choose from ${PHASES.join(', ')}`);
  return PHASES.filter((name) => chosen.includes(name));
}

function settings() {
  const seconds = number('BENCH_SECONDS', 5);
  return {
    phases: selectedPhases(),
    seconds,
    warmupMs: number('BENCH_WARMUP_SECONDS', 1) * 1000,
    levels: list('BENCH_LEVELS', [1, 16, 64, 256, 1024]),
    httpLevels: list('BENCH_HTTP_LEVELS', [1, 16, 64, 256]),
    readLevels: list('BENCH_READ_LEVELS', [1, 64]),
    readSeconds: number('BENCH_READ_SECONDS', Math.min(seconds, 3)),
    fsyncSamples: number('BENCH_FSYNC_SAMPLES', 1000),
    rttSamples: number('BENCH_RTT_SAMPLES', 2000),
    throughputSeconds: number('BENCH_THROUGHPUT_SECONDS', 2),
    failoverTrials: number('BENCH_FAILOVER_TRIALS', 30),
    memoryEntries: number('BENCH_MEMORY_ENTRIES', 1_000_000),
    memoryConcurrency: number('BENCH_MEMORY_CONCURRENCY', 1024),
    memorySeconds: number('BENCH_MEMORY_SECONDS', 150),
  };
}

/**
 * JSON as the repository's Prettier writes it (short arrays on one line), so that committed
 * results pass `npm run lint`; plain JSON.stringify where Prettier is not installed.
 */
async function formatJson(file, value) {
  const text = JSON.stringify(value, null, 2) + '\n';
  try {
    const prettier = await import('prettier');
    return await prettier.format(text, { ...(await prettier.resolveConfig(file)), parser: 'json' });
  } catch {
    return text;
  }
}

function localDate() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

const PHASE_RUNNERS = {
  limits: (s) =>
    limitsPhase({
      fsyncSamples: s.fsyncSamples,
      rttSamples: s.rttSamples,
      throughputSeconds: s.throughputSeconds,
    }),
  propose: (s) => proposePhase({ levels: s.levels, seconds: s.seconds, warmupMs: s.warmupMs }),
  http: (s) =>
    httpPhase({
      levels: s.httpLevels,
      readLevels: s.readLevels,
      seconds: s.seconds,
      readSeconds: s.readSeconds,
      warmupMs: s.warmupMs,
    }),
  failover: (s) => failoverPhase({ trials: s.failoverTrials }),
  memory: (s) =>
    memoryPhase({ entries: s.memoryEntries, concurrency: s.memoryConcurrency, maxSeconds: s.memorySeconds }),
};

function computeRatios(phases) {
  const limits = phases.limits?.result;
  const levels = phases.propose?.result?.levels ?? [];
  const at = (n) => levels.find((level) => level.concurrency === n);
  const httpOne = phases.http?.result?.writes.find((w) => w.concurrency === 1);
  const floor = limits ? limits.fdatasyncMs.p50 + limits.wsRoundTripMs.p50 : null;
  return {
    floorMs: floor,
    singleProposerP50OverFloor: ratio(at(1)?.latencyMs.p50, floor),
    p99OverP50At256: ratio(at(256)?.latencyMs.p99, at(256)?.latencyMs.p50),
    httpOverProposeP50AtOne: ratio(httpOne?.latencyMs.p50, at(1)?.latencyMs.p50),
    newLeaderMedianOverMinElectionTimeout:
      phases.failover?.result?.newLeaderMedianOverMinElectionTimeout ?? null,
  };
}

function plot(results) {
  const propose = (results.phases.propose?.result?.levels ?? []).map((level) => ({
    concurrency: level.concurrency,
    perSecond: level.commitsPerSecond,
    p50: level.latencyMs.p50,
    p99: level.latencyMs.p99,
  }));
  const http = (results.phases.http?.result?.writes ?? []).map((write) => ({
    concurrency: write.concurrency,
    perSecond: write.requestsPerSecond,
    p50: write.latencyMs.p50,
    p99: write.latencyMs.p99,
  }));
  if (propose.length === 0 && http.length === 0) return null;
  const m = results.machine;
  return plotSvg({
    propose,
    http,
    floorMs: results.ratios.floorMs,
    title: `raftchart: writes on a 3-node cluster, ${results.date}`,
    subtitle:
      `${m.cpus} x ${m.cpuModel}, Node ${m.node}, ${m.filesystem.type ?? ''} data dir; ` +
      `load average ${results.loadAverage.before[0]} before, ${results.loadAverage.after[0]} after; commit ${m.commit}${m.dirty ? ' (modified)' : ''}`,
  });
}

async function main() {
  const s = settings();
  const date = localDate();
  const outDir = env.BENCH_OUT ?? fileURLToPath(new URL('./results/', import.meta.url));
  // A partial run gets its own name, so that it never replaces the day's full results.
  const stem = env.BENCH_NAME ?? (s.phases.length === PHASES.length ? date : `${date}-${s.phases.join('+')}`);
  const results = {
    date,
    startedAt: new Date().toISOString(),
    machine: machineInfo(),
    loadAverage: { before: loadAverage(), after: null },
    settings: s,
    phases: {},
    ratios: null,
    durationSeconds: null,
  };
  progress(
    `raftchart bench: phases ${s.phases.join(', ')}; ${results.machine.cpus} CPUs, Node ${results.machine.node}, ` +
      `load average ${results.loadAverage.before.join(' ')}`,
  );
  for (const name of s.phases) {
    if (interrupted) break;
    const began = elapsedSeconds();
    const load = loadAverage();
    progress(`phase ${name}`);
    try {
      results.phases[name] = { result: await PHASE_RUNNERS[name](s) };
    } catch (error) {
      results.phases[name] = { error: String(error?.stack ?? error) };
      progress(`phase ${name} failed: ${error?.message ?? error}`);
    }
    Object.assign(results.phases[name], {
      seconds: elapsedSeconds() - began,
      loadAverage: { before: load, after: loadAverage() },
    });
    progress(`phase ${name} done in ${results.phases[name].seconds.toFixed(1)} s`);
  }
  if (interrupted) return 130; // nothing written: the figures would be incomplete
  results.loadAverage.after = loadAverage();
  results.ratios = computeRatios(results.phases);
  results.durationSeconds = elapsedSeconds();

  await mkdir(outDir, { recursive: true });
  const jsonFile = join(outDir, `${stem}.json`);
  await writeFile(jsonFile, await formatJson(jsonFile, rounded(results)));
  const svg = plot(results);
  const svgFile = join(outDir, `${stem}.svg`);
  if (svg !== null) await writeFile(svgFile, svg);
  console.log('');
  console.log(summaryTable(results));
  console.log('');
  console.log(
    `load average ${results.loadAverage.before.join(' ')} before, ${results.loadAverage.after.join(' ')} after; ` +
      `${results.machine.cpus} CPUs`,
  );
  progress(
    `done in ${results.durationSeconds.toFixed(0)} s: ${jsonFile}${svg === null ? '' : `, ${svgFile}`}`,
  );
  return Object.values(results.phases).some((phase) => phase.error) ? 1 : 0;
}

process.once('exit', cleanupSync);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    interrupted = true;
    progress(`${signal}: stopping every process the benchmark started`);
    await cleanup();
    process.exit(130);
  });
}

let code = 1;
try {
  code = await main();
} catch (error) {
  console.error(error?.stack ?? error);
} finally {
  await cleanup();
  closeHttpJson();
}
process.exitCode = code;
