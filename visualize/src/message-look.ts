/**
 * How a message is drawn: its family's colour, a short label with its term, and whether it
 * is a reply (drawn hollow) and what it answered.
 */
import type { RaftMessage } from '../../machines/index.js';

export type MessageFamily = 'vote' | 'append' | 'snapshot' | 'read';

export interface MessageLook {
  readonly family: MessageFamily;
  readonly reply: boolean;
  /** e.g. `RV t3`, `AE+2 t3` (two entries), `AE✓ t3` (a reply that accepted). */
  readonly label: string;
  readonly colour: string;
}

export const FAMILY_COLOURS: Readonly<Record<MessageFamily, string>> = {
  vote: '#b45309',
  append: '#1d4ed8',
  snapshot: '#7e22ce',
  read: '#0f766e',
};

export function messageLook(message: RaftMessage): MessageLook {
  const term = ` t${message.term}`;
  switch (message.type) {
    case 'RequestVote':
      return look('vote', false, `RV${term}`);
    case 'RequestVoteReply':
      return look('vote', true, `RV${mark(message.voteGranted)}${term}`);
    case 'AppendEntries':
      return look(
        'append',
        false,
        `${message.entries.length > 0 ? `AE+${message.entries.length}` : 'HB'}${term}`,
      );
    case 'AppendEntriesReply':
      return look('append', true, `AE${mark(message.success)}${term}`);
    case 'InstallSnapshot':
      return look('snapshot', false, `IS${term}`);
    case 'InstallSnapshotReply':
      return look('snapshot', true, `IS${mark(message.matchIndex > 0)}${term}`);
    case 'ReadIndex':
      return look('read', false, `RI${term}`);
    case 'ReadIndexReply':
      return look('read', true, `RI${mark(message.readIndex !== null)}${term}`);
    case 'PreVote':
      return look('vote', false, `PV${term}`);
    case 'PreVoteReply':
      return look('vote', true, `PV${mark(message.voteGranted)}${term}`);
    case 'TimeoutNow':
      return look('vote', false, `TN${term}`);
  }
}

function look(family: MessageFamily, reply: boolean, label: string): MessageLook {
  return { family, reply, label, colour: FAMILY_COLOURS[family] };
}

function mark(ok: boolean): string {
  return ok ? '✓' : '✗';
}
