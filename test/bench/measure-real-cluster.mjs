/* global process, Buffer, performance, fetch, setTimeout, console */
/**
 * `npm run bench:cluster`: a 3-node loopback cluster of real processes (WebSocket transport,
 * file storage with fsync) measured end to end over HTTP, as a client sees it, with 1 and
 * with 64 concurrent clients: key/value writes per second and their latency (PUT /kv/<key> to
 * the leader until applied there), and reads per second and latency at each consistency
 * (linearizable through ReadIndex, log through a log entry, serializable from local state);
 * and, in the same run, this machine's fsync and loopback round-trip times, which bound
 * them. Not a test: it only prints figures.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DURATION_MS = Number(process.env.BENCH_MS ?? 5000);
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (n) => `${n.toFixed(2)} ms`;
const summary = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return `median ${ms(percentile(sorted, 50))}, p99 ${ms(percentile(sorted, 99))} (${sorted.length} samples)`;
};

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

function measureFsync(dir) {
  const file = join(dir, 'fsync-probe');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(4096, 7);
  const samples = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    writeSync(fd, block);
    fsyncSync(fd);
    samples.push(performance.now() - t0);
  }
  closeSync(fd);
  return samples;
}

async function measureLoopback() {
  const server = createServer((socket) => socket.pipe(socket)).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = createConnection(server.address().port, '127.0.0.1');
  socket.setNoDelay(true);
  await once(socket, 'connect');
  const samples = [];
  const payload = Buffer.alloc(64, 1);
  for (let i = 0; i < 2000; i++) {
    const t0 = performance.now();
    socket.write(payload);
    let got = 0;
    while (got < payload.length) got += (await once(socket, 'data'))[0].length;
    samples.push(performance.now() - t0);
  }
  socket.destroy();
  server.close();
  return samples;
}

async function startCluster(root) {
  const ids = ['n1', 'n2', 'n3'];
  const ports = {};
  for (const id of ids) ports[id] = { raft: await freePort(), client: await freePort() };
  const children = ids.map((id) =>
    spawn(
      process.execPath,
      [
        'dist/src/cli/main.js',
        'node',
        '--id',
        id,
        '--listen',
        `127.0.0.1:${ports[id].raft}`,
        '--client',
        `127.0.0.1:${ports[id].client}`,
        '--data',
        join(root, id),
        '--log-level',
        'warn',
        ...ids.filter((p) => p !== id).flatMap((p) => ['--peer', `${p}=127.0.0.1:${ports[p].raft}`]),
      ],
      { env: { ...process.env, RAFTCHART_SECRET: 'benchmark-secret-0123456789' }, stdio: 'ignore' },
    ),
  );
  for (;;) {
    for (const id of ids) {
      try {
        const status = await (await fetch(`http://127.0.0.1:${ports[id].client}/status`)).json();
        if (status.role === 'leader') return { children, leaderUrl: `http://127.0.0.1:${ports[id].client}` };
      } catch {
        // not up yet
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs `request(i)` from `concurrency` clients for DURATION_MS; counts the answers `served` says are. */
async function load(concurrency, request, served = (status) => status === 200) {
  const latencies = [];
  const deadline = performance.now() + DURATION_MS;
  let next = 0;
  let refused = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const response = await request(next++);
        await response.json();
        if (served(response.status)) latencies.push(performance.now() - t0);
        else refused++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (refused > 0) console.log(`  (${refused} requests refused, not counted)`);
  return { perSecond: latencies.length / seconds, latencies };
}

const KEYS = 1000;
const write = (leaderUrl) => (i) =>
  fetch(`${leaderUrl}/kv/k${i % KEYS}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ value: `v${i}` }),
  });
const read = (leaderUrl, consistency) => (i) =>
  fetch(`${leaderUrl}/kv/k${i % KEYS}?consistency=${consistency}`);

const root = await mkdtemp(join(tmpdir(), 'raftchart-bench-'));
try {
  console.log(`fsync of 4 KiB: ${summary(measureFsync(root))}`);
  console.log(`loopback TCP round trip (64 bytes): ${summary(await measureLoopback())}`);
  const { children, leaderUrl } = await startCluster(root);
  try {
    for (const concurrency of [1, 64]) {
      const { perSecond, latencies } = await load(concurrency, write(leaderUrl));
      console.log(
        `${concurrency} client(s), PUT: ${perSecond.toFixed(0)} writes/s; latency ${summary(latencies)}`,
      );
    }
    for (const consistency of ['linearizable', 'log', 'serializable']) {
      for (const concurrency of [1, 64]) {
        // A key not written yet is a read served too (404).
        const { perSecond, latencies } = await load(concurrency, read(leaderUrl, consistency), (status) =>
          [200, 404].includes(status),
        );
        console.log(
          `${concurrency} client(s), GET ${consistency}: ${perSecond.toFixed(0)} reads/s; latency ${summary(latencies)}`,
        );
      }
    }
  } finally {
    for (const child of children) child.kill('SIGKILL');
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
