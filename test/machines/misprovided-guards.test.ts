/**
 * The actions that rely on their transition's guard check it again and fail loudly, naming
 * themselves, when a host provides a guard that lets through what the chart's would refuse;
 * and the role of a state value that is not one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { roleOf } from '../../machines/index.js';
import type { TestNode } from './machine-harness.js';
import { appendAccepted, appendRejected, spawnNode } from './machine-harness.js';

let node: TestNode;

afterEach(() => node.actor.stop());

/** The actor's error message after `run`; it must have failed. */
function failure(run: () => void): string {
  run();
  expect(node.errors).toHaveLength(1);
  return (node.errors[0] as Error).message;
}

describe('an action whose guard was provided wrongly fails, naming itself', () => {
  it('a counted reply from no follower: no progress to update', async () => {
    node = spawnNode({ guards: { isUncountedReply: () => false } });
    await node.lead();
    expect(failure(() => node.deliver({ ...appendAccepted('z', 1, 0), to: 'a' }))).toBe(
      'no progress for z: the reply should not have counted',
    );
  });

  it('a rejection taken as accepted: it matches nothing', async () => {
    node = spawnNode({ guards: { isAppendAccepted: () => true } });
    await node.lead();
    const conflict = { conflictTerm: 0, conflictIndex: 1, logLength: 0 };
    const rejected = appendRejected('b', 1, conflict, node.lastAppendTo('b'));
    expect(failure(() => node.deliver(rejected))).toBe('advanceMatch: a rejection matches nothing');
  });

  it('a rejection without a conflict hint counted: nothing to back up by', async () => {
    node = spawnNode({ guards: { isUncountedReply: () => false } });
    await node.lead();
    expect(failure(() => node.deliver(appendRejected('b', 1)))).toBe(
      'backUpNextIndex: no conflict to back up by',
    );
  });

  it('a read asked of the leader when no leader is known', () => {
    node = spawnNode({ guards: { knowsLeader: () => true } });
    expect(failure(() => node.deliver({ type: 'Read', ids: [1] }))).toBe(
      'askLeaderForReadIndex: no leader to ask',
    );
  });
});

describe('roleOf', () => {
  it('refuses a state value that is not a role, showing it', () => {
    node = spawnNode();
    expect(() => roleOf({ observer: 'idle' })).toThrow(
      new TypeError('not a Raft role state value: {"observer":"idle"}'),
    );
    expect(() => roleOf('learner')).toThrow('not a Raft role state value: "learner"');
    expect(roleOf('leader')).toBe('leader');
    expect(roleOf({ candidate: 'campaigning' })).toBe('candidate');
  });
});
