/**
 * `raftchart node`: one real node: the WebSocket transport, durable file storage, real time,
 * the command-log state machine, the HTTP client API and structured JSON logs. Runs until
 * SIGINT or SIGTERM, then stops cleanly.
 */
import { once } from 'node:events';
import { pino } from 'pino';
import { createRaftNode } from '../api/raft-node.js';
import { CommandLog } from '../app/command-log.js';
import { FileStorage } from '../storage/file-storage.js';
import { createWsTransport } from '../transport/ws-transport.js';
import { createClientApi } from './client-api.js';
import type { NodeConfig } from './node-config.js';

export async function runNode(config: NodeConfig, signal: AbortSignal): Promise<void> {
  // The secret is redacted wherever it might be logged.
  const logger = pino({ level: config.logLevel ?? 'info', redact: ['secret', '*.secret'] }).child({
    node: config.id,
  });
  const [host, port] = splitAddress(config.listen);
  const transport = createWsTransport({
    id: config.id,
    listen: { host, port },
    peers: Object.fromEntries(Object.entries(config.peers).map(([id, address]) => [id, `ws://${address}`])),
    secret: config.secret,
    logger,
  });
  const storage = await FileStorage.open(config.data, {
    warn: (message, details) => logger.warn(details, message),
  });
  const log = new CommandLog();
  const node = createRaftNode<unknown, number>({
    id: config.id,
    peers: Object.keys(config.peers),
    transport,
    storage,
    stateMachine: log,
    ...(config.snapshotEvery === undefined ? {} : { snapshotEvery: config.snapshotEvery }),
  });
  node.on('role', ({ role, term }) => logger.info({ role, term }, 'role changed'));
  node.on('error', (error) => logger.error({ err: error }, 'node failed'));
  await transport.start();
  await node.start();
  const api = createClientApi(node, log);
  const [clientHost, clientPort] = splitAddress(config.client);
  api.listen(clientPort, clientHost);
  await once(api, 'listening');
  logger.info(
    { listen: config.listen, client: config.client, peers: Object.keys(config.peers) },
    'node started',
  );

  if (!signal.aborted) await once(signal, 'abort');
  logger.info('stopping');
  await node.stop();
  api.close();
  await storage.close();
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
