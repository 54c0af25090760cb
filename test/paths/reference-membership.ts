/**
 * The reference model's membership rules (Ongaro's thesis, section 4.1: single-server
 * changes), written from the thesis, not from machines/membership.ts:
 * - a configuration is a log entry; a server uses the latest one in its log, committed or
 *   not, so a truncation can take it back to an earlier one (or to the snapshot's);
 * - quorums are majorities of the voters of the configuration in force; learners receive
 *   the log but neither vote nor count;
 * - a leader appends a change only once the previous one committed, and only once an entry
 *   of its own term committed (the thesis's fix for changes of two leaders' terms);
 * - a change fits the configuration: a voter or learner is added only if not a member, a
 *   learner is promoted, a member removed, never the last voter.
 */

/** Who votes and who only learns. */
export interface ModelConfig {
  readonly voters: readonly string[];
  readonly learners: readonly string[];
}

/** The alphabet's changes, as the machine's ChangeConfig event carries them. */
export type ModelChange = {
  readonly type: 'addVoter' | 'addLearner' | 'promote' | 'remove';
  readonly id: string;
};

export const isVoter = (config: ModelConfig, id: string) => config.voters.includes(id);

const isMember = (config: ModelConfig, id: string) =>
  config.voters.includes(id) || config.learners.includes(id);

/** Whether `ids` hold a majority of the voters (duplicates and non-voters count for nothing). */
export function hasMajority(config: ModelConfig, ids: readonly string[]): boolean {
  const voting = new Set(ids.filter((id) => config.voters.includes(id)));
  return voting.size > config.voters.length / 2;
}

/** How many voters make a majority. */
export const majority = (config: ModelConfig) => Math.floor(config.voters.length / 2) + 1;

/** Every member but `self`: who a leader sends the log to. */
export const membersBut = (config: ModelConfig, self: string) =>
  [...config.voters, ...config.learners].filter((id) => id !== self);

/** Every voter but `self`: who a candidate (or pre-candidate) asks. */
export const votersBut = (config: ModelConfig, self: string) => config.voters.filter((id) => id !== self);

/** Whether `change` fits `config`. */
export function fits(config: ModelConfig, change: ModelChange): boolean {
  switch (change.type) {
    case 'addVoter':
    case 'addLearner':
      return !isMember(config, change.id);
    case 'promote':
      return config.learners.includes(change.id);
    case 'remove':
      return isMember(config, change.id) && !(config.voters.length === 1 && isVoter(config, change.id));
  }
}

/** The configuration after `change`. */
export function changed(config: ModelConfig, change: ModelChange): ModelConfig {
  const without = (ids: readonly string[]) => ids.filter((id) => id !== change.id);
  switch (change.type) {
    case 'addVoter':
    case 'promote':
      return { voters: [...config.voters, change.id], learners: without(config.learners) };
    case 'addLearner':
      return { voters: config.voters, learners: [...config.learners, change.id] };
    case 'remove':
      return { voters: without(config.voters), learners: without(config.learners) };
  }
}

/** A configuration as a comparable string, members sorted (their order carries no meaning). */
export function describeConfig(config: ModelConfig): string {
  return `voters ${[...config.voters].sort().join(',')} learners ${[...config.learners].sort().join(',')}`;
}
