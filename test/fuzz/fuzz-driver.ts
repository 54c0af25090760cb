/**
 * Runs the fuzzer over its seeds: each seed's random schedule and its Figure 8 scenario,
 * progress lines as it goes, a report for every failure (seed, schedule, virtual time,
 * replay command, shrunk schedule), and a summary line `fuzz: N seeds, M failed, X s`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { figure8Plan, formatFigure8Plan, runFigure8 } from './figure8.js';
import type { FuzzOptions, Generator } from './fuzz-options.js';
import { replayCommand } from './fuzz-options.js';
import type { RunFailed } from './outcome.js';
import { runSchedule } from './run-schedule.js';
import type { FuzzSchedule } from './schedule.js';
import { formatSchedule, generateSchedule } from './schedule.js';
import { shrinkSchedule } from './shrink.js';

export interface FuzzSummary {
  /** Seeds run (fewer than asked if the wall-clock limit stopped the run). */
  readonly seeds: number;
  readonly failed: number;
  /** One report per failed run, as printed. */
  readonly reports: readonly string[];
  /** Figure 8 runs that got E elected again with X on a majority (the dangerous moment). */
  readonly figure8Overwrites: number;
  readonly figure8Runs: number;
  /** Random runs: proposals made, and the longest recovery after the heal (virtual ms). */
  readonly proposals: number;
  readonly maxRecoveryMs: number;
  readonly wallMs: number;
  readonly line: string;
}

/**
 * What a failing test says: the summary line and, for the first failures, their first lines
 * (the seed, the message, the replay command); the full reports were printed as they came.
 */
export function failureDigest(summary: FuzzSummary): string {
  const firsts = summary.reports
    .slice(0, FULL_REPORTS)
    .map((report) => report.split('\n').slice(0, 3).join('\n'));
  return [summary.line, ...firsts].join('\n');
}

/** Progress every this many seeds, and at least this often (wall ms). */
const PROGRESS_SEEDS = 25;
const PROGRESS_MS = 15_000;
/** Failures printed in full; later ones get their first lines. */
const FULL_REPORTS = 5;

export async function fuzz(
  options: FuzzOptions,
  print: (line: string) => void = console.log,
): Promise<FuzzSummary> {
  const started = Date.now();
  const elapsed = () => ((Date.now() - started) / 1000).toFixed(1);
  const reports: string[] = [];
  const failedSeeds = new Set<number>();
  let seeds = 0;
  let proposals = 0;
  let maxRecoveryMs = 0;
  let figure8Runs = 0;
  let figure8Overwrites = 0;
  let lastProgress = started;
  let shrinks = 0;
  const kinds = new Map<string, number>();
  const fail = (seed: number, report: string, kind: string) => {
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    failedSeeds.add(seed);
    reports.push(report);
    // The first failures in full; after that, their first lines (a planted bug fails most seeds).
    print(reports.length <= FULL_REPORTS ? report : report.split('\n').slice(0, 3).join('\n'));
  };

  if (options.schedulePath !== undefined) {
    const schedule = JSON.parse(readFileSync(options.schedulePath, 'utf8')) as FuzzSchedule;
    const outcome = await runSchedule(schedule);
    seeds = 1;
    if (!outcome.ok) {
      const replay = `FUZZ_SCHEDULE=${options.schedulePath} npm run fuzz`;
      // A saved schedule is shrunk already (and shrinking would overwrite its file).
      fail(schedule.seed, await randomReport(schedule, outcome, replay, false), `random ${outcome.kind}`);
    }
  }
  for (const seed of options.schedulePath === undefined ? options.seeds : []) {
    if (Date.now() - started > options.wallSeconds * 1000) {
      print(`fuzz: stopping after ${elapsed()} s of wall time (FUZZ_WALL_SECONDS=${options.wallSeconds})`);
      break;
    }
    seeds++;
    if (options.generators.includes('random')) {
      const schedule = generateSchedule(seed, { durationMs: Math.round(options.seconds * 1000) });
      const outcome = await runSchedule(schedule);
      if (outcome.ok) {
        proposals += outcome.proposals;
        maxRecoveryMs = Math.max(maxRecoveryMs, outcome.recoveryMs);
      } else {
        const shrink = shrinks++ < options.shrink;
        const report = await randomReport(schedule, outcome, replayCommand(seed, 'random', options), shrink);
        fail(seed, report, `random ${outcome.kind}`);
      }
    }
    if (options.generators.includes('figure8')) {
      const plan = figure8Plan(seed);
      const outcome = await runFigure8(plan);
      figure8Runs++;
      if (outcome.stage === 'overwrite') figure8Overwrites++;
      if (!outcome.ok) {
        const head = failureHead(seed, 'figure8', outcome, replayCommand(seed, 'figure8', options));
        fail(
          seed,
          [
            ...head,
            `  plan: ${formatFigure8Plan(plan)}`,
            `  reached: ${outcome.stage}`,
            ...recent(outcome),
          ].join('\n'),
          `figure8 ${outcome.kind}`,
        );
      }
    }
    if (seeds % PROGRESS_SEEDS === 0 || Date.now() - lastProgress > PROGRESS_MS) {
      lastProgress = Date.now();
      print(`fuzz: ${seeds}/${options.seeds.length} seeds, ${failedSeeds.size} failed, ${elapsed()} s`);
    }
  }
  const wallMs = Date.now() - started;
  const figure8 =
    figure8Runs > 0 ? `; figure 8 reached the overwrite in ${figure8Overwrites}/${figure8Runs}` : '';
  const failures = [...kinds].map(([kind, count]) => `${count} ${kind}`).join(', ');
  const line =
    `fuzz: ${seeds} seeds, ${failedSeeds.size} failed, ${(wallMs / 1000).toFixed(1)} s ` +
    (failures === '' ? '' : `[failures: ${failures}] `) +
    `(${options.schedulePath ?? options.generators.join(' + ')}; ${proposals} proposals, slowest recovery ${maxRecoveryMs} ms${figure8})`;
  print(line);
  return {
    seeds,
    failed: failedSeeds.size,
    reports,
    figure8Overwrites,
    figure8Runs,
    proposals,
    maxRecoveryMs,
    wallMs,
    line,
  };
}

function failureHead(seed: number, generator: Generator, failure: RunFailed, replay: string): string[] {
  return [
    `fuzz: FAILED seed ${seed} (${generator === 'random' ? 'random schedule' : 'figure 8'}, ${failure.kind}) at t=${failure.at}ms`,
    `  ${failure.message.split('\n').join('\n  ')}`,
    `  replay: ${replay}`,
  ];
}

function recent(failure: RunFailed): string[] {
  return ['  last events:', ...failure.recent.map((line) => `    ${line}`)];
}

/** A random schedule's failure: the schedule up to the failure, then (if asked) shrunk. */
async function randomReport(
  schedule: FuzzSchedule,
  failure: RunFailed,
  replay: string,
  shrink: boolean,
): Promise<string> {
  const lines = failureHead(schedule.seed, 'random', failure, replay);
  const upToFailure = { ...schedule, events: schedule.events.filter((event) => event.at <= failure.at) };
  lines.push(
    `  schedule (events up to the failure):`,
    indent(formatSchedule(upToFailure), 4),
    ...recent(failure),
  );
  if (shrink) {
    const shrunk = await shrinkSchedule(schedule, failure, runSchedule);
    const file = join(tmpdir(), `raftchart-fuzz-seed-${schedule.seed}.json`);
    writeFileSync(file, JSON.stringify(shrunk.schedule));
    lines.push(
      `  shrunk to ${shrunk.schedule.events.length} of ${schedule.events.length} events in ${shrunk.runs} runs, ` +
        `failing at t=${shrunk.failure.at}ms: ${shrunk.failure.message.split('\n')[0]}`,
      indent(formatSchedule(shrunk.schedule), 4),
      `  replay the shrunk schedule: FUZZ_SCHEDULE=${file} npm run fuzz`,
    );
  }
  return lines.join('\n');
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}
