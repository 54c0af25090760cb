/** Reconnect delays and the bounded outbound queue, on their own. */
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/transport/backoff.js';
import { closeReason } from '../../src/transport/close-codes.js';
import { OutboundQueue } from '../../src/transport/outbound-queue.js';

const options = { initialMs: 100, maxMs: 1000 };

describe('backoff', () => {
  it('doubles per attempt up to maxMs, jittered within [ceiling / 2, ceiling]', () => {
    const low = (attempt: number): number => backoffDelay(attempt, options, () => 0);
    const high = (attempt: number): number => backoffDelay(attempt, options, (max) => max);
    expect([0, 1, 2, 3, 4, 10, 100].map(high)).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    expect([0, 1, 2, 3, 4, 10, 100].map(low)).toEqual([50, 100, 200, 400, 500, 500, 500]);
  });

  it('draws from crypto: delays vary and stay in range', () => {
    const delays = Array.from({ length: 200 }, () => backoffDelay(3, options));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(400);
    expect(Math.max(...delays)).toBeLessThanOrEqual(800);
    expect(new Set(delays).size).toBeGreaterThan(10);
  });
});

describe('outbound queue', () => {
  const frame = (n: number): Buffer => Buffer.from([n]);

  it('keeps at most `limit` frames, dropping the oldest, and counts the drops', () => {
    const queue = new OutboundQueue(3);
    const drops = [1, 2, 3, 4, 5].map((n) => queue.push(frame(n)));
    expect(drops).toEqual([false, false, false, true, true]);
    expect(queue.dropped).toBe(2);
    expect(queue.length).toBe(3);
    expect([queue.shift(), queue.shift(), queue.shift(), queue.shift()].map((b) => b?.[0])).toEqual([
      3,
      4,
      5,
      undefined,
    ]);
  });

  it('stays in order across many pushes and shifts', () => {
    const queue = new OutboundQueue(5000);
    const out: number[] = [];
    for (let n = 0; n < 5000; n++) {
      queue.push(frame(n % 256));
      if (n % 3 !== 0) out.push(queue.shift()?.[0] ?? -1);
    }
    while (queue.length > 0) out.push(queue.shift()?.[0] ?? -1);
    expect(out).toEqual(Array.from({ length: 5000 }, (_, n) => n % 256));
    expect(queue.dropped).toBe(0);
    expect(queue.clear()).toBe(0);
  });
});

describe('close reasons', () => {
  it('fit the 123 bytes a close frame allows, without splitting a character', () => {
    expect(closeReason('short')).toBe('short');
    const long = closeReason('é'.repeat(200));
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(123);
    expect(long.endsWith('é...')).toBe(true);
  });
});
