/** XState's own inspector, opt-in: a node's actor events reach a WebSocket inspector server. */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { RaftNode } from '../../src/api/raft-node.js';
import { CommandLog } from '../../src/app/command-log.js';
import type { XStateInspector } from '../../src/cli/xstate-inspector.js';
import { XSTATE_INSPECT_ENV, xstateInspector } from '../../src/cli/xstate-inspector.js';
import { ConfigError } from '../../src/errors.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { freePort } from '../transport/helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('XState inspector (opt-in)', () => {
  it('is off unless a URL is given by flag or environment, and refuses a URL that is not ws://', async () => {
    expect(await xstateInspector(undefined, {})).toBeUndefined();
    await expect(xstateInspector('http://127.0.0.1:1', {})).rejects.toBeInstanceOf(ConfigError);
    await expect(xstateInspector(undefined, { [XSTATE_INSPECT_ENV]: 'localhost:8080' })).rejects.toThrow(
      /ws:\/\//,
    );
  });

  it("sends the node actor's registration, events and snapshots to the inspector server", async () => {
    const port = await freePort();
    const server = new WebSocketServer({ host: '127.0.0.1', port });
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    await once(server, 'listening');
    const received: { type?: string }[] = [];
    server.on('connection', (socket) =>
      socket.on('message', (data: Buffer) => received.push(JSON.parse(data.toString()) as { type?: string })),
    );
    const inspector = (await xstateInspector(undefined, {
      [XSTATE_INSPECT_ENV]: `ws://127.0.0.1:${port}`,
    })) as XStateInspector;
    cleanups.push(() => inspector.stop());
    const node = new RaftNode({
      id: 'solo',
      peers: [],
      transport: { listen: () => {}, send: () => {}, close: () => {} },
      storage: new MemoryStorage(),
      stateMachine: new CommandLog(),
      timing: { heartbeatIntervalMs: 10, electionTimeoutMinMs: 30, electionTimeoutMaxMs: 40 },
      inspect: inspector.inspect,
    });
    cleanups.push(() => node.stop());
    await node.start();
    // A lone voter elects itself when its first timeout fires: events and snapshots follow.
    await expect.poll(() => node.status().role, { timeout: 30_000 }).toBe('leader');
    await expect.poll(() => received.some((m) => m.type === '@xstate.actor'), { timeout: 30_000 }).toBe(true);
    await expect.poll(() => received.some((m) => m.type === '@xstate.event'), { timeout: 30_000 }).toBe(true);
    await expect
      .poll(() => received.some((m) => m.type === '@xstate.snapshot'), { timeout: 30_000 })
      .toBe(true);
  });
});
