/** The search on the smallest model, one register: the classic textbook histories. */
import { describe, expect, it } from 'vitest';
import { checkOperations } from '../../src/check/check-operations.js';
import type { Operation } from '../../src/check/operation.js';
import type { RegisterInput, RegisterOutput } from '../../src/check/register-model.js';
import { registerModel } from '../../src/check/register-model.js';

type RegisterOperation = Operation<RegisterInput, RegisterOutput>;
const write = (value: number, call: number, ret?: number): RegisterOperation => ({
  client: `w${value}`,
  input: { op: 'write', value },
  output: ret === undefined ? undefined : null,
  call,
  return: ret,
});
const read = (value: number, call: number, ret: number, client = 'r'): RegisterOperation => ({
  client,
  input: { op: 'read' },
  output: value,
  call,
  return: ret,
});
const verdict = (history: readonly RegisterOperation[]) => checkOperations(registerModel, history).verdict;

describe('register histories', () => {
  it('reads of the old and the new value, both overlapping the write and each other', () => {
    expect(verdict([write(100, 0, 100), read(100, 25, 75), read(0, 30, 60)])).toBe('ok');
  });

  it('a read of the new value, then a later read of the old one', () => {
    expect(verdict([write(200, 0, 100), read(200, 10, 30), read(0, 40, 90)])).toBe('illegal');
  });

  it('a read of the initial value before any write, and of a value never written', () => {
    expect(verdict([read(0, 0, 1), write(1, 2, 3), read(1, 4, 5)])).toBe('ok');
    expect(verdict([write(1, 0, 1), read(7, 2, 3)])).toBe('illegal');
  });

  it('three concurrent writes ordered by the reads that follow', () => {
    const writes = [write(1, 0, 10), write(2, 0, 10), write(3, 0, 10)];
    expect(verdict([...writes, read(2, 2, 3), read(3, 4, 5), read(1, 11, 12)])).toBe('ok');
    expect(verdict([...writes, read(2, 2, 3), read(1, 4, 5), read(2, 11, 12)])).toBe('illegal');
  });

  it('an open write that took effect after the reads that missed it', () => {
    expect(verdict([write(1, 0, 1), write(2, 2), read(1, 3, 4), read(2, 5, 6)])).toBe('ok');
    expect(verdict([write(1, 0, 1), write(2, 2), read(2, 3, 4), read(1, 5, 6)])).toBe('illegal');
  });

  it('is one partition, and an illegal result names none', () => {
    const result = checkOperations(registerModel, [write(1, 0, 1), read(7, 2, 3)]);
    expect(result).toMatchObject({ verdict: 'illegal', partitions: 1 });
    expect(result.partition).toBeUndefined();
    expect(result.explanation).toMatch(
      /^The history \(2 operations\) is not linearizable under the register model/,
    );
  });
});
