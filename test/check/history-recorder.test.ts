/** HistoryRecorder: times from the clock given, answers or open, and effectBy from superseding calls. */
import { describe, expect, it } from 'vitest';
import { OperationFinishedError } from '../../src/check/check-errors.js';
import { checkOperations } from '../../src/check/check-operations.js';
import { HistoryRecorder } from '../../src/check/history-recorder.js';
import type { KvInput, KvOutput } from '../../src/check/kv-model.js';
import { isKvWrite, kvModel } from '../../src/check/kv-model.js';

function virtualClock() {
  const clock = { time: 0, now: () => clock.time };
  return clock;
}

describe('HistoryRecorder', () => {
  it('records call and return times from its clock, the answer, and open calls', () => {
    const clock = virtualClock();
    const recorder = new HistoryRecorder<KvInput, KvOutput>({ now: clock.now });
    const put = recorder.begin('a', { kv: 'put', key: 'k', value: '1' });
    clock.time = 5;
    const get = recorder.begin('b', { kv: 'get', key: 'k' });
    const lost = recorder.begin('c', { kv: 'append', key: 'k', value: 'x' });
    clock.time = 7;
    put({ kv: 'put' });
    clock.time = 9;
    get.ok({ kv: 'get', value: '1' });
    lost.open();
    recorder.begin('d', { kv: 'get', key: 'k' }); // never finished: open
    expect(recorder.size).toBe(4);
    expect(recorder.operations()).toEqual([
      { client: 'a', input: { kv: 'put', key: 'k', value: '1' }, output: { kv: 'put' }, call: 0, return: 7 },
      { client: 'b', input: { kv: 'get', key: 'k' }, output: { kv: 'get', value: '1' }, call: 5, return: 9 },
      {
        client: 'c',
        input: { kv: 'append', key: 'k', value: 'x' },
        output: undefined,
        call: 5,
        return: undefined,
      },
      { client: 'd', input: { kv: 'get', key: 'k' }, output: undefined, call: 9, return: undefined },
    ]);
    expect(checkOperations(kvModel, recorder.operations()).verdict).toBe('ok');
  });

  it('refuses to finish an operation twice', () => {
    const recorder = new HistoryRecorder<KvInput, KvOutput>({ now: () => 0 });
    const done = recorder.begin(3, { kv: 'delete', key: 'k' });
    done({ kv: 'delete', existed: false });
    expect(() => done.open()).toThrow(OperationFinishedError);
    const other = recorder.begin(4, { kv: 'delete', key: 'k' });
    other.open();
    expect(() => other.ok({ kv: 'delete', existed: true })).toThrow(
      /operation #1 of client 4 was already finished \(as open\)/,
    );
  });

  it('defaults to performance.now()', () => {
    const recorder = new HistoryRecorder<KvInput, KvOutput>();
    const before = performance.now();
    recorder.begin(1, { kv: 'get', key: 'k' }).ok({ kv: 'get', value: null });
    const [operation] = recorder.operations();
    expect(operation!.call).toBeGreaterThanOrEqual(before);
    expect(operation!.return).toBeGreaterThanOrEqual(operation!.call);
    expect(operation!.return).toBeLessThanOrEqual(performance.now());
  });

  it("bounds a client's open calls by the return of its next superseding call", () => {
    const clock = virtualClock();
    const recorder = new HistoryRecorder<KvInput, KvOutput>({ now: clock.now, supersedes: isKvWrite });
    recorder.begin('a', { kv: 'put', key: 'k', value: '1' }).open(); // at 0
    recorder.begin('b', { kv: 'put', key: 'k', value: 'b' }).open(); // another client: not bounded by a's calls
    clock.time = 2;
    const read = recorder.begin('a', { kv: 'get', key: 'k' });
    clock.time = 3;
    read({ kv: 'get', value: null }); // a read does not supersede
    clock.time = 4;
    const write = recorder.begin('a', { kv: 'put', key: 'k', value: '2' });
    clock.time = 6;
    write({ kv: 'put' });
    clock.time = 8;
    recorder.begin('a', { kv: 'append', key: 'k', value: '3' }).open();
    const [first, other, , , last] = recorder.operations();
    expect(first).toMatchObject({ client: 'a', return: undefined, effectBy: 6 });
    expect(other).not.toHaveProperty('effectBy');
    expect(last).not.toHaveProperty('effectBy');
  });
});
