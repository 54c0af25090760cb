/** The handshake on its own (no sockets): both sides must prove the secret over fresh nonces. */
import { describe, expect, it } from 'vitest';
import { ClientHandshake, ServerHandshake, handshakeProof } from '../../src/transport/handshake.js';

const SECRET = 'correct horse battery staple 42';
const peers = new Set(['b', 'c']);

function server(secret = SECRET): ServerHandshake {
  return new ServerHandshake('a', secret, (id) => peers.has(id));
}

/** Runs the whole exchange; returns each step's outcome. */
function run(client: ClientHandshake, accepting: ServerHandshake) {
  const challenge = client.onChallenge(accepting.challenge());
  const hello = challenge.ok ? (challenge.reply ?? '') : '';
  const helloStep = accepting.onHello(hello);
  const welcomeStep = helloStep.ok ? client.onWelcome(helloStep.reply ?? '') : undefined;
  return { hello, helloStep, welcomeStep };
}

describe('handshake', () => {
  it('succeeds when both sides share the secret, and binds the peer id', () => {
    const accepting = server();
    const { helloStep, welcomeStep } = run(new ClientHandshake('b', 'a', SECRET), accepting);
    expect(helloStep.ok).toBe(true);
    expect(welcomeStep).toEqual({ ok: true });
    expect(accepting.peer).toBe('b');
  });

  it('the server refuses a client with the wrong secret', () => {
    const accepting = server();
    const { helloStep } = run(new ClientHandshake('b', 'a', 'some other secret value'), accepting);
    expect(helloStep).toEqual({ ok: false, why: '"b" did not prove knowledge of the cluster secret' });
    expect(accepting.peer).toBeUndefined();
  });

  it('the client refuses a server with the wrong secret', () => {
    const { helloStep, welcomeStep } = run(
      new ClientHandshake('b', 'a', SECRET),
      server('some other secret value'),
    );
    expect(helloStep.ok).toBe(false); // the server cannot check the client's proof either
    expect(welcomeStep).toBeUndefined();
    // And a welcome forged without the secret is refused by the client.
    const client = new ClientHandshake('b', 'a', SECRET);
    client.onChallenge(server().challenge());
    const forged = JSON.stringify({ kind: 'welcome', proof: Buffer.alloc(32).toString('base64url') });
    expect(client.onWelcome(forged)).toEqual({
      ok: false,
      why: '"a" did not prove knowledge of the cluster secret',
    });
  });

  it('a recorded hello is useless on a new connection (the server nonce is fresh)', () => {
    const { hello } = run(new ClientHandshake('b', 'a', SECRET), server());
    expect(server().onHello(hello).ok).toBe(false);
  });

  it('a recorded welcome is useless to a new client (the client nonce is fresh)', () => {
    const accepting = server();
    const first = new ClientHandshake('b', 'a', SECRET);
    const hello = first.onChallenge(accepting.challenge());
    const welcome = accepting.onHello(hello.ok ? (hello.reply ?? '') : '');
    const second = new ClientHandshake('b', 'a', SECRET);
    second.onChallenge(accepting.challenge());
    expect(second.onWelcome(welcome.ok ? (welcome.reply ?? '') : '').ok).toBe(false);
  });

  it("one side's proof cannot stand in for the other's (role-separated)", () => {
    const s = 'S'.repeat(43);
    const c = 'C'.repeat(43);
    expect(handshakeProof(SECRET, 'client', 'b', 'a', s, c)).not.toBe(
      handshakeProof(SECRET, 'server', 'b', 'a', s, c),
    );
    expect(handshakeProof(SECRET, 'client', 'b', 'a', s, c)).not.toBe(
      handshakeProof(SECRET, 'client', 'c', 'a', s, c),
    );
  });

  it('refuses unknown peers, hellos for another node, and malformed hellos', () => {
    expect(run(new ClientHandshake('mallory', 'a', SECRET), server()).helloStep).toEqual({
      ok: false,
      why: '"mallory" is not a configured peer',
    });
    expect(run(new ClientHandshake('b', 'c', SECRET), server()).helloStep).toEqual({
      ok: false,
      why: 'hello is addressed to "c"',
    });
    for (const bad of [
      '',
      'not json',
      '{}',
      JSON.stringify({ kind: 'hello', version: 1, from: 'b', to: 'a' }),
    ]) {
      expect(server().onHello(bad)).toEqual({ ok: false, why: 'the first frame is not a valid hello' });
    }
  });

  it('never puts the secret in its frames', () => {
    const accepting = server();
    const challenge = accepting.challenge();
    const client = new ClientHandshake('b', 'a', SECRET);
    const hello = client.onChallenge(challenge);
    const welcome = accepting.onHello(hello.ok ? (hello.reply ?? '') : '');
    const frames = [challenge, hello.ok ? hello.reply : '', welcome.ok ? welcome.reply : ''].join('\n');
    expect(frames).toContain('"kind":"welcome"');
    expect(frames).not.toContain(SECRET);
    expect(frames).not.toContain(Buffer.from(SECRET).toString('base64url'));
  });
});
