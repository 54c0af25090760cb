/**
 * The wire schema: every inbound frame, once decoded, must be one RaftMessage envelope,
 * exactly (machines/messages.ts): known `type`, required fields present, counters
 * non-negative safe integers, no extra fields. Commands and snapshot data stay opaque (any
 * JSON value; a string); a configuration (on an entry or a snapshot) is checked whole. Local events (Propose, Flush, ...) are not wire types and fail
 * here. The validator is compiled once, at module load.
 *
 * Addressing is checked after the schema: `from` must be the peer the connection
 * authenticated as, and `to` this node.
 */
import type { ErrorObject } from 'ajv';
import { Ajv } from 'ajv';
import type { NodeId, RaftMessage } from '../../machines/index.js';

const counter = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const nodeId = { type: 'string', minLength: 1, maxLength: 256 } as const;

/** The fields every message has, and the request / reply headers. */
const header = { from: nodeId, to: nodeId, term: counter } as const;
const request = { ...header, rpcId: counter } as const;
const reply = { ...header, inReplyTo: counter } as const;
const headerFields = ['type', 'from', 'to', 'term'] as const;

function message(
  type: string,
  fields: Record<string, object>,
  required: readonly string[],
): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    required: [...headerFields, ...required],
    properties: { type: { const: type }, ...fields },
  };
}

/** A ClusterConfig (machines/membership.ts): each member once, every address a string. */
const members = { type: 'array', uniqueItems: true, items: nodeId } as const;
const config = {
  type: 'object',
  additionalProperties: false,
  required: ['voters', 'learners', 'addresses'],
  properties: {
    voters: members,
    learners: members,
    addresses: {
      type: 'object',
      propertyNames: nodeId,
      additionalProperties: { type: 'string', maxLength: 2048 },
    },
  },
} as const;

const entry = {
  type: 'object',
  additionalProperties: false,
  required: ['term', 'command'],
  // The command is the application's: any JSON value, never inspected here.
  properties: { term: counter, command: {}, config },
} as const;

const conflict = {
  type: 'object',
  additionalProperties: false,
  required: ['conflictTerm', 'conflictIndex', 'logLength'],
  properties: { conflictTerm: counter, conflictIndex: counter, logLength: counter },
} as const;

export const RAFT_MESSAGE_SCHEMA = {
  type: 'object',
  required: ['type'],
  properties: { type: { type: 'string' } },
  discriminator: { propertyName: 'type' },
  oneOf: [
    message(
      'RequestVote',
      { ...request, lastLogIndex: counter, lastLogTerm: counter, transfer: { const: true } },
      ['rpcId', 'lastLogIndex', 'lastLogTerm'],
    ),
    message('RequestVoteReply', { ...reply, voteGranted: { type: 'boolean' } }, ['inReplyTo', 'voteGranted']),
    message('PreVote', { ...request, lastLogIndex: counter, lastLogTerm: counter }, [
      'rpcId',
      'lastLogIndex',
      'lastLogTerm',
    ]),
    message('PreVoteReply', { ...reply, voteGranted: { type: 'boolean' } }, ['inReplyTo', 'voteGranted']),
    message('TimeoutNow', request, ['rpcId']),
    message(
      'AppendEntries',
      {
        ...request,
        prevLogIndex: counter,
        prevLogTerm: counter,
        entries: { type: 'array', items: entry },
        leaderCommit: counter,
      },
      ['rpcId', 'prevLogIndex', 'prevLogTerm', 'entries', 'leaderCommit'],
    ),
    {
      // Accepted: matchIndex, no conflict. Rejected: no matchIndex, an optional conflict hint.
      ...message(
        'AppendEntriesReply',
        { ...reply, success: { type: 'boolean' }, matchIndex: counter, conflict },
        ['inReplyTo', 'success'],
      ),
      if: { properties: { success: { const: true } } },
      then: { required: ['matchIndex'], properties: { matchIndex: counter, conflict: false } },
      else: { properties: { matchIndex: false } },
    },
    message(
      'InstallSnapshot',
      {
        ...request,
        lastIncludedIndex: counter,
        lastIncludedTerm: counter,
        offset: counter,
        data: { type: 'string' },
        done: { type: 'boolean' },
        config,
      },
      ['rpcId', 'lastIncludedIndex', 'lastIncludedTerm', 'offset', 'data', 'done'],
    ),
    message('InstallSnapshotReply', { ...reply, matchIndex: counter }, ['inReplyTo', 'matchIndex']),
    message('ReadIndex', request, ['rpcId']),
    message('ReadIndexReply', { ...reply, readIndex: { anyOf: [counter, { type: 'null' }] } }, [
      'inReplyTo',
      'readIndex',
    ]),
  ],
} as const;

const ajv = new Ajv({ discriminator: true, allErrors: false, strict: true });
const validateMessage = ajv.compile<RaftMessage>(RAFT_MESSAGE_SCHEMA);

export type FrameCheck =
  { readonly ok: true; readonly message: RaftMessage } | { readonly ok: false; readonly reason: string };

/** Whether `value` is a RaftMessage envelope; on failure, a short summary of why. */
export function validateRaftMessage(value: unknown): FrameCheck {
  if (validateMessage(value)) return { ok: true, message: value };
  return { ok: false, reason: summarize(validateMessage.errors) };
}

/** A decoded frame from `peer` to `self`: the schema, then the addressing. */
export function checkInboundFrame(value: unknown, peer: NodeId, self: NodeId): FrameCheck {
  const checked = validateRaftMessage(value);
  if (!checked.ok) return checked;
  if (checked.message.from !== peer) {
    return { ok: false, reason: `from "${checked.message.from}" is not the authenticated peer "${peer}"` };
  }
  if (checked.message.to !== self) {
    return { ok: false, reason: `to "${checked.message.to}" is not this node "${self}"` };
  }
  return checked;
}

function summarize(errors: readonly ErrorObject[] | null | undefined): string {
  const first = errors?.[0];
  if (first === undefined) return 'not a RaftMessage';
  const where = first.instancePath === '' ? 'frame' : `frame${first.instancePath}`;
  if (first.keyword === 'additionalProperties') {
    return `${where} has an unexpected field "${String(first.params.additionalProperty)}"`;
  }
  if (first.keyword === 'false schema') return `${where} is not allowed here`;
  if (first.keyword === 'discriminator') {
    const tag = (first.params as { tagValue?: unknown }).tagValue;
    return tag === undefined
      ? `${where} has no string "type"`
      : `${where}: type ${JSON.stringify(tag)} is not a RaftMessage type`;
  }
  return `${where} ${first.message ?? 'is invalid'}`;
}
