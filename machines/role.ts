/** The Raft roles, read off the statechart's top-level state (etcd's StateType). */
export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

export const ROLES: readonly Role[] = ['follower', 'preCandidate', 'candidate', 'leader'];

/** The role of a snapshot value such as `{ leader: 'heartbeating' }`. */
export function roleOf(value: unknown): Role {
  const key = typeof value === 'string' ? value : Object.keys(value as object)[0];
  if (key === 'follower' || key === 'preCandidate' || key === 'candidate' || key === 'leader') return key;
  throw new TypeError(`not a Raft role state value: ${JSON.stringify(value)}`);
}
