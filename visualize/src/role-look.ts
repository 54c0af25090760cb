/**
 * How a role is named on the page: the chart's role ids are camel case (`preCandidate`),
 * the page says what they do. The role's look (outline, badge) is the CSS class of the id.
 */
import type { Role } from '../../machines/index.js';

const LABELS: Readonly<Record<Role, string>> = {
  follower: 'follower',
  preCandidate: 'pre-candidate',
  candidate: 'candidate',
  leader: 'leader',
};

export function roleLabel(role: Role): string {
  return LABELS[role];
}

/** Where a node stands in the configuration it holds: it votes, it only replicates, or neither. */
export type Membership = 'voter' | 'learner' | 'not a member';

export function membershipOf(
  id: string,
  summary: { readonly voters: readonly string[]; readonly learners: readonly string[] },
): Membership {
  if (summary.voters.includes(id)) return 'voter';
  return summary.learners.includes(id) ? 'learner' : 'not a member';
}
