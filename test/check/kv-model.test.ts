/** kvModel's steps one at a time: each command's effect and which answers are legal. */
import { describe, expect, it } from 'vitest';
import { kvModel } from '../../src/check/kv-model.js';
import { ILLEGAL } from '../../src/check/model.js';

const { step } = kvModel;

describe('kvModel.step', () => {
  it('starts every key absent', () => {
    expect(kvModel.init()).toBeNull();
  });

  it('get is legal only with the value held, and changes nothing', () => {
    expect(step('a', { kv: 'get', key: 'k' }, { kv: 'get', value: 'a' })).toBe('a');
    expect(step(null, { kv: 'get', key: 'k' }, { kv: 'get', value: null })).toBeNull();
    expect(step('a', { kv: 'get', key: 'k' }, { kv: 'get', value: 'b' })).toBe(ILLEGAL);
    expect(step(null, { kv: 'get', key: 'k' }, { kv: 'get', value: '' })).toBe(ILLEGAL);
    expect(step('', { kv: 'get', key: 'k' }, { kv: 'get', value: null })).toBe(ILLEGAL);
    expect(step('a', { kv: 'get', key: 'k' }, undefined)).toBe('a');
  });

  it('put replaces, append concatenates (onto an absent key it acts as put)', () => {
    expect(step('a', { kv: 'put', key: 'k', value: 'b' }, { kv: 'put' })).toBe('b');
    expect(step(null, { kv: 'append', key: 'k', value: 'b' }, { kv: 'append' })).toBe('b');
    expect(step('a', { kv: 'append', key: 'k', value: 'b' }, undefined)).toBe('ab');
  });

  it('delete answers whether the key existed, and removes it', () => {
    expect(step('a', { kv: 'delete', key: 'k' }, { kv: 'delete', existed: true })).toBeNull();
    expect(step(null, { kv: 'delete', key: 'k' }, { kv: 'delete', existed: false })).toBeNull();
    expect(step('a', { kv: 'delete', key: 'k' }, { kv: 'delete', existed: false })).toBe(ILLEGAL);
    expect(step(null, { kv: 'delete', key: 'k' }, { kv: 'delete', existed: true })).toBe(ILLEGAL);
    expect(step('a', { kv: 'delete', key: 'k' }, undefined)).toBeNull();
  });

  it('cas swaps only from the expected value (null: absent) and answers the value then held', () => {
    const cas = (expected: string | null, value: string) =>
      ({ kv: 'cas', key: 'k', expected, value }) as const;
    expect(step(null, cas(null, 'v'), { kv: 'cas', swapped: true, value: 'v' })).toBe('v');
    expect(step('a', cas('a', 'v'), { kv: 'cas', swapped: true, value: 'v' })).toBe('v');
    expect(step('a', cas('b', 'v'), { kv: 'cas', swapped: false, value: 'a' })).toBe('a');
    expect(step('a', cas('b', 'v'), { kv: 'cas', swapped: true, value: 'v' })).toBe(ILLEGAL);
    expect(step('a', cas('a', 'v'), { kv: 'cas', swapped: false, value: 'a' })).toBe(ILLEGAL);
    expect(step('a', cas('b', 'v'), { kv: 'cas', swapped: false, value: 'b' })).toBe(ILLEGAL);
    expect(step(null, cas('', 'v'), { kv: 'cas', swapped: false, value: null })).toBeNull();
    expect(step('a', cas('a', 'v'), undefined)).toBe('v');
    expect(step('a', cas('b', 'v'), undefined)).toBe('a');
  });

  it('an answer of another kind of command is illegal', () => {
    expect(step('a', { kv: 'get', key: 'k' }, { kv: 'put' })).toBe(ILLEGAL);
    expect(step('a', { kv: 'put', key: 'k', value: 'b' }, { kv: 'append' })).toBe(ILLEGAL);
    expect(step('a', { kv: 'append', key: 'k', value: 'b' }, { kv: 'get', value: 'ab' })).toBe(ILLEGAL);
    expect(step('a', { kv: 'delete', key: 'k' }, { kv: 'put' })).toBe(ILLEGAL);
    expect(step('a', { kv: 'cas', key: 'k', expected: 'a', value: 'b' }, { kv: 'put' })).toBe(ILLEGAL);
  });

  it('partitions by key, hashes consistently with equal, accepts a command with a session', () => {
    expect(kvModel.partition!({ kv: 'get', key: 'k1' })).toBe('k1');
    const withSession = { kv: 'put', key: 'k2', value: 'v', session: { client: 'c', seq: 1 } } as const;
    expect(kvModel.partition!(withSession)).toBe('k2');
    expect(kvModel.hash!('ab')).toBe(kvModel.hash!('a' + 'b'));
    expect(kvModel.hash!(null)).not.toBe(kvModel.hash!(''));
    expect(kvModel.equal('ab', 'ab')).toBe(true);
    expect(kvModel.equal(null, '')).toBe(false);
  });

  it('describes operations and states briefly, long values cut in the middle', () => {
    const d = kvModel.describeOperation!;
    expect(d({ kv: 'get', key: 'k' }, { kv: 'get', value: 'v' })).toBe('get(k) -> "v"');
    expect(d({ kv: 'get', key: 'k' }, { kv: 'get', value: null })).toBe('get(k) -> absent');
    expect(d({ kv: 'get', key: 'k' }, undefined)).toBe('get(k) -> ?');
    expect(d({ kv: 'append', key: 'k', value: 'x' }, { kv: 'append' })).toBe('append(k, "x")');
    expect(d({ kv: 'delete', key: 'k' }, { kv: 'delete', existed: true })).toBe('delete(k) -> existed');
    expect(
      d({ kv: 'cas', key: 'k', expected: null, value: 'v' }, { kv: 'cas', swapped: false, value: 'w' }),
    ).toBe('cas(k, absent => "v") -> not swapped, holds "w"');
    expect(d({ kv: 'get', key: 'k' }, { kv: 'put' })).toContain('wrong kind');
    const long = `${'a'.repeat(500)}THE-END`;
    const shown = kvModel.describeState!(long);
    expect(shown).toContain('THE-END');
    expect(shown).toContain('(507 chars)');
    expect(shown.length).toBeLessThan(100);
  });
});
