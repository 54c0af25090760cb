/* global Buffer */
/**
 * A small JSON-over-HTTP client for the coordinator (status polls, single writes): keep-alive
 * sockets, a timeout per request, and no exception for a node that is down (status 0).
 */
import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** Resolves with { status, body }; status 0 when the node could not be reached in time. */
export function httpJson(url, { method = 'GET', body, timeoutMs = 1000 } = {}) {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      url,
      {
        method,
        agent,
        timeout: timeoutMs,
        headers:
          payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': payload.length },
      },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          let parsed = null;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            // not JSON: the status says enough
          }
          resolve({ status: response.statusCode, body: parsed });
        });
        response.on('error', () => resolve({ status: 0, body: null }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: null }));
    req.end(payload);
  });
}

/** Closes the idle keep-alive sockets, so the process can exit. */
export function closeHttpJson() {
  agent.destroy();
}
