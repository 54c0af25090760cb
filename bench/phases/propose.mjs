/**
 * Phase "propose": a 3-node cluster of bench nodes (their own processes, WebSocket
 * transport, FileStorage with fsync) under a closed-loop load run inside the leader's
 * process: N proposers each awaiting `node.propose(<128-byte command>)` before the next.
 * Per level: commits/s and latency, fsyncs per commit on the leader and the followers,
 * AppendEntries per second and entries per non-empty AppendEntries, and the leader's CPU
 * and event-loop utilization over the measured window.
 */
import { findLeader, startBenchCluster, stopBenchNodes } from '../lib/bench-cluster.mjs';
import { removeDir, tempDir } from '../lib/children.mjs';
import { ms, progress } from '../lib/progress.mjs';
import { between } from '../lib/samples.mjs';
import { ratio } from '../lib/stats.mjs';

export async function proposePhase({ levels, seconds, warmupMs }) {
  const root = await tempDir('propose');
  let nodes = [];
  try {
    progress('propose: starting 3 bench nodes (FileStorage with fsync, WebSocket transport)');
    nodes = await startBenchCluster(root);
    const results = [];
    for (const concurrency of levels) {
      // Found again for each level: a level's load may (rarely) have cost the leader its term.
      const leader = await findLeader(nodes);
      const followers = nodes.filter((node) => node !== leader);
      progress(
        `propose: ${concurrency} proposer(s) on leader ${leader.id}, ${warmupMs / 1000} s warm-up + ${seconds} s`,
      );
      const followerSamples = {};
      const onWindow = (edge) => {
        followerSamples[edge] = Promise.all(followers.map((node) => node.call('sample')));
      };
      leader.on('window', onWindow);
      let run;
      try {
        run = await leader.call('load', { concurrency, warmupMs, seconds });
      } finally {
        leader.off('window', onWindow);
      }
      const [first, last] = [await followerSamples.start, await followerSamples.end];
      const followerWindows = followers.map((_, i) => between(first[i], last[i]));
      const result = levelResult(run, followerWindows, leader.id);
      results.push(result);
      progress(
        `propose: ${concurrency} proposer(s): ${result.commitsPerSecond.toFixed(0)} commits/s, ` +
          `p50 ${ms(result.latencyMs.p50)}, p99 ${ms(result.latencyMs.p99)}, ` +
          `${result.leader.fsyncsPerCommit?.toFixed(3)} leader fsyncs/commit, ` +
          `${result.appendEntries.meanEntriesPerNonEmpty?.toFixed(1)} entries/AppendEntries, ` +
          `leader CPU ${result.leader.cpuPercent.toFixed(0)} %` +
          (Object.keys(result.errors).length > 0 ? `, errors ${JSON.stringify(result.errors)}` : ''),
      );
    }
    return { levels: results };
  } finally {
    await stopBenchNodes(nodes);
    await removeDir(root);
  }
}

function levelResult(run, followerWindows, leaderId) {
  const { window } = run;
  const commits = window.done;
  const perFollower = followerWindows.map((f) => ({
    fsyncs: f.syncs,
    fsyncsPerCommit: ratio(f.syncs, commits),
    meanFsyncMs: ratio(f.syncSeconds * 1000, f.syncs),
    cpuPercent: f.cpuPercent,
    eventLoopUtilization: f.eventLoopUtilization,
  }));
  return {
    concurrency: run.concurrency,
    leaderId,
    seconds: window.seconds,
    commits,
    commitsPerSecond: commits / window.seconds,
    latencyMs: run.latency,
    errors: run.errors,
    drainMs: run.drainMs,
    leader: {
      fsyncs: window.syncs,
      fsyncsPerCommit: ratio(window.syncs, commits),
      fsyncsPerSecond: window.syncs / window.seconds,
      meanFsyncMs: ratio(window.syncSeconds * 1000, window.syncs),
      cpuPercent: window.cpuPercent,
      eventLoopUtilization: window.eventLoopUtilization,
    },
    followers: {
      fsyncsPerCommit: ratio(
        perFollower.reduce((sum, f) => sum + f.fsyncs, 0),
        commits * perFollower.length,
      ),
      each: perFollower,
    },
    appendEntries: {
      perSecond: window.appendEntries / window.seconds,
      nonEmptyPerSecond: window.nonEmptyAppendEntries / window.seconds,
      meanEntriesPerNonEmpty: ratio(window.entriesSent, window.nonEmptyAppendEntries),
    },
  };
}
