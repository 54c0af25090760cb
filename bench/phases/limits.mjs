/* global Buffer, URL, performance */
/**
 * Phase "limits": this machine's floor, measured in the same run as the rest. The latency
 * of a small append made durable (a 200-byte write + fdatasync, through a FileHandle as
 * FileStorage does it) in a directory on the nodes' filesystem; the round trip of a 300-byte
 * WebSocket message to an echo server in another process (the `ws` package, as the
 * transport uses it); and echo throughput at the sizes replication sends (a heartbeat-sized
 * 300 B frame and a 64 KiB batch).
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { removeDir, tempDir } from '../lib/children.mjs';
import { Child } from '../lib/ipc.mjs';
import { ms, progress } from '../lib/progress.mjs';
import { summarize } from '../lib/stats.mjs';

const WS_ECHO = fileURLToPath(new URL('../ws-echo.mjs', import.meta.url));

export async function limitsPhase({ fsyncSamples, rttSamples, throughputSeconds }) {
  const fsync = await measureFdatasync(fsyncSamples);
  progress(
    `limits: 200-byte append + fdatasync: p50 ${ms(fsync.p50)}, p99 ${ms(fsync.p99)} (${fsync.count} samples)`,
  );
  const echo = new Child(WS_ECHO, { name: 'WebSocket echo server' });
  try {
    const port = await echo.call('listen');
    const socket = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    try {
      const rtt = await measureRoundTrip(socket, 300, rttSamples);
      progress(
        `limits: WebSocket round trip, 300 B: p50 ${ms(rtt.p50)}, p99 ${ms(rtt.p99)} (${rtt.count} samples)`,
      );
      const throughput = [];
      for (const bytes of [300, 64 * 1024]) {
        const result = await measureThroughput(socket, bytes, throughputSeconds);
        throughput.push(result);
        progress(
          `limits: WebSocket echo throughput, ${bytes} B: ${result.messagesPerSecond.toFixed(0)} messages/s, ` +
            `${result.megabytesPerSecond.toFixed(1)} MB/s`,
        );
      }
      return { fdatasyncMs: fsync, wsRoundTripMs: rtt, wsEchoThroughput: throughput };
    } finally {
      socket.terminate();
    }
  } finally {
    await echo.call('stop').catch(() => {});
    await echo.exited;
  }
}

/** Appends of 200 bytes, each made durable before the next: `samples` of them, or 5 s worth. */
async function measureFdatasync(samples) {
  const dir = await tempDir('limits');
  try {
    const handle = await open(join(dir, 'probe.log'), 'a');
    const record = Buffer.alloc(200, 7);
    const latencies = [];
    const deadline = performance.now() + 5000;
    try {
      while (latencies.length < samples && performance.now() < deadline) {
        const begin = performance.now();
        await handle.write(record);
        await handle.datasync();
        latencies.push(performance.now() - begin);
      }
    } finally {
      await handle.close();
    }
    return summarize(latencies);
  } finally {
    await removeDir(dir);
  }
}

/** One message in flight at a time: the time from send to its echo. */
async function measureRoundTrip(socket, bytes, samples) {
  const message = 'r'.repeat(bytes);
  const latencies = [];
  const deadline = performance.now() + 5000;
  // A few unmeasured round trips first: the connection's buffers and the JIT warm up.
  for (let i = 0; i < samples + 50 && performance.now() < deadline; i++) {
    const begin = performance.now();
    const echoed = new Promise((resolve) => socket.once('message', resolve));
    socket.send(message);
    await echoed;
    if (i >= 50) latencies.push(performance.now() - begin);
  }
  return summarize(latencies);
}

/**
 * As many messages as the echo keeps up with, a window of them in flight (bounded in bytes
 * too, as a busy link would be), for `seconds`: echoed messages per second and the MB/s
 * that makes one way.
 */
async function measureThroughput(socket, bytes, seconds) {
  const message = 'm'.repeat(bytes);
  const window = Math.max(2, Math.min(256, Math.floor((4 * 1024 * 1024) / bytes)));
  let sent = 0;
  let echoed = 0;
  let stopAt = Infinity;
  const begin = performance.now();
  const end = begin + seconds * 1000;
  await new Promise((resolve) => {
    const onMessage = () => {
      echoed++;
      if (performance.now() >= end) {
        stopAt = Math.min(stopAt, sent);
        if (echoed >= stopAt) {
          socket.off('message', onMessage);
          resolve();
        }
        return;
      }
      socket.send(message);
      sent++;
    };
    socket.on('message', onMessage);
    for (; sent < window; sent++) socket.send(message);
  });
  const elapsed = (performance.now() - begin) / 1000;
  return {
    bytes,
    window,
    seconds: elapsed,
    messagesPerSecond: echoed / elapsed,
    megabytesPerSecond: (echoed * bytes) / elapsed / 1e6,
  };
}
