/**
 * One message of every wire type, and each optional field in use (a transfer vote, a
 * snapshot's and entries' configurations), for the codec and schema tests alike.
 */
import type { ClusterConfig, RaftMessage } from '../../machines/index.js';

export const CONFIG: ClusterConfig = {
  voters: ['a', 'b', 'c'],
  learners: ['d'],
  addresses: { a: 'ws://127.0.0.1:7001', b: 'ws://127.0.0.1:7002', d: 'ws://127.0.0.1:7004' },
};

const request = { from: 'a', to: 'b', term: 4, rpcId: 7 };
const reply = { from: 'b', to: 'a', term: 4, inReplyTo: 7 };

export const EVERY_MESSAGE: readonly RaftMessage[] = [
  { type: 'RequestVote', ...request, lastLogIndex: 9, lastLogTerm: 3 },
  { type: 'RequestVote', ...request, lastLogIndex: 9, lastLogTerm: 3, transfer: true },
  { type: 'RequestVoteReply', ...reply, voteGranted: true },
  { type: 'PreVote', ...request, term: 5, lastLogIndex: 9, lastLogTerm: 3 },
  { type: 'PreVoteReply', ...reply, term: 5, voteGranted: false },
  { type: 'TimeoutNow', ...request },
  {
    type: 'AppendEntries',
    ...request,
    prevLogIndex: 9,
    prevLogTerm: 3,
    entries: [
      { term: 4, command: null },
      { term: 4, command: null, config: CONFIG },
      { term: 4, command: { op: 'put', key: 'k' } },
      { term: 4, command: null, config: { voters: ['a'], learners: [], addresses: {} } },
    ],
    leaderCommit: 8,
  },
  { type: 'AppendEntries', ...request, prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 },
  { type: 'AppendEntriesReply', ...reply, success: true, matchIndex: 13 },
  {
    type: 'AppendEntriesReply',
    ...reply,
    success: false,
    conflict: { conflictTerm: 2, conflictIndex: 5, logLength: 7 },
  },
  {
    type: 'InstallSnapshot',
    ...request,
    lastIncludedIndex: 100,
    lastIncludedTerm: 3,
    offset: 0,
    data: '{"k":1}',
    done: true,
    config: CONFIG,
  },
  {
    type: 'InstallSnapshot',
    ...request,
    lastIncludedIndex: 100,
    lastIncludedTerm: 3,
    offset: 0,
    data: '',
    done: false,
  },
  { type: 'InstallSnapshotReply', ...reply, matchIndex: 100 },
  { type: 'ReadIndex', ...request },
  { type: 'ReadIndexReply', ...reply, readIndex: 12 },
  { type: 'ReadIndexReply', ...reply, readIndex: null },
];
