import { describe, expect, it } from 'vitest';
import { Emitter } from '../src/emitter.js';

class Ticker extends Emitter<{ tick: [n: number]; done: [] }> {
  fire(n: number): boolean {
    return this.emit('tick', n);
  }
}

describe('Emitter', () => {
  it('calls listeners in order, once-listeners once, and not after off', () => {
    const ticker = new Ticker();
    const calls: string[] = [];
    const a = (n: number) => calls.push(`a${n}`);
    ticker.on('tick', a);
    ticker.once('tick', (n) => calls.push(`once${n}`));
    ticker.on('tick', (n) => calls.push(`b${n}`));
    expect(ticker.listenerCount('tick')).toBe(3);
    ticker.fire(1);
    ticker.off('tick', a);
    ticker.fire(2);
    expect(calls).toEqual(['a1', 'once1', 'b1', 'b2']);
    expect(ticker.listenerCount('done')).toBe(0);
  });

  it('a listener added or removed during an emit counts from the next emit', () => {
    const ticker = new Ticker();
    const calls: number[] = [];
    const late = (n: number) => calls.push(n * 10);
    ticker.on('tick', (n) => {
      calls.push(n);
      ticker.on('tick', late);
    });
    ticker.fire(1);
    expect(calls).toEqual([1]);
    ticker.fire(2);
    expect(calls).toEqual([1, 2, 20]);
  });

  it('reports whether anyone listened', () => {
    const ticker = new Ticker();
    expect(ticker.fire(1)).toBe(false);
    ticker.on('tick', () => {});
    expect(ticker.fire(1)).toBe(true);
  });
});
