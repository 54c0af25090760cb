/** Checks a node's membership and timing options up front, with errors that say the fix. */
import type {
  JsonLimits,
  NodeId,
  RaftFeatures,
  RaftTiming,
  ReplicationLimits,
} from '../../machines/index.js';
import { DEFAULT_LIMITS } from '../../machines/index.js';
import { ConfigError } from '../errors.js';

export function validateMembership(id: NodeId, peers: readonly NodeId[]): void {
  if (typeof id !== 'string' || id.length === 0) throw new ConfigError('id must be a non-empty string');
  if (peers.includes(id)) {
    throw new ConfigError(`peers must list the other nodes only, but it includes this node's own id "${id}"`);
  }
  const seen = new Set<NodeId>();
  for (const peer of peers) {
    if (typeof peer !== 'string' || peer.length === 0) {
      throw new ConfigError('every peer id must be a non-empty string');
    }
    if (seen.has(peer)) throw new ConfigError(`peer "${peer}" is listed twice in peers`);
    seen.add(peer);
  }
}

export function validateTiming(timing: RaftTiming): void {
  const { heartbeatIntervalMs: heartbeat, electionTimeoutMinMs: min, electionTimeoutMaxMs: max } = timing;
  for (const [name, value] of Object.entries(timing)) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new ConfigError(
        `timing.${name} must be a positive integer of milliseconds, got ${String(value)}`,
      );
    }
  }
  if (max < min) {
    throw new ConfigError(
      `timing.electionTimeoutMaxMs (${max}) must be at least electionTimeoutMinMs (${min})`,
    );
  }
  // A leader must be heard several times per election timeout, or followers depose it.
  if (heartbeat * 2 > min) {
    throw new ConfigError(
      `timing.heartbeatIntervalMs (${heartbeat}) must be at most half of electionTimeoutMinMs (${min}), ` +
        'so a follower hears a live leader before its election timer fires',
    );
  }
}

export function validateSnapshotChunk(maxSnapshotChunk: number | undefined): void {
  if (maxSnapshotChunk === undefined) return;
  if (!Number.isSafeInteger(maxSnapshotChunk) || maxSnapshotChunk < 1) {
    throw new ConfigError(`maxSnapshotChunk must be a positive integer of bytes, got ${maxSnapshotChunk}`);
  }
}

export function validateCommandLimits(limits: JsonLimits): void {
  const { maxDepth, maxBytes } = limits;
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 1) {
    throw new ConfigError(`maxCommandDepth must be a positive integer of levels, got ${String(maxDepth)}`);
  }
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new ConfigError(`maxCommandBytes must be a positive integer of bytes, got ${String(maxBytes)}`);
  }
}

/** Each window bound given must be a positive integer (of entries or bytes, as named). */
export function validateReplication(replication: Partial<ReplicationLimits> | undefined): void {
  for (const [name, value] of Object.entries(replication ?? {})) {
    if (!(name in DEFAULT_LIMITS)) {
      throw new ConfigError(
        `replication.${name} is not a replication bound: use ${Object.keys(DEFAULT_LIMITS).join(', ')}`,
      );
    }
    if (!Number.isSafeInteger(value) || (value as number) < 1) {
      throw new ConfigError(`replication.${name} must be a positive integer, got ${String(value)}`);
    }
  }
}

/** Pre-vote and check-quorum are switches: true or false, nothing else. */
export function validateFeatures(features: Partial<RaftFeatures> | undefined): void {
  if (features === undefined) return;
  if (typeof features !== 'object' || features === null) {
    throw new ConfigError('features must be an object such as { preVote: true, checkQuorum: true }');
  }
  for (const [name, value] of Object.entries(features)) {
    if (name !== 'preVote' && name !== 'checkQuorum') {
      throw new ConfigError(`features.${name} is not a feature: use preVote or checkQuorum`);
    }
    if (typeof value !== 'boolean') throw new ConfigError(`features.${name} must be true or false`);
  }
}
