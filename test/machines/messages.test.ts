/** The wire's message kinds: which are requests, and which of those get a reply. */
import { describe, expect, it } from 'vitest';
import type { RaftMessage } from '../../machines/index.js';
import { RAFT_MESSAGE_TYPES, expectsReply, isRaftMessageType, isRequest } from '../../machines/index.js';

/** A message of `type` with only the fields these rules read. */
const message = (type: RaftMessage['type'], fields: object = {}) =>
  ({ type, from: 'a', to: 'b', term: 1, ...fields }) as RaftMessage;

describe('message kinds', () => {
  it('knows the eleven message types and nothing else', () => {
    expect(RAFT_MESSAGE_TYPES.filter(isRaftMessageType)).toHaveLength(11);
    expect(isRaftMessageType('Propose')).toBe(false);
    expect(isRaftMessageType('constructor')).toBe(false);
  });

  it('tells requests from replies', () => {
    const requests = RAFT_MESSAGE_TYPES.filter((type) => isRequest(message(type)));
    expect(requests).toEqual([
      'RequestVote',
      'AppendEntries',
      'InstallSnapshot',
      'ReadIndex',
      'PreVote',
      'TimeoutNow',
    ]);
  });

  it('expects a reply to every request but a snapshot chunk before the last and TimeoutNow, and to no reply', () => {
    const answered = RAFT_MESSAGE_TYPES.filter((type) => expectsReply(message(type, { done: true })));
    // TimeoutNow's answer is the election it starts.
    expect(answered).toEqual(['RequestVote', 'AppendEntries', 'InstallSnapshot', 'ReadIndex', 'PreVote']);
    expect(expectsReply(message('InstallSnapshot', { done: false }))).toBe(false);
    expect(expectsReply(message('AppendEntries', { done: false }))).toBe(true);
  });
});
