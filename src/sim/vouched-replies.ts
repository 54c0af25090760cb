/**
 * No node sends what its durable state does not back: a message may leave only once the
 * storage that a restart recovers holds what the message vouches for, so that no crash can
 * make the node contradict it. Checked at the moment each message leaves, against the
 * node's durable state (which the simulator's storage keeps apart from writes in flight):
 *
 * - every message: the durable term is at least the message's term (a PreVote's term is the
 *   sender's next one, which it does not take: its durable term is at least the one before);
 * - a granted vote, and a candidate's own RequestVote: the durable vote in that term;
 * - an accepted AppendEntries: the durable log holds the request's last entry at matchIndex
 *   (its term as the request carried it), or a snapshot covers it;
 * - an installed snapshot: the durable log or snapshot reaches matchIndex.
 */
import type { AppendEntries, HardState, NodeId, RaftMessage } from '../../machines/index.js';
import { InvariantViolation } from './invariant-violation.js';

/** A node's durable state, as a restart would recover it (MemoryStorage has this shape). */
export interface DurableView {
  readonly hardState: HardState;
  readonly lastIndex: number;
  /** Undefined past the end or inside the snapshot. */
  termAt(index: number): number | undefined;
}

/** AppendEntries remembered per (follower, leader) for their replies, the most recent only. */
const REMEMBERED_REQUESTS = 64;

export class VouchedReplies {
  /** follower -> leader -> rpcId -> term of the request's last entry. */
  readonly #requests = new Map<NodeId, Map<NodeId, Map<number, number>>>();

  /** An AppendEntries reached its receiver: what an acceptance of it will vouch for. */
  observeDelivered(message: AppendEntries): void {
    let byLeader = this.#requests.get(message.to);
    if (byLeader === undefined) this.#requests.set(message.to, (byLeader = new Map()));
    let byRpc = byLeader.get(message.from);
    if (byRpc === undefined) byLeader.set(message.from, (byRpc = new Map()));
    const last = message.entries.at(-1);
    byRpc.set(message.rpcId, last?.term ?? message.prevLogTerm);
    // Maps iterate in insertion order: the first key is the oldest request.
    if (byRpc.size > REMEMBERED_REQUESTS) byRpc.delete(byRpc.keys().next().value!);
  }

  /** Node `id` sends `message` now, with `durable` what a crash now would leave it. */
  observeSent(id: NodeId, message: RaftMessage, durable: DurableView): void {
    const { currentTerm, votedFor } = durable.hardState;
    const fail = (what: string): never => {
      throw new InvariantViolation(
        `node ${id} sent ${message.type} (term ${message.term}) to ${message.to} before ${what} was ` +
          `durable: a crash now would make it contradict the message (durable: term ${currentTerm}, ` +
          `vote ${String(votedFor)}, last index ${durable.lastIndex})`,
      );
    };
    // A PreVote asks about the sender's next term without moving to it.
    const vouchedTerm = message.type === 'PreVote' ? message.term - 1 : message.term;
    if (currentTerm < vouchedTerm) fail(`its term ${vouchedTerm}`);
    const votedInTerm = currentTerm === message.term;
    switch (message.type) {
      case 'RequestVote':
        if (votedInTerm && votedFor !== id) fail(`its vote for itself`);
        return;
      case 'RequestVoteReply':
        if (message.voteGranted && votedInTerm && votedFor !== message.to) fail(`its vote for ${message.to}`);
        return;
      case 'AppendEntriesReply': {
        if (!message.success) return;
        const index = message.matchIndex;
        if (durable.lastIndex < index) fail(`its log through ${index}`);
        const term = this.#requests.get(id)?.get(message.to)?.get(message.inReplyTo);
        const held = durable.termAt(index);
        // Undefined within the log's reach: compacted into the snapshot, so committed.
        if (term !== undefined && held !== undefined && held !== term)
          fail(`entry ${index} of term ${term} (it holds term ${held} there)`);
        return;
      }
      case 'InstallSnapshotReply':
        if (durable.lastIndex < message.matchIndex) fail(`the snapshot through ${message.matchIndex}`);
        return;
      default:
        return;
    }
  }
}
