/**
 * The handshake machine on its own: no sockets, a hand-advanced clock, and recording
 * actions, so every path (success, a wrong secret, a bad frame, the timeout, a close) is
 * exact and deterministic.
 */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { AUTH_FAILED_REASON, HANDSHAKE_TIMEOUT_REASON } from '../../src/transport/close-codes.js';
import { ClientHandshake, ServerHandshake } from '../../src/transport/handshake.js';
import { handshakeMachine } from '../../src/transport/handshake-machine.js';

const SECRET = 'correct horse battery staple 42';
const TIMEOUT_MS = 5000;

/** XState's clock interface, moved only by `advance`. */
class ManualClock {
  #now = 0;
  #nextId = 0;
  readonly #timers = new Map<number, { readonly at: number; readonly callback: () => void }>();

  setTimeout(callback: () => void, ms: number): number {
    this.#nextId += 1;
    this.#timers.set(this.#nextId, { at: this.#now + ms, callback });
    return this.#nextId;
  }

  clearTimeout(id: unknown): void {
    this.#timers.delete(id as number);
  }

  get pending(): number {
    return this.#timers.size;
  }

  /** Fires, in order, every timer due within `ms` from now. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const due = [...this.#timers].filter(([, t]) => t.at <= until).sort(([, a], [, b]) => a.at - b.at)[0];
      if (due === undefined) break;
      const [id, timer] = due;
      this.#timers.delete(id);
      this.#now = timer.at;
      timer.callback();
    }
    this.#now = until;
  }
}

/** One side's actor, recording what it sends, refuses and authenticates. */
function side(handshake: ServerHandshake | ClientHandshake, clock: ManualClock) {
  const sent: string[] = [];
  const refusals: { why: string; reason: string }[] = [];
  const authenticated: string[] = [];
  const machine = handshakeMachine.provide({
    actions: {
      send: (_, { frame }) => sent.push(frame),
      refuse: (_, refusal) => refusals.push(refusal),
      authenticated: (_, { peer }) => authenticated.push(peer),
    },
  });
  const actor = createActor(machine, { input: { handshake, timeoutMs: TIMEOUT_MS }, clock }).start();
  return {
    actor,
    sent,
    refusals,
    authenticated,
    receive: (text: string | undefined) => actor.send({ type: 'frame', text }),
    state: () => actor.getSnapshot().value,
  };
}

function server(clock: ManualClock, secret = SECRET) {
  return side(new ServerHandshake('a', secret, (id) => id === 'b' || id === 'c'), clock);
}

function client(clock: ManualClock, secret = SECRET) {
  return side(new ClientHandshake('b', 'a', secret), clock);
}

function kinds(frames: readonly string[]): unknown[] {
  return frames.map((frame) => (JSON.parse(frame) as { kind: unknown }).kind);
}

describe('handshake machine', () => {
  it('authenticates both sides: challenge, hello, welcome, and cancels the timeout', () => {
    const clock = new ManualClock();
    const s = server(clock);
    const c = client(clock);
    expect(s.state()).toEqual({ authenticating: 'awaitingHello' });
    expect(c.state()).toEqual({ authenticating: 'awaitingChallenge' });
    expect(clock.pending).toBe(2);

    c.receive(s.sent[0]);
    expect(c.state()).toEqual({ authenticating: 'awaitingWelcome' });
    s.receive(c.sent[0]);
    expect(s.state()).toBe('authenticated');
    c.receive(s.sent[1]);
    expect(c.state()).toBe('authenticated');

    expect(kinds(s.sent)).toEqual(['challenge', 'welcome']);
    expect(kinds(c.sent)).toEqual(['hello']);
    expect(s.authenticated).toEqual(['b']);
    expect(c.authenticated).toEqual(['a']);
    expect(clock.pending).toBe(0);
    clock.advance(TIMEOUT_MS * 2);
    expect([s.refusals, c.refusals]).toEqual([[], []]);
    expect(s.actor.getSnapshot().status).toBe('done');
  });

  it('the server refuses a hello proved with the wrong secret, and sends no welcome', () => {
    const clock = new ManualClock();
    const s = server(clock);
    const c = client(clock, 'some other secret value');
    c.receive(s.sent[0]);
    s.receive(c.sent[0]);
    expect(s.state()).toBe('failed');
    expect(s.refusals).toEqual([
      { why: '"b" did not prove knowledge of the cluster secret', reason: AUTH_FAILED_REASON },
    ]);
    expect(kinds(s.sent)).toEqual(['challenge']);
    expect(s.authenticated).toEqual([]);
    expect(clock.pending).toBe(1); // the client's, still waiting for its welcome
  });

  it('the client refuses a welcome the server could not prove', () => {
    const clock = new ManualClock();
    const s = server(clock);
    const c = client(clock);
    c.receive(s.sent[0]);
    c.receive(JSON.stringify({ kind: 'welcome', proof: Buffer.alloc(32).toString('base64url') }));
    expect(c.state()).toBe('failed');
    expect(c.refusals).toEqual([
      { why: '"a" did not prove knowledge of the cluster secret', reason: AUTH_FAILED_REASON },
    ]);
    expect(c.authenticated).toEqual([]);
  });

  it.each([
    ['not json', 'not json', 'the first frame is not a valid hello'],
    [
      'a Raft frame',
      JSON.stringify({ type: 'RequestVote', from: 'b', to: 'a', term: 1 }),
      'the first frame is not a valid hello',
    ],
    ['a binary frame', undefined, 'the hello is a binary frame'],
  ])('the server refuses %s instead of the hello', (_name, text, why) => {
    const s = server(new ManualClock());
    s.receive(text);
    expect(s.state()).toBe('failed');
    expect(s.refusals).toEqual([{ why, reason: AUTH_FAILED_REASON }]);
  });

  it('the client refuses a bad challenge and sends nothing', () => {
    const c = client(new ManualClock());
    c.receive('{"kind":"challenge"}');
    expect(c.refusals).toEqual([
      { why: 'the first frame is not a valid challenge', reason: AUTH_FAILED_REASON },
    ]);
    expect(c.sent).toEqual([]);
  });

  it('times out handshakeTimeoutMs after the start, not after the last frame', () => {
    const clock = new ManualClock();
    const s = server(clock);
    const c = client(clock);
    clock.advance(TIMEOUT_MS - 1);
    c.receive(s.sent[0]); // the client's deadline does not move
    expect([s.refusals, c.refusals]).toEqual([[], []]);
    clock.advance(1);
    expect(s.state()).toBe('failed');
    expect(c.state()).toBe('failed');
    expect(s.refusals).toEqual([
      { why: 'no hello within handshakeTimeoutMs', reason: HANDSHAKE_TIMEOUT_REASON },
    ]);
    expect(c.refusals).toEqual([
      { why: 'no welcome within handshakeTimeoutMs', reason: HANDSHAKE_TIMEOUT_REASON },
    ]);
    // Final: the socket code sends it nothing more (a late hello is not the handshake's).
    expect(s.actor.getSnapshot().status).toBe('done');
  });

  it('a close before the end cancels the timeout and refuses nothing', () => {
    const clock = new ManualClock();
    const s = server(clock);
    s.actor.send({ type: 'closed' });
    expect(s.state()).toBe('closed');
    expect(clock.pending).toBe(0);
    clock.advance(TIMEOUT_MS);
    expect(s.refusals).toEqual([]);
  });
});
