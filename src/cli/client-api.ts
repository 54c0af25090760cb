/**
 * A node's HTTP API for clients (and the multi-process tests): propose a command, read the
 * node's status, read what it applied. JSON in and out; errors say what to do.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { RaftNode } from '../api/raft-node.js';
import type { CommandLog } from '../app/command-log.js';
import { NodeStoppedError, NotLeaderError, ProposalTimeoutError } from '../errors.js';

const MAX_BODY_BYTES = 1 << 20;

export function createClientApi(node: RaftNode<unknown, number>, log: CommandLog): Server {
  return createServer((request, response) => {
    void route(node, log, request, response).catch((error: unknown) =>
      reply(response, 500, {
        error: 'Internal',
        message: error instanceof Error ? error.message : String(error),
      }),
    );
  });
}

async function route(
  node: RaftNode<unknown, number>,
  log: CommandLog,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  if (request.method === 'GET' && request.url === '/status') return reply(response, 200, node.status());
  if (request.method === 'GET' && request.url === '/applied')
    return reply(response, 200, { commands: log.commands });
  if (request.method !== 'POST' || request.url !== '/propose') {
    return reply(response, 404, {
      error: 'NotFound',
      message: 'use POST /propose, GET /status or GET /applied',
    });
  }
  let body: unknown;
  try {
    body = JSON.parse(await readBody(request));
  } catch (error) {
    return reply(response, 400, {
      error: 'BadRequest',
      message: `the body must be JSON {"command": ...}: ${String(error)}`,
    });
  }
  if (typeof body !== 'object' || body === null || !('command' in body)) {
    return reply(response, 400, { error: 'BadRequest', message: 'the body must be JSON {"command": ...}' });
  }
  try {
    return reply(response, 200, await node.propose(body.command));
  } catch (error) {
    if (error instanceof NotLeaderError) {
      return reply(response, 421, {
        error: 'NotLeader',
        leaderHint: error.leaderHint,
        message: error.message,
      });
    }
    if (error instanceof ProposalTimeoutError)
      return reply(response, 504, { error: 'Timeout', message: error.message });
    if (error instanceof NodeStoppedError)
      return reply(response, 503, { error: 'Stopped', message: error.message });
    throw error;
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`the body is over ${MAX_BODY_BYTES} bytes`));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
