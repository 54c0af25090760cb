/** The wire schema on its own: every RaftMessage shape admitted, everything else refused. */
import { describe, expect, it } from 'vitest';
import type { RaftMessage } from '../../machines/index.js';
import { checkInboundFrame, validateRaftMessage } from '../../src/transport/wire-schema.js';
import { CONFIG, EVERY_MESSAGE } from './messages.js';

const header = { from: 'b', to: 'a', term: 4 };

const valid: readonly RaftMessage[] = [
  { type: 'RequestVote', ...header, rpcId: 1, lastLogIndex: 9, lastLogTerm: 3 },
  { type: 'RequestVoteReply', ...header, inReplyTo: 1, voteGranted: false },
  {
    type: 'AppendEntries',
    ...header,
    rpcId: 2,
    prevLogIndex: 9,
    prevLogTerm: 3,
    entries: [
      { term: 4, command: { op: 'put', nested: [1, 'two', null, { deep: true }] } },
      { term: 4, command: null },
      { term: 4, command: 'text' },
      { term: 4, command: 12.5 },
      { term: 4, command: [] },
    ],
    leaderCommit: 8,
  },
  {
    type: 'AppendEntries',
    ...header,
    rpcId: 3,
    prevLogIndex: 0,
    prevLogTerm: 0,
    entries: [],
    leaderCommit: 0,
  },
  { type: 'AppendEntriesReply', ...header, inReplyTo: 2, success: true, matchIndex: 11 },
  { type: 'AppendEntriesReply', ...header, inReplyTo: 2, success: false },
  {
    type: 'AppendEntriesReply',
    ...header,
    inReplyTo: 2,
    success: false,
    conflict: { conflictTerm: 2, conflictIndex: 5, logLength: 7 },
  },
  {
    type: 'InstallSnapshot',
    ...header,
    rpcId: 4,
    lastIncludedIndex: 100,
    lastIncludedTerm: 3,
    offset: 0,
    data: '{"k":1}',
    done: true,
  },
  { type: 'InstallSnapshotReply', ...header, inReplyTo: 4, matchIndex: 100 },
];

describe('wire schema', () => {
  it.each([...valid, ...EVERY_MESSAGE].map((message) => [message.type, message] as const))(
    'admits a %s',
    (_type, message) => {
      expect(validateRaftMessage(JSON.parse(JSON.stringify(message)))).toEqual({ ok: true, message });
    },
  );

  const vote = valid[0] as RaftMessage;
  // A ClusterConfig broken one way each, and where and why the schema says so.
  const badConfigs: readonly (readonly [string, unknown, string])[] = [
    ['no learners', { voters: ['a'], addresses: {} }, " must have required property 'learners'"],
    ['no addresses', { voters: ['a'], learners: [] }, " must have required property 'addresses'"],
    ['an extra field', { ...CONFIG, index: 3 }, ' has an unexpected field "index"'],
    ['voters not a list', { ...CONFIG, voters: 'a' }, '/voters must be array'],
    ['a voter not a string', { ...CONFIG, voters: ['a', 7] }, '/voters/1 must be string'],
    ['an empty learner id', { ...CONFIG, learners: [''] }, '/learners/0 must NOT have fewer than 1'],
    ['a voter listed twice', { ...CONFIG, voters: ['a', 'a'] }, '/voters must NOT have duplicate items'],
    ['an address not a string', { ...CONFIG, addresses: { a: 1 } }, '/addresses/a must be string'],
    ['addresses a list', { ...CONFIG, addresses: ['ws://x'] }, '/addresses must be object'],
    ['null', null, ' must be object'],
  ];
  const refused: readonly (readonly [string, unknown, string])[] = [
    ['a string', 'RequestVote', 'frame must be object'],
    ['null', null, 'frame must be object'],
    ['an array', [vote], 'frame must be object'],
    ['no type', { ...vote, type: undefined }, "frame must have required property 'type'"],
    [
      'a local event: Propose',
      { type: 'Propose', commands: [1] },
      'type "Propose" is not a RaftMessage type',
    ],
    ['a local event: Flush', { type: 'Flush' }, 'type "Flush" is not a RaftMessage type'],
    ['a local event: LogPersisted', { type: 'LogPersisted', index: 1, term: 1 }, 'type "LogPersisted"'],
    ['a local event: Snapshot', { type: 'Snapshot', index: 1, data: '' }, 'type "Snapshot"'],
    ['an extra top-level field', { ...vote, extra: 1 }, 'frame has an unexpected field "extra"'],
    ['a missing field', { ...vote, rpcId: undefined }, "frame must have required property 'rpcId'"],
    ['a negative term', { ...vote, term: -1 }, 'frame/term must be >= 0'],
    ['a fractional index', { ...vote, lastLogIndex: 1.5 }, 'frame/lastLogIndex must be integer'],
    ['an unsafe integer', { ...vote, term: 2 ** 60 }, 'frame/term must be <= 9007199254740991'],
    ['a numeric string', { ...vote, term: '4' }, 'frame/term must be integer'],
    ['an empty from', { ...vote, from: '' }, 'frame/from must NOT have fewer than 1 characters'],
    [
      'a non-boolean vote',
      { ...(valid[1] as object), voteGranted: 'yes' },
      'frame/voteGranted must be boolean',
    ],
    [
      'an entry without a command',
      { ...(valid[3] as object), entries: [{ term: 1 }] },
      "frame/entries/0 must have required property 'command'",
    ],
    [
      'an entry with an extra field',
      { ...(valid[3] as object), entries: [{ term: 1, command: 1, index: 5 }] },
      'frame/entries/0 has an unexpected field "index"',
    ],
    ['entries not an array', { ...(valid[3] as object), entries: {} }, 'frame/entries must be array'],
    [
      'an accepted reply without matchIndex',
      { ...header, type: 'AppendEntriesReply', inReplyTo: 1, success: true },
      "frame must have required property 'matchIndex'",
    ],
    [
      'a rejected reply with a matchIndex',
      { ...header, type: 'AppendEntriesReply', inReplyTo: 1, success: false, matchIndex: 3 },
      'frame/matchIndex is not allowed here',
    ],
    [
      'an accepted reply with a conflict',
      { ...(valid[4] as object), conflict: { conflictTerm: 1, conflictIndex: 1, logLength: 1 } },
      'frame/conflict is not allowed here',
    ],
    [
      'a conflict hint missing a field',
      { ...(valid[5] as object), conflict: { conflictTerm: 1, conflictIndex: 1 } },
      "frame/conflict must have required property 'logLength'",
    ],
    ['snapshot data not a string', { ...(valid[7] as object), data: [1, 2] }, 'frame/data must be string'],
    [
      'a transfer vote marked false',
      { ...vote, transfer: false },
      'frame/transfer must be equal to constant',
    ],
    ['a transfer on a PreVote', { ...vote, type: 'PreVote', transfer: true }, 'unexpected field "transfer"'],
    ['a PreVote without lastLogTerm', { ...vote, type: 'PreVote', lastLogTerm: undefined }, "'lastLogTerm'"],
    [
      'a PreVoteReply without voteGranted',
      { ...header, type: 'PreVoteReply', inReplyTo: 1 },
      "frame must have required property 'voteGranted'",
    ],
    ['a TimeoutNow without rpcId', { ...header, type: 'TimeoutNow' }, "required property 'rpcId'"],
    ['a TimeoutNow with an extra field', { ...header, type: 'TimeoutNow', rpcId: 1, x: 1 }, 'field "x"'],
    ...badConfigs.map(
      ([name, config, reason]) =>
        [
          `an entry whose config has ${name}`,
          { ...(valid[3] as object), entries: [{ term: 1, command: null, config }] },
          `frame/entries/0/config${reason}`,
        ] as const,
    ),
    ...badConfigs.map(
      ([name, config, reason]) =>
        [
          `a snapshot whose config has ${name}`,
          { ...(valid[7] as object), config },
          `frame/config${reason}`,
        ] as const,
    ),
  ];

  it.each(refused)('refuses %s', (_name, value, reason) => {
    const checked = validateRaftMessage(value);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.reason).toContain(reason);
  });

  it('checks the addressing against the authenticated peer and this node', () => {
    expect(checkInboundFrame(vote, 'b', 'a')).toEqual({ ok: true, message: vote });
    expect(checkInboundFrame(vote, 'c', 'a')).toEqual({
      ok: false,
      reason: 'from "b" is not the authenticated peer "c"',
    });
    expect(checkInboundFrame(vote, 'b', 'c')).toEqual({ ok: false, reason: 'to "a" is not this node "c"' });
    expect(checkInboundFrame({ type: 'Propose' }, 'b', 'a').ok).toBe(false);
  });
});
