/**
 * Connection authentication: a mutual HMAC-SHA256 challenge-response over the cluster's
 * shared secret, with a fresh nonce from each side, before any Raft frame is accepted.
 *
 *   server -> client  {kind:'challenge', version:1, nonce: Ns}
 *   client -> server  {kind:'hello', version:1, from: C, to: S, nonce: Nc,
 *                      proof: HMAC(secret, ['raftchart-ws/1','client',C,S,Ns,Nc])}
 *   server -> client  {kind:'welcome', proof: HMAC(secret, ['raftchart-ws/1','server',C,S,Ns,Nc])}
 *
 * Each side proves knowledge of the secret over the other side's fresh nonce, so a
 * recorded proof is useless on a later connection; the role label keeps one side's proof
 * from being reflected as the other's; both node ids are inside the MAC, so the server
 * knows which configured peer it is talking to (C must be one) and the client that it
 * reached the node it meant to (S). Only nonces and MACs travel: never the secret.
 *
 * Pure, no sockets: handshake-machine.ts orders these steps, with the timeout, and
 * peer-link.ts (client) and inbound-connection.ts (server) wire that machine to a socket.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Ajv } from 'ajv';
import type { NodeId } from '../../machines/index.js';

export const HANDSHAKE_PROTOCOL = 'raftchart-ws/1';

const NONCE_BYTES = 32;
const base64url32 = { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' } as const;
const nodeId = { type: 'string', minLength: 1, maxLength: 256 } as const;

interface Challenge {
  readonly kind: 'challenge';
  readonly version: 1;
  readonly nonce: string;
}

interface Hello {
  readonly kind: 'hello';
  readonly version: 1;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly nonce: string;
  readonly proof: string;
}

interface Welcome {
  readonly kind: 'welcome';
  readonly proof: string;
}

function strict(kind: string, properties: Record<string, object>): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['kind', ...Object.keys(properties)],
    properties: { kind: { const: kind }, ...properties },
  };
}

const ajv = new Ajv({ strict: true });
const isChallenge = ajv.compile<Challenge>(
  strict('challenge', { version: { const: 1 }, nonce: base64url32 }),
);
const isHello = ajv.compile<Hello>(
  strict('hello', {
    version: { const: 1 },
    from: nodeId,
    to: nodeId,
    nonce: base64url32,
    proof: base64url32,
  }),
);
const isWelcome = ajv.compile<Welcome>(strict('welcome', { proof: base64url32 }));

export type HandshakeStep =
  { readonly ok: true; readonly reply?: string } | { readonly ok: false; readonly why: string };

function newNonce(): string {
  return randomBytes(NONCE_BYTES).toString('base64url');
}

/** The MAC one side sends: over the protocol, its role, both ids and both nonces. */
export function handshakeProof(
  secret: string,
  role: 'client' | 'server',
  client: NodeId,
  server: NodeId,
  serverNonce: string,
  clientNonce: string,
): string {
  // A JSON array delimits the fields unambiguously (no id can forge a field boundary).
  const transcript = JSON.stringify([HANDSHAKE_PROTOCOL, role, client, server, serverNonce, clientNonce]);
  return createHmac('sha256', secret).update(transcript).digest('base64url');
}

function sameProof(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'base64url');
  const b = Buffer.from(received, 'base64url');
  return a.length === b.length && timingSafeEqual(a, b);
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The accepting side: challenge first, then check the hello and answer with its own proof. */
export class ServerHandshake {
  readonly #nonce = newNonce();
  #peer: NodeId | undefined;

  constructor(
    private readonly self: NodeId,
    private readonly secret: string,
    private readonly isPeer: (id: NodeId) => boolean,
  ) {}

  /** The first frame: sent as soon as the connection opens. */
  challenge(): string {
    return JSON.stringify({ kind: 'challenge', version: 1, nonce: this.#nonce } satisfies Challenge);
  }

  /** The authenticated peer, once `onHello` succeeded. */
  get peer(): NodeId | undefined {
    return this.#peer;
  }

  /** Checks the client's hello; on success the reply is the welcome to send. */
  onHello(text: string): HandshakeStep {
    const hello = parse(text);
    if (!isHello(hello)) return { ok: false, why: 'the first frame is not a valid hello' };
    if (hello.to !== this.self) return { ok: false, why: `hello is addressed to "${hello.to}"` };
    if (!this.isPeer(hello.from)) return { ok: false, why: `"${hello.from}" is not a configured peer` };
    const expected = handshakeProof(this.secret, 'client', hello.from, this.self, this.#nonce, hello.nonce);
    if (!sameProof(expected, hello.proof)) {
      return { ok: false, why: `"${hello.from}" did not prove knowledge of the cluster secret` };
    }
    this.#peer = hello.from;
    const proof = handshakeProof(this.secret, 'server', hello.from, this.self, this.#nonce, hello.nonce);
    return { ok: true, reply: JSON.stringify({ kind: 'welcome', proof } satisfies Welcome) };
  }
}

/** The connecting side: answer the challenge, then check the server's proof. */
export class ClientHandshake {
  readonly #nonce = newNonce();
  #serverNonce: string | undefined;

  constructor(
    private readonly self: NodeId,
    /** The node this side means to reach: what the server must prove to be. */
    readonly peer: NodeId,
    private readonly secret: string,
  ) {}

  /** Checks the challenge; on success the reply is the hello to send. */
  onChallenge(text: string): HandshakeStep {
    const challenge = parse(text);
    if (!isChallenge(challenge)) return { ok: false, why: 'the first frame is not a valid challenge' };
    this.#serverNonce = challenge.nonce;
    const proof = handshakeProof(this.secret, 'client', this.self, this.peer, challenge.nonce, this.#nonce);
    const hello: Hello = {
      kind: 'hello',
      version: 1,
      from: this.self,
      to: this.peer,
      nonce: this.#nonce,
      proof,
    };
    return { ok: true, reply: JSON.stringify(hello) };
  }

  /** Checks the welcome: the server proved the secret over this side's nonce. */
  onWelcome(text: string): HandshakeStep {
    const welcome = parse(text);
    if (!isWelcome(welcome) || this.#serverNonce === undefined) {
      return { ok: false, why: 'the reply to the hello is not a valid welcome' };
    }
    const expected = handshakeProof(
      this.secret,
      'server',
      this.self,
      this.peer,
      this.#serverNonce,
      this.#nonce,
    );
    if (!sameProof(expected, welcome.proof)) {
      return { ok: false, why: `"${this.peer}" did not prove knowledge of the cluster secret` };
    }
    return { ok: true };
  }
}
