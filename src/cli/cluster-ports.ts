/**
 * Ports for the nodes of a local cluster, chosen before the nodes start. Drawn at random
 * from 10000-19999, below the ephemeral range (Linux: 32768 and up) where the OS picks
 * source ports: a port from `listen(0)` lies in that range, and a node connecting to a
 * peer could be handed it as a source port before the node that owns it binds it.
 */
import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { ClusterStartError } from './cluster-errors.js';

const LOW = 10_000;
const HIGH = 20_000;

/** `count` distinct ports that `host` could bind a moment ago. */
export async function freePorts(count: number, host: string): Promise<number[]> {
  const ports = new Set<number>();
  for (let attempt = 0; ports.size < count; attempt++) {
    if (attempt >= count * 50) {
      throw new ClusterStartError(
        `found only ${ports.size} of ${count} free ports in ${LOW}-${HIGH - 1} on ${host}: ` +
          'free some, or give --base-port',
      );
    }
    const port = randomInt(LOW, HIGH);
    if (!ports.has(port) && (await canBind(port, host))) ports.add(port);
  }
  return [...ports];
}

/** Whether `port` on `host` can be bound now (it is released again at once). */
export async function canBind(port: number, host: string): Promise<boolean> {
  const server = createServer();
  server.listen(port, host);
  try {
    await once(server, 'listening');
  } catch {
    return false;
  }
  server.close();
  await once(server, 'close');
  return true;
}
