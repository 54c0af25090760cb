/* global performance, setTimeout */
/**
 * Phase "failover": how long a 3-node cluster of `raftchart node` processes (default
 * timing) is without a leader when its leader crashes. Each trial SIGKILLs the leader, then
 * polls the survivors' GET /status every ~5 ms until one leads in a later term (time to a new
 * leader), then PUTs a key to it until one is answered 200 (time to the first new commit,
 * both from the kill); then restarts the killed node on its data directory and waits until
 * all three agree on the leader and have applied that write before the next trial.
 */
import { DEFAULT_TIMING } from 'raftchart';
import { removeDir, tempDir } from '../lib/children.mjs';
import { httpJson } from '../lib/http-json.mjs';
import { ms, progress } from '../lib/progress.mjs';
import { RaftchartCluster } from '../lib/raftchart-cluster.mjs';
import { ratio, summarize } from '../lib/stats.mjs';

const POLL_MS = 5;
const TRIAL_TIMEOUT_MS = 15_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function failoverPhase({ trials }) {
  const root = await tempDir('failover');
  progress('failover: starting 3 raftchart node processes');
  const cluster = await RaftchartCluster.start(root);
  try {
    let { leader } = await cluster.waitHealthy();
    let applied = 0;
    const results = [];
    const failures = [];
    for (let trial = 1; trial <= trials; trial++) {
      try {
        const result = await runTrial(cluster, leader, trial);
        results.push(result);
        applied = result.index;
        if (trial === 1 || trial % 5 === 0 || trial === trials) {
          progress(
            `failover: trial ${trial}/${trials}: killed ${result.killed}, new leader ${result.newLeader} ` +
              `after ${ms(result.newLeaderMs)}, first commit after ${ms(result.firstCommitMs)}, ` +
              `restarted node healthy after ${ms(result.restartToHealthyMs)}`,
          );
        }
      } catch (error) {
        failures.push({ trial, error: String(error?.message ?? error) });
        progress(`failover: trial ${trial}/${trials} failed: ${error?.message ?? error}`);
        for (const node of cluster.nodes) if (cluster.pid(node.id) === null) cluster.start(node.id);
      }
      ({ leader } = await cluster.waitHealthy({ caughtUp: applied }));
    }
    const newLeaderMs = summarize(results.map((r) => r.newLeaderMs));
    const firstCommitMs = summarize(results.map((r) => r.firstCommitMs));
    return {
      trials: results.length,
      failures,
      timing: DEFAULT_TIMING,
      pollMs: POLL_MS,
      newLeaderMs,
      firstCommitMs,
      restartToHealthyMs: summarize(results.map((r) => r.restartToHealthyMs)),
      newLeaderMedianOverMinElectionTimeout: ratio(newLeaderMs.p50, DEFAULT_TIMING.electionTimeoutMinMs),
      firstCommitMedianOverMinElectionTimeout: ratio(firstCommitMs.p50, DEFAULT_TIMING.electionTimeoutMinMs),
      each: results,
    };
  } finally {
    await cluster.stop();
    await removeDir(root);
  }
}

async function runTrial(cluster, leader, trial) {
  const survivors = cluster.nodes.filter((node) => node.id !== leader.id);
  const killedAt = performance.now();
  await cluster.kill(leader.id);
  const deadline = killedAt + TRIAL_TIMEOUT_MS;
  let elected = null;
  while (elected === null) {
    if (performance.now() > deadline) throw new Error(`no new leader within ${TRIAL_TIMEOUT_MS} ms`);
    const statuses = await Promise.all(survivors.map((node) => cluster.status(node.id, 200)));
    elected = statuses.find((status) => status?.role === 'leader' && status.term > leader.term) ?? null;
    if (elected === null) await sleep(POLL_MS);
  }
  const newLeaderMs = performance.now() - killedAt;
  const url = `${cluster.node(elected.id).url}/kv/failover-${trial}`;
  let index = null;
  while (index === null) {
    if (performance.now() > deadline) throw new Error(`no write committed within ${TRIAL_TIMEOUT_MS} ms`);
    const { status, body } = await httpJson(url, {
      method: 'PUT',
      body: { value: `trial ${trial}` },
      timeoutMs: 2000,
    });
    if (status === 200) index = body.index;
    else await sleep(POLL_MS);
  }
  const firstCommitMs = performance.now() - killedAt;
  const restarting = performance.now();
  cluster.start(leader.id);
  await cluster.waitHealthy({ caughtUp: index });
  return {
    trial,
    killed: leader.id,
    oldTerm: leader.term,
    newLeader: elected.id,
    newTerm: elected.term,
    newLeaderMs,
    firstCommitMs,
    index,
    restartToHealthyMs: performance.now() - restarting,
  };
}
