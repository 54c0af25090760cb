/* global process, performance, setTimeout, clearInterval, setInterval */
/**
 * One Raft node in its own process, driven by the benchmark coordinator over IPC (forked):
 * `createRaftNode` with `FileStorage` (fsync on unless told otherwise), `createWsTransport`
 * on 127.0.0.1, default timing, and a trivial state machine, so what is measured is Raft,
 * storage and transport, not an application. It counts what the phases report: fsyncs
 * (FileStorage's onSync), AppendEntries sent and their entries (the node's 'sent' events),
 * CPU time and event-loop utilization; and runs the load itself (`load`, `fill`), so the
 * proposers' latency includes no IPC.
 */
import { cpuUsage, memoryUsage } from 'node:process';
import { createRaftNode, createWsTransport, FileStorage } from 'raftchart';
import { command } from './lib/command.mjs';
import { announce, serve } from './lib/ipc.mjs';
import { between } from './lib/samples.mjs';
import { summarize } from './lib/stats.mjs';

/** apply returns nothing and snapshot a small string: the cost of an application is not measured. */
const TRIVIAL_STATE_MACHINE = {
  apply() {},
  snapshot: () => 'bench',
  restore() {},
};

const counters = {
  syncs: 0,
  syncSeconds: 0,
  appendEntries: 0,
  nonEmptyAppendEntries: 0,
  entriesSent: 0,
  done: 0,
};
let node = null;
let transport = null;
let storage = null;

function sample() {
  return {
    ...counters,
    at: performance.now(),
    cpu: cpuUsage(),
    elu: performance.eventLoopUtilization(),
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

serve({
  async start({ id, port, peers, dataDir, secret, fsync = true, snapshotEvery }) {
    const opening = performance.now();
    storage = await FileStorage.open(dataDir, {
      fsync,
      onSync: (seconds) => {
        counters.syncs++;
        counters.syncSeconds += seconds;
      },
    });
    const opened = performance.now();
    transport = createWsTransport({ id, listen: { host: '127.0.0.1', port }, peers, secret });
    await transport.start();
    node = createRaftNode({
      id,
      peers: Object.keys(peers),
      transport,
      storage,
      stateMachine: TRIVIAL_STATE_MACHINE,
      ...(snapshotEvery === undefined ? {} : { snapshotEvery }),
    });
    node.on('sent', (message) => {
      if (message.type !== 'AppendEntries') return;
      counters.appendEntries++;
      if (message.entries.length > 0) {
        counters.nonEmptyAppendEntries++;
        counters.entriesSent += message.entries.length;
      }
    });
    node.on('error', (error) => announce('failed', String(error?.stack ?? error)));
    await node.start();
    const started = performance.now();
    return {
      openMs: opened - opening,
      startMs: started - opened,
      // performance.now() counts from this process's start.
      sinceProcessStartMs: started,
      port: transport.address().port,
      status: node.status(),
    };
  },

  status: () => node.status(),

  sample,

  /**
   * Closed loop: `concurrency` proposers, each awaiting its proposal before the next, for
   * warmupMs unmeasured and then `seconds` measured; latencies of the proposals completed
   * inside the measured window. Announces 'window' at its start and end, so the coordinator
   * samples the followers over the same window.
   */
  async load({ concurrency, warmupMs, seconds }) {
    const latencies = [];
    const errors = {};
    let measuring = false;
    let stopping = false;
    let first;
    let last;
    setTimeout(() => {
      first = sample();
      measuring = true;
      announce('window', 'start');
    }, warmupMs);
    setTimeout(
      () => {
        last = sample();
        measuring = false;
        stopping = true;
        announce('window', 'end');
      },
      warmupMs + seconds * 1000,
    );
    let next = 0;
    const proposer = async () => {
      while (!stopping) {
        const begin = performance.now();
        try {
          await node.propose(command(next++));
          counters.done++;
          if (measuring) latencies.push(performance.now() - begin);
        } catch (error) {
          if (measuring) errors[error.name] = (errors[error.name] ?? 0) + 1;
          await sleep(5); // a refusal (no leader, a timeout) must not spin
        }
      }
    };
    const began = performance.now();
    await Promise.all(Array.from({ length: concurrency }, proposer));
    return {
      concurrency,
      window: between(first, last),
      latency: summarize(latencies),
      errors,
      // How long the proposals in flight at the end took to settle.
      drainMs: performance.now() - began - warmupMs - seconds * 1000,
      status: node.status(),
    };
  },

  /** Proposes `count` commands with `concurrency` proposers, or as many as fit in maxSeconds. */
  async fill({ count, concurrency, maxSeconds }) {
    const began = performance.now();
    const deadline = began + maxSeconds * 1000;
    let issued = 0;
    let done = 0;
    const errors = {};
    const ticker = setInterval(
      () => announce('progress', { done, seconds: (performance.now() - began) / 1000 }),
      5000,
    );
    const proposer = async () => {
      while (issued < count && performance.now() < deadline) {
        issued++;
        try {
          await node.propose(command(issued));
          done++;
        } catch (error) {
          errors[error.name] = (errors[error.name] ?? 0) + 1;
          await sleep(5);
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: concurrency }, proposer));
    } finally {
      clearInterval(ticker);
    }
    return { done, errors, seconds: (performance.now() - began) / 1000, status: node.status() };
  },

  /** The process's memory, after full collections if it runs with --expose-gc. */
  async memory() {
    if (typeof globalThis.gc === 'function') {
      for (let i = 0; i < 3; i++) {
        globalThis.gc();
        await sleep(20);
      }
    }
    return { ...memoryUsage(), gc: typeof globalThis.gc === 'function' };
  },

  /** The application's snapshot at the applied index; resolves once it is in storage. */
  async snapshot() {
    const { appliedIndex } = node.status();
    const written = new Promise((resolve) => node.once('snapshotWritten', resolve));
    const began = performance.now();
    const saved = node.saveSnapshot(appliedIndex, TRIVIAL_STATE_MACHINE.snapshot());
    if (saved) await written;
    return { saved, index: appliedIndex, ms: performance.now() - began, status: node.status() };
  },

  async stop() {
    await node?.stop();
    await transport?.stop();
    await storage?.close();
    node = null;
    setTimeout(() => process.exit(0), 10);
    return true;
  },
});
