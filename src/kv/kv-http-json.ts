/**
 * JSON in and out over `node:http`, for the node's HTTP API: a request body read within a
 * size limit (413), of a JSON type only (415), parsed (400); answers as JSON; and the
 * refusal a route throws, which becomes an answer `{error, message, ...}` whose message says
 * what to do.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { stringifyJson } from '../../machines/index.js';

export interface ErrorBody {
  readonly error: string;
  readonly message: string;
  readonly [more: string]: unknown;
}

/** A request refused: its status, JSON body and any headers (Location, Retry-After, Allow). */
export class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
    readonly headers: OutgoingHttpHeaders = {},
  ) {
    super(body.message);
  }
}

export interface BodyOptions {
  /** Larger bodies are refused with 413 (the node's maxCommandBytes and a margin). */
  readonly maxBytes: number;
  /** The body's expected shape, for the 400's message: `{"value": "<text>"}`. */
  readonly shape: string;
  /** An empty body is taken as no body (undefined) rather than refused. */
  readonly optional?: boolean;
}

/**
 * The request's body as parsed JSON (undefined: empty and optional). Refuses another content
 * type with 415: JSON only, which also keeps browsers' plain form posts out (a page of
 * another site can send those without asking first).
 */
export async function readJsonBody(request: IncomingMessage, options: BodyOptions): Promise<unknown> {
  const { maxBytes, shape } = options;
  const type = request.headers['content-type'];
  if (!isJsonType(type)) {
    throw new HttpRefusal(415, {
      error: 'UnsupportedMediaType',
      message: `the body must be JSON: send content-type: application/json, not ${type}`,
    });
  }
  // Built only when needed: an Error captures a stack, too dear for every request.
  const tooLarge = (): HttpRefusal =>
    new HttpRefusal(413, {
      error: 'PayloadTooLarge',
      message: `the body is over ${maxBytes} bytes (the node's maxCommandBytes and a margin): send a smaller value`,
    });
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw discardBody(request, tooLarge());
  const text = await new Promise<string>((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      request.off('data', onData);
      reject(discardBody(request, tooLarge()));
    };
    request.on('data', onData);
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
  if (options.optional === true && text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpRefusal(400, {
      error: 'BadRequest',
      message: `the body must be JSON ${shape}: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
}

/** JSON types: application/json or any `+json` type; a request without a type is taken as JSON. */
function isJsonType(header: string | undefined): boolean {
  if (header === undefined) return true;
  const type = header.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/**
 * Reads and drops the rest of a refused body, so the client gets to read the answer instead
 * of a connection reset; the connection closes after the answer (413 says connection: close).
 */
function discardBody(request: IncomingMessage, refusal: HttpRefusal): HttpRefusal {
  request.resume();
  return refusal;
}

/** Answers `body` as JSON. A response already under way (a bug) is cut off rather than mixed. */
export function reply(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  if (response.headersSent) return void response.destroy();
  response.writeHead(status, {
    'content-type': 'application/json',
    ...(status === 413 ? { connection: 'close' } : {}),
    ...headers,
  });
  // Status bodies are plain; stringifyJson also takes what JSON.stringify cannot nest.
  response.end(stringifyJson(body));
}

/** Answers a refusal, with its headers. */
export function refuse(response: ServerResponse, refusal: HttpRefusal): void {
  reply(response, refusal.status, refusal.body, refusal.headers);
}
