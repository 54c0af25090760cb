/**
 * Cluster membership as data: who votes, who only learns, and the single-server change rules
 * (Ongaro's thesis, section 4.1, with its section 4.1 safety fix). Pure functions; the chart
 * calls them from guards and assigns, the host calls `configChangeRefusal` before it asks.
 */
import { quorumSize } from './election-rules.js';
import type { LogEdit } from './log-edit.js';
import type { LogEntry, RaftLog } from './log.js';
import type { NodeId } from './messages.js';

/**
 * The members in force. Voters elect and make a quorum; learners receive the log and
 * snapshots but never vote or campaign. `addresses` is opaque to Raft: where the host's
 * transport reaches each member (a simulator may leave it empty).
 */
export interface ClusterConfig {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly addresses: Readonly<Record<NodeId, string>>;
}

/** One change at a time: a single server joins, is promoted or leaves. */
export type ConfigChange =
  | { readonly type: 'addVoter'; readonly id: NodeId; readonly address?: string }
  | { readonly type: 'addLearner'; readonly id: NodeId; readonly address?: string }
  | { readonly type: 'promote'; readonly id: NodeId }
  | { readonly type: 'remove'; readonly id: NodeId };

export type ConfigChangeType = ConfigChange['type'];

/** The configuration of a cluster bootstrapped with `id` and `peers`, all voters. */
export function bootstrapConfig(id: NodeId, peers: readonly NodeId[]): ClusterConfig {
  return { voters: [id, ...peers], learners: [], addresses: {} };
}

export function isVoter(config: ClusterConfig, id: NodeId): boolean {
  return config.voters.includes(id);
}

export function isMember(config: ClusterConfig, id: NodeId): boolean {
  return config.voters.includes(id) || config.learners.includes(id);
}

/** Every member but `self`: who a leader replicates to. */
export function replicaPeers(config: ClusterConfig, self: NodeId): NodeId[] {
  return [...config.voters, ...config.learners].filter((member) => member !== self);
}

/** Every voter but `self`: who a candidate asks for votes. */
export function votingPeers(config: ClusterConfig, self: NodeId): NodeId[] {
  return config.voters.filter((voter) => voter !== self);
}

/** Whether `ids` (duplicates counted once) hold a majority of the config's voters. */
export function hasQuorum(config: ClusterConfig, ids: readonly NodeId[]): boolean {
  const voting = new Set(ids.filter((id) => config.voters.includes(id)));
  return voting.size >= quorumSize(config.voters.length);
}

/** The configuration a change leads to; the caller checked it with `configChangeRefusal`. */
export function applyConfigChange(config: ClusterConfig, change: ConfigChange): ClusterConfig {
  const without = (ids: readonly NodeId[]) => ids.filter((member) => member !== change.id);
  const addresses = { ...config.addresses };
  if (change.type === 'remove') delete addresses[change.id];
  else if ('address' in change && change.address !== undefined) addresses[change.id] = change.address;
  switch (change.type) {
    case 'addVoter':
    case 'promote':
      return { voters: [...config.voters, change.id], learners: without(config.learners), addresses };
    case 'addLearner':
      return { voters: config.voters, learners: [...config.learners, change.id], addresses };
    case 'remove':
      return { voters: without(config.voters), learners: without(config.learners), addresses };
  }
}

/** What a change asks of the configuration in force, or null when it fits it. */
export function changeMismatch(config: ClusterConfig, change: ConfigChange): string | null {
  const { id } = change;
  switch (change.type) {
    case 'addVoter':
      if (isVoter(config, id)) return `${id} is a voter already`;
      return config.learners.includes(id) ? `${id} is a learner: promote it instead` : null;
    case 'addLearner':
      return isMember(config, id) ? `${id} is a member already` : null;
    case 'promote':
      return config.learners.includes(id) ? null : `${id} is not a learner`;
    case 'remove':
      if (!isMember(config, id)) return `${id} is not a member`;
      return config.voters.length === 1 && isVoter(config, id) ? `${id} is the last voter` : null;
  }
}

/** What a leader's config change needs from its state: the part of `RaftContext` read here. */
export interface ConfigChangeState {
  readonly config: ClusterConfig;
  readonly configIndex: number;
  readonly commitIndex: number;
  readonly currentTerm: number;
  readonly log: RaftLog;
}

/**
 * Why a leader cannot append `change` now, or null when it can. One change at a time (the
 * previous one committed), and only once an entry of the leader's own term is committed: the
 * thesis's fix, without which a change of an old term's leader and a new one can both commit.
 */
export function configChangeRefusal(state: ConfigChangeState, change: ConfigChange): string | null {
  if (state.configIndex > state.commitIndex) {
    return `the change at index ${state.configIndex} is not committed yet: wait for it, then retry`;
  }
  if (state.log.termAt(state.commitIndex) !== state.currentTerm) {
    return 'no entry of this leader term is committed yet: retry in a moment';
  }
  return changeMismatch(state.config, change);
}

/** The latest configuration among `entries` and its index (`from` is the first's), if any. */
export function lastConfigIn(
  entries: readonly LogEntry[],
  from: number,
): { config: ClusterConfig; index: number } | null {
  for (let i = entries.length - 1; i >= 0; i--) {
    const config = entries[i]!.config;
    if (config !== undefined) return { config, index: from + i };
  }
  return null;
}

/** What the membership part of the context is: the config in force, its index and the one at the snapshot. */
export interface MembershipState {
  readonly config: ClusterConfig;
  /** Index of the entry that holds `config`; at or below the snapshot's index when it is `baseConfig`. */
  readonly configIndex: number;
  /** The configuration in force at the log's snapshot index (or at bootstrap). */
  readonly baseConfig: ClusterConfig;
}

/**
 * The configuration in force at `index` of `log`: the latest config entry at or before it,
 * else the base. A server uses the latest configuration in its log, committed or not
 * (thesis section 4.1), so a truncation can take it back to an earlier one.
 */
export function configAt(
  log: RaftLog,
  state: MembershipState,
  index: number,
): { config: ClusterConfig; index: number } {
  if (state.configIndex <= index) return { config: state.config, index: state.configIndex };
  for (let i = Math.min(index, log.lastIndex); i > log.snapshotIndex; i--) {
    const config = log.slice(i, i)[0]?.config;
    if (config !== undefined) return { config, index: i };
  }
  return { config: state.baseConfig, index: log.snapshotIndex };
}

/**
 * Membership after `edit` was applied to `log`: a truncation below the config's entry falls
 * back to the one before, and the edit's own latest config entry takes over.
 */
export function membershipAfterEdit(
  log: RaftLog,
  state: MembershipState,
  edit: LogEdit,
): Partial<MembershipState> {
  const added = lastConfigIn(edit.entries, edit.from);
  if (added !== null) return { config: added.config, configIndex: added.index };
  if (edit.from > state.configIndex) return {};
  const kept = configAt(log, state, edit.from - 1);
  return { config: kept.config, configIndex: kept.index };
}
