/* global process, setTimeout */
/**
 * A WebSocket echo server in its own process (forked by the "limits" phase), so the round
 * trip measured crosses processes as the nodes' frames do: every message is sent back as
 * it came, text as text. Answers `listen` over IPC with its port.
 */
import { once } from 'node:events';
import { WebSocketServer } from 'ws';
import { serve } from './lib/ipc.mjs';

let server = null;

serve({
  async listen() {
    // As the transport configures its server: no compression.
    server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    server.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
    await once(server, 'listening');
    return server.address().port;
  },
  async stop() {
    for (const client of server?.clients ?? []) client.terminate();
    await new Promise((resolve) => server.close(resolve));
    setTimeout(() => process.exit(0), 10);
    return true;
  },
});
