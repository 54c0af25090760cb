/* global Buffer, performance, process, setTimeout */
/**
 * The HTTP load generator, a process of its own (forked by the "http" phase) so that the
 * client's CPU is not the node's: N closed-loop clients on keep-alive connections
 * (`http.Agent({ keepAlive: true, maxSockets: N })`), each sending its next request when
 * the last is answered, for a warm-up and then a measured window. `run` answers with
 * requests/s and latency of those completed in the window, the failures by cause, and this
 * process's CPU use.
 */
import { Agent, request } from 'node:http';
import { cpuUsage } from 'node:process';
import { serve } from './lib/ipc.mjs';
import { value } from './lib/command.mjs';
import { summarize } from './lib/stats.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One request: resolves with its status (0 for a network error) once the whole answer is read. */
function send(agent, url, method, body) {
  return new Promise((resolve) => {
    const headers =
      body === undefined ? {} : { 'content-type': 'application/json', 'content-length': body.length };
    const req = request(url, { method, agent, headers, timeout: 30_000 }, (response) => {
      response.on('data', () => {});
      response.on('end', () => resolve(response.statusCode));
      response.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

serve({
  /**
   * `kind` 'put': PUT /kv/k<i mod keys> with a `valueBytes`-character value, answered 200.
   * `kind` 'get': GET /kv/k<i mod keys>?consistency=..., answered 200 (or 404, a key not
   * written: a read served all the same).
   */
  async run({ base, kind, consistency, concurrency, warmupMs, seconds, keys = 1000, valueBytes = 128 }) {
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    const body = kind === 'put' ? Buffer.from(JSON.stringify({ value: value(valueBytes) })) : undefined;
    const method = kind === 'put' ? 'PUT' : 'GET';
    const served = kind === 'put' ? (status) => status === 200 : (status) => status === 200 || status === 404;
    const query = kind === 'get' ? `?consistency=${consistency}` : '';
    const latencies = [];
    const failures = {};
    let measuring = false;
    let stopping = false;
    let first;
    let last;
    setTimeout(() => {
      first = { at: performance.now(), cpu: cpuUsage() };
      measuring = true;
    }, warmupMs);
    setTimeout(
      () => {
        last = { at: performance.now(), cpu: cpuUsage() };
        measuring = false;
        stopping = true;
      },
      warmupMs + seconds * 1000,
    );
    let next = 0;
    const client = async () => {
      while (!stopping) {
        const begin = performance.now();
        const status = await send(agent, `${base}/kv/k${next++ % keys}${query}`, method, body);
        if (served(status)) {
          if (measuring) latencies.push(performance.now() - begin);
        } else {
          const cause = status === 0 ? 'network' : String(status);
          if (measuring) failures[cause] = (failures[cause] ?? 0) + 1;
          await sleep(5); // a refusal must not spin
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, client));
    agent.destroy();
    const windowSeconds = (last.at - first.at) / 1000;
    const cpuMicros = last.cpu.user - first.cpu.user + (last.cpu.system - first.cpu.system);
    return {
      kind,
      consistency: kind === 'get' ? consistency : undefined,
      concurrency,
      seconds: windowSeconds,
      requests: latencies.length,
      requestsPerSecond: latencies.length / windowSeconds,
      latencyMs: summarize(latencies),
      errors: failures,
      clientCpuPercent: (cpuMicros / 1e6 / windowSeconds) * 100,
    };
  },

  stop() {
    setTimeout(() => process.exit(0), 10);
    return true;
  },
});
