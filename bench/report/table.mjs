/**
 * The final summary printed at the end of `npm run bench`: one plain-text table per phase
 * (what ran), then the ratios. Every figure is also in the results JSON, unrounded.
 */
import { ms } from '../lib/progress.mjs';

const MiB = 1024 * 1024;

function grid(headers, rows) {
  const cells = [headers, ...rows].map((row) =>
    row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))),
  );
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const line = (row) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join(
    '\n',
  );
}

const n0 = (value) => (typeof value === 'number' ? value.toFixed(0) : null);
const n1 = (value) => (typeof value === 'number' ? value.toFixed(1) : null);
const n2 = (value) => (typeof value === 'number' ? value.toFixed(2) : null);
const n3 = (value) => (typeof value === 'number' ? value.toFixed(3) : null);
const pct = (value) => (typeof value === 'number' ? `${value.toFixed(0)} %` : null);
const mib = (bytes) => (typeof bytes === 'number' ? `${(bytes / MiB).toFixed(0)} MiB` : null);
const errors = (counts) => {
  const total = Object.values(counts ?? {}).reduce((sum, n) => sum + n, 0);
  return total === 0
    ? '0'
    : `${total} (${Object.entries(counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`;
};

export function summaryTable(results) {
  const { phases, ratios } = results;
  const out = [];
  if (phases.limits?.result) {
    const l = phases.limits.result;
    out.push('limits (this machine)');
    out.push(
      grid(
        ['measure', 'p50', 'p99', 'throughput'],
        [
          ['200-byte append + fdatasync', ms(l.fdatasyncMs.p50), ms(l.fdatasyncMs.p99), null],
          ['WebSocket round trip, 300 B', ms(l.wsRoundTripMs.p50), ms(l.wsRoundTripMs.p99), null],
          ...l.wsEchoThroughput.map((t) => [
            `WebSocket echo, ${t.bytes} B`,
            null,
            null,
            `${n0(t.messagesPerSecond)} msg/s, ${n1(t.megabytesPerSecond)} MB/s`,
          ]),
        ],
      ),
    );
  }
  if (phases.propose?.result) {
    out.push('', 'propose (3 bench nodes, closed loop in the leader process, 128-byte commands)');
    out.push(
      grid(
        [
          'proposers',
          'commits/s',
          'p50',
          'p99',
          'max',
          'fsync/commit L',
          'fsync/commit F',
          'entries/AE',
          'AE/s',
          'leader CPU',
          'leader ELU',
          'errors',
        ],
        phases.propose.result.levels.map((r) => [
          r.concurrency,
          n0(r.commitsPerSecond),
          ms(r.latencyMs.p50),
          ms(r.latencyMs.p99),
          ms(r.latencyMs.max),
          n3(r.leader.fsyncsPerCommit),
          n3(r.followers.fsyncsPerCommit),
          n1(r.appendEntries.meanEntriesPerNonEmpty),
          n0(r.appendEntries.perSecond),
          pct(r.leader.cpuPercent),
          n2(r.leader.eventLoopUtilization),
          errors(r.errors),
        ]),
      ),
    );
  }
  if (phases.http?.result) {
    const h = phases.http.result;
    out.push(
      '',
      'http (3 raftchart node processes; client process, keep-alive; PUT /kv/<key>, 128-byte values)',
    );
    out.push(
      grid(
        ['request', 'clients', 'requests/s', 'p50', 'p99', 'max', 'leader CPU', 'client CPU', 'errors'],
        [...h.writes, ...h.reads].map((r) => [
          r.kind === 'put' ? 'PUT' : `GET ${r.consistency}`,
          r.concurrency,
          n0(r.requestsPerSecond),
          ms(r.latencyMs.p50),
          ms(r.latencyMs.p99),
          ms(r.latencyMs.max),
          pct(r.leaderCpuPercent),
          pct(r.clientCpuPercent),
          errors(r.errors),
        ]),
      ),
    );
  }
  if (phases.failover?.result) {
    const f = phases.failover.result;
    out.push(
      '',
      `failover (${f.trials} trials, SIGKILL of the leader of 3 raftchart nodes; election timeout ` +
        `${f.timing.electionTimeoutMinMs}-${f.timing.electionTimeoutMaxMs} ms, polls every ${f.pollMs} ms` +
        `${f.failures.length > 0 ? `; ${f.failures.length} trials failed` : ''})`,
    );
    out.push(
      grid(
        ['from the kill to', 'min', 'p50', 'p90', 'max', 'p50 / min election timeout'],
        [
          [
            'a new leader',
            ...['min', 'p50', 'p90', 'max'].map((k) => ms(f.newLeaderMs[k])),
            n2(f.newLeaderMedianOverMinElectionTimeout),
          ],
          [
            'the first new commit',
            ...['min', 'p50', 'p90', 'max'].map((k) => ms(f.firstCommitMs[k])),
            n2(f.firstCommitMedianOverMinElectionTimeout),
          ],
          [
            '(restart to healthy)',
            ...['min', 'p50', 'p90', 'max'].map((k) => ms(f.restartToHealthyMs[k])),
            null,
          ],
        ],
      ),
    );
  }
  if (phases.memory?.result) {
    const m = phases.memory.result;
    out.push(
      '',
      `memory (one node, fsync on, ${m.entries} entries of 128 bytes${m.entries < m.entriesAsked ? ` of ${m.entriesAsked} asked: time cap` : ''})`,
    );
    out.push(
      grid(
        ['measure', 'value'],
        [
          ['fill rate', `${n0(m.fillPerSecond)} entries/s (${n1(m.fillSeconds)} s)`],
          ['RSS empty', mib(m.rssEmptyBytes)],
          [
            `RSS holding ${m.entries} entries`,
            `${mib(m.rssFullBytes)} (heap ${mib(m.heapUsedFullBytes)}; ${n0(m.bytesPerEntry)} B/entry)`,
          ],
          ['restart from the log: ready', ms(m.restartFromLog?.readyMs)],
          [
            'restart from the log: leading, all applied',
            m.restartFromLog && m.restartFromLog.appliedMs === null
              ? `not within the cap (applied ${m.restartFromLog.appliedIndex})`
              : ms(m.restartFromLog?.appliedMs),
          ],
          ['RSS restarted from the log', mib(m.restartFromLog?.memory.rss)],
          [
            'RSS after saveSnapshot',
            m.rssAfterSnapshotBytes === undefined
              ? null
              : `${mib(m.rssAfterSnapshotBytes)} (heap ${mib(m.heapUsedAfterSnapshotBytes)})`,
          ],
          ['restart from the snapshot: ready', ms(m.restartFromSnapshot?.readyMs)],
          ['RSS restarted from the snapshot', mib(m.restartFromSnapshot?.memory.rss)],
          ...(m.error ? [['stopped early', m.error]] : []),
        ],
      ),
    );
  }
  const failed = Object.entries(phases).filter(([, phase]) => phase.error);
  for (const [name, phase] of failed) out.push('', `${name}: FAILED: ${phase.error}`);
  if (ratios && Object.values(ratios).some((v) => v !== null)) {
    out.push('', 'ratios');
    out.push(
      grid(
        ['ratio', 'value'],
        [
          ['1 proposer p50 / (fdatasync p50 + WS RTT p50)', n2(ratios.singleProposerP50OverFloor)],
          ['p99 / p50 at 256 proposers', n2(ratios.p99OverP50At256)],
          ['HTTP PUT p50 / propose p50, 1 client', n2(ratios.httpOverProposeP50AtOne)],
          [
            'failover: new leader p50 / min election timeout',
            n2(ratios.newLeaderMedianOverMinElectionTimeout),
          ],
        ],
      ),
    );
  }
  return out.join('\n');
}
