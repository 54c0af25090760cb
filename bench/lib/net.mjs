/** Free ports on 127.0.0.1: every benchmark process binds loopback only. */
import { once } from 'node:events';
import { createServer } from 'node:net';

export const HOST = '127.0.0.1';

/** A port free now (the OS picks it); the caller binds it soon after. */
export async function freePort() {
  const server = createServer().listen(0, HOST);
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/** `count` distinct free ports. */
export async function freePorts(count) {
  const ports = new Set();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
