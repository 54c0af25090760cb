/**
 * `GET /metrics` on three nodes as `raftchart node` runs them (in this process, on
 * 127.0.0.1, file storage with fsync): Prometheus text that parses, every metric named in
 * docs/kv.md, and values that move with what the cluster does: writes and reads counted
 * and timed, fsyncs timed, messages counted per peer, snapshots taken by the leader and
 * installed on a follower that was down (and cut off) while the log was compacted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvCluster, call } from './kv-http-cluster.js';

type Samples = Map<string, number>;

/** Every sample as `name{labels}` -> value; throws on a line that is not the text format. */
function parseMetrics(text: string): { samples: Samples; types: Map<string, string> } {
  const samples: Samples = new Map();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type !== null) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})?) (\S+)$/.exec(
      line,
    );
    if (sample === null) throw new Error(`not a Prometheus text line: ${line}`);
    const value = Number(sample[2]);
    if (Number.isNaN(value) && sample[2] !== 'NaN') throw new Error(`not a value: ${line}`);
    samples.set(sample[1]!, value);
  }
  return { samples, types };
}

async function scrape(url: string): Promise<Samples> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(await response.text()).samples;
}

function value(samples: Samples, name: string): number {
  const found = samples.get(name);
  if (found === undefined) throw new Error(`no sample ${name}`);
  return found;
}

/** Every metric docs/kv.md lists, with its type. */
const FAMILIES: Record<string, string> = {
  raftchart_role: 'gauge',
  raftchart_term: 'gauge',
  raftchart_commit_index: 'gauge',
  raftchart_applied_index: 'gauge',
  raftchart_last_log_index: 'gauge',
  raftchart_failed: 'gauge',
  raftchart_proposals_total: 'counter',
  raftchart_commit_latency_seconds: 'histogram',
  raftchart_reads_total: 'counter',
  raftchart_read_latency_seconds: 'histogram',
  raftchart_fsync_seconds: 'histogram',
  raftchart_snapshots_total: 'counter',
  raftchart_transport_frames_total: 'counter',
  raftchart_transport_refused_connections_total: 'counter',
  raftchart_transport_queued_frames: 'gauge',
  raftchart_messages_sent_total: 'counter',
  raftchart_messages_received_total: 'counter',
  raftchart_bytes_sent_total: 'counter',
  raftchart_bytes_received_total: 'counter',
  raftchart_kv_keys: 'gauge',
  raftchart_kv_bytes: 'gauge',
  raftchart_kv_sessions: 'gauge',
};

let cluster: KvCluster;
let leader: string;

beforeAll(async () => {
  cluster = await KvCluster.create(3, { snapshotEvery: 5 });
  await cluster.startAll();
  leader = await cluster.waitForLeader();
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

describe('GET /metrics', () => {
  it("is Prometheus text with every metric, named raftchart_, from the node's own registry", async () => {
    const response = await fetch(`${cluster.url(leader)}/metrics`);
    const { samples, types } = parseMetrics(await response.text());
    for (const [name, type] of Object.entries(FAMILIES)) expect(types.get(name), name).toBe(type);
    for (const name of types.keys()) expect(name).toMatch(/^raftchart_/);
    expect(value(samples, 'raftchart_role{role="leader"}')).toBe(1);
    expect(value(samples, 'raftchart_role{role="follower"}')).toBe(0);
    expect(value(samples, 'raftchart_failed')).toBe(0);
    const follower = cluster.ids.find((id) => id !== leader)!;
    const theirs = await scrape(cluster.url(follower));
    expect(value(theirs, 'raftchart_role{role="follower"}')).toBe(1);
    expect(value(theirs, 'raftchart_term')).toBe(value(samples, 'raftchart_term'));
  });

  it('moves with writes, reads and messages; counts snapshots taken, and installed on a node that was down', async () => {
    const url = cluster.url(leader);
    const down = cluster.ids.find((id) => id !== leader)!;
    const up = cluster.ids.find((id) => id !== leader && id !== down)!;
    await cluster.stop(down);
    // The transport would keep what the leader sends while the node is down, and deliver it
    // when it is back: dropped instead, the node comes back missing entries.
    expect((await call(`${url}/control/block`, 'POST', { outbound: [down] })).status).toBe(200);
    const before = await scrape(url);
    let last = 0;
    for (let i = 0; i < 12; i++) {
      const { status, body } = await call(`${url}/kv/m${i}`, 'PUT', { value: `v${i}` });
      expect(status).toBe(200);
      last = body.index as number;
    }
    expect((await call(`${url}/kv/m0?consistency=serializable`, 'GET')).status).toBe(200);
    expect((await call(`${url}/kv/none?consistency=serializable`, 'GET')).status).toBe(404);
    const after = await scrape(url);
    const moved = (name: string) => value(after, name) - (before.get(name) ?? 0);

    expect(moved('raftchart_proposals_total{op="put",outcome="applied"}')).toBe(12);
    expect(moved('raftchart_commit_latency_seconds_count')).toBe(12);
    expect(moved('raftchart_commit_latency_seconds_sum')).toBeGreaterThan(0);
    expect(moved('raftchart_reads_total{consistency="serializable",outcome="found"}')).toBe(1);
    expect(moved('raftchart_reads_total{consistency="serializable",outcome="not_found"}')).toBe(1);
    expect(moved('raftchart_read_latency_seconds_count{consistency="serializable"}')).toBe(2);
    expect(moved('raftchart_fsync_seconds_count')).toBeGreaterThanOrEqual(12);
    expect(value(after, 'raftchart_applied_index')).toBeGreaterThanOrEqual(last);
    expect(value(after, 'raftchart_commit_index')).toBeGreaterThanOrEqual(last);
    expect(value(after, 'raftchart_last_log_index')).toBeGreaterThanOrEqual(last);
    expect(value(after, 'raftchart_kv_keys')).toBe(12);
    // Keys m0..m11 (2 or 3 bytes) and values v0..v11 (likewise).
    expect(value(after, 'raftchart_kv_bytes')).toBe(2 * (10 * 2 + 2 * 3));
    expect(moved(`raftchart_messages_sent_total{peer="${up}"}`)).toBeGreaterThan(12);
    expect(moved(`raftchart_messages_received_total{peer="${up}"}`)).toBeGreaterThan(12);
    // Every frame is tens of bytes at least: the byte counters move with the frames.
    expect(moved(`raftchart_bytes_sent_total{peer="${up}"}`)).toBeGreaterThan(
      20 * moved(`raftchart_messages_sent_total{peer="${up}"}`),
    );
    expect(moved(`raftchart_bytes_received_total{peer="${up}"}`)).toBeGreaterThan(
      20 * moved(`raftchart_messages_received_total{peer="${up}"}`),
    );
    expect(moved('raftchart_transport_frames_total{event="sent"}')).toBeGreaterThan(12);
    expect(moved('raftchart_transport_frames_total{event="received"}')).toBeGreaterThan(12);
    // Every 5 entries applied; the log before the latest is discarded.
    expect(value(after, 'raftchart_snapshots_total{kind="taken"}')).toBeGreaterThanOrEqual(2);
    expect(value(after, 'raftchart_snapshots_total{kind="installed"}')).toBe(0);

    // The node that was down is behind the leader's compacted log: it gets a snapshot.
    expect((await call(`${url}/control/block`, 'POST', { peers: [] })).status).toBe(200);
    await cluster.start(down);
    await cluster.waitForApplied(down, last);
    const caughtUp = await scrape(cluster.url(down));
    expect(value(caughtUp, 'raftchart_snapshots_total{kind="installed"}')).toBeGreaterThanOrEqual(1);
    expect(value(caughtUp, 'raftchart_kv_keys')).toBe(12);
    expect((await call(`${cluster.url(down)}/kv/m11?consistency=serializable`, 'GET')).body.value).toBe(
      'v11',
    );
  });
});
