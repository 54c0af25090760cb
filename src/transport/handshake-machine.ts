/**
 * The handshake as a statechart, one machine for both ends of a connection. handshake.ts
 * does the crypto; this machine orders it: which frame is awaited, the one deadline for the
 * whole exchange, and the ways out (refused, timed out, closed). It does no I/O itself: the
 * socket code provides `send`, `refuse` and `authenticated` with `machine.provide(...)`.
 *
 *   authenticating              after handshakeTimeout, or refused -> failed; closed -> closed
 *     opening                   server -> awaitingHello, client -> awaitingChallenge
 *     awaitingHello             entry: send the challenge; answered (the welcome) -> authenticated
 *     awaitingChallenge         answered (the hello) -> awaitingWelcome
 *     awaitingWelcome           verified -> authenticated
 *   authenticated, failed, closed (final)
 *
 * A frame is checked by the side's crypto, which raises `answered`, `verified` or `refused`:
 * the check runs once, and the states, not the caller, decide what follows.
 */
import { assertEvent, setup } from 'xstate';
import type { NodeId } from '../../machines/index.js';
import { AUTH_FAILED_REASON, HANDSHAKE_TIMEOUT_REASON } from './close-codes.js';
import type { ClientHandshake, HandshakeStep } from './handshake.js';
import { ServerHandshake } from './handshake.js';

export interface HandshakeInput {
  /** The accepting side's crypto (it speaks first) or the connecting side's. */
  readonly handshake: ServerHandshake | ClientHandshake;
  /** How long the other side has to finish, from the start (handshakeTimeoutMs). */
  readonly timeoutMs: number;
}

export type HandshakeEvent =
  /** A frame from the other side; `text` is undefined for a binary frame. */
  | { readonly type: 'frame'; readonly text: string | undefined }
  /** The socket closed, or is closing on a protocol error: nothing more to wait for. */
  | { readonly type: 'closed' }
  /** Raised by a check: the frame is right, and `reply` is the frame to answer with. */
  | { readonly type: 'answered'; readonly reply: string }
  /** Raised by a check: the frame is right and needs no answer. */
  | { readonly type: 'verified' }
  /** Raised by a check: the frame is wrong; `why` goes to the local log only. */
  | { readonly type: 'refused'; readonly why: string };

/** The frames each state waits for. */
type Awaited = 'hello' | 'challenge' | 'welcome';

const handshakeSetup = setup({
  types: {} as { context: HandshakeInput; events: HandshakeEvent; input: HandshakeInput },
  actions: {
    /** Write one handshake frame. */
    send: (_, _params: { frame: string }) => {},
    /** Count the refusal, log `why` locally, close with 4001 and `reason`. */
    refuse: (_, _params: { why: string; reason: string }) => {},
    /** The other side proved the secret: the connection belongs to `peer`. */
    authenticated: (_, _params: { peer: NodeId }) => {},
  },
  guards: {
    isServer: ({ context }) => context.handshake instanceof ServerHandshake,
  },
  delays: {
    handshakeTimeout: ({ context }) => context.timeoutMs,
  },
});

/** Checks the frame in the event against what the state awaits, and raises the outcome. */
function check(awaited: Awaited) {
  return handshakeSetup.raise(({ context, event }) => {
    assertEvent(event, 'frame');
    const step = checkFrame(context.handshake, awaited, event.text);
    if (!step.ok) return { type: 'refused', why: step.why };
    return step.reply === undefined ? { type: 'verified' } : { type: 'answered', reply: step.reply };
  });
}

/** Sends the reply a check produced (on `answered`). */
const sendReply = {
  type: 'send',
  params: ({ event }: { readonly event: HandshakeEvent }) => {
    assertEvent(event, 'answered');
    return { frame: event.reply };
  },
} as const;

export const handshakeMachine = handshakeSetup.createMachine({
  id: 'handshake',
  context: ({ input }) => input,
  initial: 'authenticating',
  states: {
    authenticating: {
      // One deadline for the whole exchange; leaving this state, whichever way, cancels it.
      after: {
        handshakeTimeout: {
          target: 'failed',
          actions: {
            type: 'refuse',
            params: ({ context }) => ({
              why: `no ${context.handshake instanceof ServerHandshake ? 'hello' : 'welcome'} within handshakeTimeoutMs`,
              reason: HANDSHAKE_TIMEOUT_REASON,
            }),
          },
        },
      },
      on: {
        refused: {
          target: 'failed',
          actions: {
            type: 'refuse',
            params: ({ event }) => ({ why: event.why, reason: AUTH_FAILED_REASON }),
          },
        },
        closed: 'closed',
      },
      initial: 'opening',
      states: {
        opening: {
          always: [{ guard: 'isServer', target: 'awaitingHello' }, { target: 'awaitingChallenge' }],
        },
        awaitingHello: {
          entry: { type: 'send', params: ({ context }) => ({ frame: challengeOf(context.handshake) }) },
          on: {
            frame: { actions: check('hello') },
            answered: { target: '#handshake.authenticated', actions: sendReply },
          },
        },
        awaitingChallenge: {
          on: {
            frame: { actions: check('challenge') },
            answered: { target: 'awaitingWelcome', actions: sendReply },
          },
        },
        awaitingWelcome: {
          on: {
            frame: { actions: check('welcome') },
            verified: '#handshake.authenticated',
          },
        },
      },
    },
    authenticated: {
      type: 'final',
      entry: { type: 'authenticated', params: ({ context }) => ({ peer: context.handshake.peer ?? '' }) },
    },
    failed: { type: 'final' },
    closed: { type: 'final' },
  },
});

/** This side's crypto on the awaited frame. */
function checkFrame(
  handshake: ServerHandshake | ClientHandshake,
  awaited: Awaited,
  text: string | undefined,
): HandshakeStep {
  if (handshake instanceof ServerHandshake) {
    return text === undefined ? { ok: false, why: 'the hello is a binary frame' } : handshake.onHello(text);
  }
  // A binary frame is checked as empty text, which neither client step accepts.
  return awaited === 'challenge' ? handshake.onChallenge(text ?? '') : handshake.onWelcome(text ?? '');
}

function challengeOf(handshake: ServerHandshake | ClientHandshake): string {
  // Only the accepting side enters awaitingHello (the isServer guard).
  if (!(handshake instanceof ServerHandshake)) throw new Error('only the accepting side sends a challenge');
  return handshake.challenge();
}
