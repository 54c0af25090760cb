/**
 * `raftchart node`: one real node: the WebSocket transport, durable file storage, real time,
 * the key/value store as its application, the HTTP API (key/value routes, status, metrics)
 * and structured JSON logs. Runs until
 * SIGINT or SIGTERM, then stops cleanly; if the node fails (its storage, its actor or its
 * application threw), it logs why, stops, and rejects with the failure, so the process
 * exits non-zero and a supervisor restarts it.
 */
import { once } from 'node:events';
import { pino } from 'pino';
import { createRaftNode } from '../api/create-raft-node.js';
import { DEFAULT_COMMAND_LIMITS } from '../api/raft-node.js';
import type { StateMachine } from '../api/state-machine.js';
import type { Server } from 'node:http';
import { ConfigError } from '../errors.js';
import type { NodeFailedError } from '../errors.js';
import { recordNode } from '../inspect/recording-file.js';
import type { KvCommand, KvResult } from '../kv/kv-command.js';
import { KvMetrics } from '../kv/kv-metrics.js';
import { KvService } from '../kv/kv-service.js';
import { KvStore } from '../kv/kv-store.js';
import { xstateInspector } from './xstate-inspector.js';
import { isLoopbackHost } from '../net/loopback.js';
import { FileStorage } from '../storage/file-storage.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../transport/options.js';
import { createWsTransport } from '../transport/ws-transport.js';
import { addSelf } from './add-self.js';
import { createClientApi } from './client-api.js';
import type { NodeConfig } from './node-config.js';

/**
 * Room around a command: the HTTP body's other fields (`expected`, `client`, `seq`) and JSON
 * escapes, a frame's envelope and entry wrappers.
 */
const ENVELOPE_BYTES = 64 * 1024;

export async function runNode(config: NodeConfig, signal: AbortSignal): Promise<void> {
  // The secret is redacted wherever it might be logged.
  const logger = pino({ level: config.logLevel ?? 'info', redact: ['secret', '*.secret'] }).child({
    node: config.id,
  });
  const maxCommandBytes = config.maxCommandBytes ?? DEFAULT_COMMAND_LIMITS.maxBytes;
  const [host, port] = splitAddress(config.listen);
  const transport = createWsTransport({
    id: config.id,
    listen: { host, port },
    peers: Object.fromEntries(Object.entries(config.peers).map(([id, address]) => [id, `ws://${address}`])),
    secret: config.secret,
    // Every command the door admits must fit a frame, alone or in a batch.
    maxFrameBytes: Math.max(DEFAULT_MAX_FRAME_BYTES, maxCommandBytes + ENVELOPE_BYTES),
    logger,
  });
  // Read when scraped, which is only once the API listens: by then the node exists.
  const store = new KvStore();
  const metrics = new KvMetrics(
    { status: () => node.status(), transport: () => transport.stats(), kvSize: () => store.size },
    Object.keys(config.peers),
  );
  const storage = await FileStorage.open(config.data, {
    warn: (message, details) => logger.warn(details, message),
    onSync: (seconds) => metrics.fsync(seconds),
  });
  const feedAddress =
    config.inspect === undefined ? undefined : inspectionFeedAt(config.inspect, config.secret);
  // XState's own inspector, if asked for by flag, config or RAFTCHART_XSTATE_INSPECT.
  const xstate = await xstateInspector(config.xstateInspect);
  if (xstate !== undefined) logger.info('sending the statechart actor to the XState inspector');
  const application = meteredStore(store, metrics);
  const node = createRaftNode<KvCommand, KvResult>({
    id: config.id,
    peers: Object.keys(config.peers),
    transport,
    storage,
    stateMachine: application,
    maxCommandBytes,
    ...(config.maxCommandDepth === undefined ? {} : { maxCommandDepth: config.maxCommandDepth }),
    ...(config.snapshotEvery === undefined ? {} : { snapshotEvery: config.snapshotEvery }),
    ...(config.join === true ? { join: true } : {}),
    features: { preVote: config.preVote ?? true, checkQuorum: config.checkQuorum ?? true },
    ...(feedAddress === undefined ? {} : { inspectionFeed: feedAddress }),
    ...(xstate === undefined ? {} : { inspect: xstate.inspect }),
  });
  node.on('role', ({ role, term }) => logger.info({ role, term }, 'role changed'));
  node.on('membership', ({ voters, learners }) => logger.info({ voters, learners }, 'membership changed'));
  const failed = new Promise<NodeFailedError | Error>((resolve) => node.on('error', resolve));
  node.on('error', (error) =>
    logger.fatal({ err: error }, 'node failed; exiting with status 1 so that a supervisor restarts it'),
  );
  const api = createClientApi(node, new KvService(node, store), {
    maxBodyBytes: maxCommandBytes + ENVELOPE_BYTES,
    peerClients: config.peerClients ?? {},
    metrics,
    control: { transport, secret: config.secret, admin: node },
  });
  // Recorded from its start, if asked: appended to the file, one section per start.
  const recorder =
    config.record === undefined
      ? null
      : recordNode(node, config.record, {
          timeOrigin: performance.timeOrigin,
          onError: (error) => logger.error({ err: error }, 'recording stopped; the node carries on'),
        });
  if (recorder !== null) logger.info({ file: config.record }, 'recording what enters the statechart');
  // Every address is bound before the node joins: a node that cannot serve never takes part.
  try {
    await listen(api, config.client);
    await transport.start();
    await node.start(); // binds the inspection feed first, if asked for
    application.started();
  } catch (error) {
    await recorder?.close().catch(() => {}); // a write failure was logged when it happened
    api.close();
    await transport.stop();
    await storage.close();
    throw error;
  }
  logger.info(
    { listen: config.listen, client: config.client, peers: Object.keys(config.peers) },
    'node started',
  );
  // Asked for: the node has itself added (a learner, then a voter) while it runs.
  const stopAdding = new AbortController();
  const adding =
    config.addSelf === true
      ? addSelf({
          id: config.id,
          address: config.listen,
          peerClients: config.peerClients ?? {},
          secret: config.secret,
          node,
          signal: AbortSignal.any([signal, stopAdding.signal]),
          log: (message) => logger.info(message),
        })
      : null;
  if (node.feed !== null) {
    const access =
      feedAddress?.secret === undefined ? 'loopback: no token' : 'the token of the cluster secret';
    logger.info({ url: node.feed.url, access }, 'inspection feed served');
  }

  const failure = signal.aborted
    ? null
    : await Promise.race([once(signal, 'abort').then(() => null), failed]);
  if (failure === null) logger.info('stopping');
  stopAdding.abort();
  await adding;
  await node.stop();
  await recorder?.close().catch(() => {});
  xstate?.stop();
  // Requests in progress get their answer (503 once failed); idle keep-alive sockets go now.
  api.close();
  api.closeIdleConnections();
  await storage.close();
  if (failure !== null) throw failure;
}

/**
 * The store as the node's application, counting the snapshots taken of it and installed in
 * it. The node restores its own latest snapshot while it starts: not an install.
 */
function meteredStore(
  store: KvStore,
  metrics: KvMetrics,
): StateMachine<KvCommand, KvResult> & {
  started(): void;
} {
  let running = false;
  return {
    apply: (command, index) => store.apply(command, index),
    snapshot: () => {
      metrics.snapshot('taken');
      return store.snapshot();
    },
    restore: (snapshot, meta) => {
      store.restore(snapshot, meta);
      if (running) metrics.snapshot('installed');
    },
    started: () => void (running = true),
  };
}

/** Binds the client API, or rejects with an error that names the address. */
async function listen(api: Server, address: string): Promise<void> {
  const [host, port] = splitAddress(address);
  api.listen(port, host);
  try {
    await once(api, 'listening');
  } catch (error) {
    throw new ConfigError(
      `cannot listen for clients on ${address} (--client): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** The feed's address; off loopback its clients need the token of the cluster secret. */
function inspectionFeedAt(address: string, secret: string): { host: string; port: number; secret?: string } {
  const [host, port] = splitAddress(address);
  return isLoopbackHost(host) ? { host, port } : { host, port, secret };
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
