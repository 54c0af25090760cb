/** The membership rules of machines/membership.ts as pure functions: configurations, changes, and where one is in force. */
import { describe, expect, it } from 'vitest';
import type { ClusterConfig, ConfigChange, LogEntry, MembershipState } from '../../machines/index.js';
import {
  ArrayRaftLog,
  applyConfigChange,
  bootstrapConfig,
  changeMismatch,
  configAt,
  configChangeRefusal,
  hasQuorum,
  isMember,
  isVoter,
  lastConfigIn,
  membershipAfterEdit,
  replicaPeers,
  votingPeers,
} from '../../machines/index.js';

const config = (
  voters: string[],
  learners: string[] = [],
  addresses: Record<string, string> = {},
): ClusterConfig => ({
  voters,
  learners,
  addresses,
});

const ABC = config(['a', 'b', 'c']);
const WITH_LEARNER = config(['a', 'b', 'c'], ['d'], { d: 'ws://d' });

describe('a configuration', () => {
  it('bootstraps a node and its peers as voters', () => {
    expect(bootstrapConfig('a', ['b', 'c'])).toEqual(ABC);
  });

  it('tells voters, members, replicas and voting peers', () => {
    expect([isVoter(WITH_LEARNER, 'a'), isVoter(WITH_LEARNER, 'd'), isVoter(WITH_LEARNER, 'x')]).toEqual([
      true,
      false,
      false,
    ]);
    expect([isMember(WITH_LEARNER, 'd'), isMember(WITH_LEARNER, 'x')]).toEqual([true, false]);
    expect(replicaPeers(WITH_LEARNER, 'a')).toEqual(['b', 'c', 'd']);
    expect(replicaPeers(WITH_LEARNER, 'd')).toEqual(['a', 'b', 'c']);
    expect(votingPeers(WITH_LEARNER, 'a')).toEqual(['b', 'c']);
    expect(votingPeers(WITH_LEARNER, 'd')).toEqual(['a', 'b', 'c']);
  });

  it('has a quorum in a majority of its voters, each counted once, learners and strangers not at all', () => {
    expect(hasQuorum(ABC, ['a', 'b'])).toBe(true);
    expect(hasQuorum(ABC, ['a', 'a'])).toBe(false);
    expect(hasQuorum(WITH_LEARNER, ['a', 'd', 'x'])).toBe(false);
    const four = config(['a', 'b', 'c', 'd']);
    expect(hasQuorum(four, ['a', 'b'])).toBe(false);
    expect(hasQuorum(four, ['a', 'b', 'c'])).toBe(true);
    expect(hasQuorum(config(['a']), ['a'])).toBe(true);
    // No voters: an empty majority of nothing is not enough (quorumSize(0) is 1).
    expect(hasQuorum(config([]), [])).toBe(false);
  });
});

describe('applyConfigChange', () => {
  it('adds a voter or a learner, with its address when given', () => {
    expect(applyConfigChange(ABC, { type: 'addVoter', id: 'd', address: 'ws://d' })).toEqual(
      config(['a', 'b', 'c', 'd'], [], { d: 'ws://d' }),
    );
    expect(applyConfigChange(ABC, { type: 'addLearner', id: 'd' })).toEqual(config(['a', 'b', 'c'], ['d']));
  });

  it('promotes a learner to a voter, keeping its address', () => {
    expect(applyConfigChange(WITH_LEARNER, { type: 'promote', id: 'd' })).toEqual(
      config(['a', 'b', 'c', 'd'], [], { d: 'ws://d' }),
    );
  });

  it('removes a voter or a learner with its address', () => {
    expect(applyConfigChange(WITH_LEARNER, { type: 'remove', id: 'd' })).toEqual(ABC);
    expect(applyConfigChange(WITH_LEARNER, { type: 'remove', id: 'b' })).toEqual(
      config(['a', 'c'], ['d'], { d: 'ws://d' }),
    );
  });

  it('leaves the configuration it was given as it was', () => {
    const before = structuredClone(WITH_LEARNER);
    applyConfigChange(WITH_LEARNER, { type: 'remove', id: 'd' });
    applyConfigChange(WITH_LEARNER, { type: 'addVoter', id: 'e', address: 'ws://e' });
    expect(WITH_LEARNER).toEqual(before);
  });
});

describe('changeMismatch', () => {
  const cases: [ConfigChange, string | null][] = [
    [{ type: 'addVoter', id: 'e' }, null],
    [{ type: 'addVoter', id: 'a' }, 'a is a voter already'],
    [{ type: 'addVoter', id: 'd' }, 'd is a learner: promote it instead'],
    [{ type: 'addLearner', id: 'e' }, null],
    [{ type: 'addLearner', id: 'a' }, 'a is a member already'],
    [{ type: 'addLearner', id: 'd' }, 'd is a member already'],
    [{ type: 'promote', id: 'd' }, null],
    [{ type: 'promote', id: 'a' }, 'a is not a learner'],
    [{ type: 'promote', id: 'e' }, 'e is not a learner'],
    [{ type: 'remove', id: 'a' }, null],
    [{ type: 'remove', id: 'd' }, null],
    [{ type: 'remove', id: 'e' }, 'e is not a member'],
  ];
  for (const [change, expected] of cases) {
    it(`${change.type} ${change.id}: ${expected ?? 'fits'}`, () => {
      expect(changeMismatch(WITH_LEARNER, change)).toBe(expected);
    });
  }

  it('refuses to remove the last voter, not a learner beside it', () => {
    const lone = config(['a'], ['d']);
    expect(changeMismatch(lone, { type: 'remove', id: 'a' })).toBe('a is the last voter');
    expect(changeMismatch(lone, { type: 'remove', id: 'd' })).toBeNull();
  });
});

describe('configChangeRefusal', () => {
  /** A leader of term 2 whose log holds terms 1, 2, 2 and has committed `commitIndex`. */
  const state = (commitIndex: number, configIndex = 0) => ({
    config: ABC,
    configIndex,
    commitIndex,
    currentTerm: 2,
    log: new ArrayRaftLog([
      { term: 1, command: 'x' },
      { term: 2, command: null },
      { term: 2, command: null, config: ABC },
    ]),
  });

  it('needs the previous change committed first', () => {
    expect(configChangeRefusal(state(2, 3), { type: 'addVoter', id: 'd' })).toBe(
      'the change at index 3 is not committed yet: wait for it, then retry',
    );
  });

  it('needs an entry of the leader term committed', () => {
    expect(configChangeRefusal(state(1), { type: 'addVoter', id: 'd' })).toBe(
      'no entry of this leader term is committed yet: retry in a moment',
    );
    expect(configChangeRefusal(state(0), { type: 'addVoter', id: 'd' })).not.toBeNull();
  });

  it('then asks only that the change fit', () => {
    expect(configChangeRefusal(state(2), { type: 'addVoter', id: 'd' })).toBeNull();
    expect(configChangeRefusal(state(3, 3), { type: 'addVoter', id: 'a' })).toBe('a is a voter already');
  });
});

const X = config(['a', 'b', 'c', 'd']);
const Y = config(['a', 'b', 'd']);

/** A log: 1 x, 2 config X, 3 y, 4 config Y, 5 z (all term 1), over the bootstrap ABC. */
function history() {
  const entries: LogEntry[] = [
    { term: 1, command: 'x' },
    { term: 1, command: null, config: X },
    { term: 1, command: 'y' },
    { term: 1, command: null, config: Y },
    { term: 1, command: 'z' },
  ];
  const log = new ArrayRaftLog(entries);
  const state: MembershipState = { config: Y, configIndex: 4, baseConfig: ABC };
  return { entries, log, state };
}

describe('lastConfigIn', () => {
  it('finds the latest configuration entry, numbered from `from`', () => {
    const { entries } = history();
    expect(lastConfigIn(entries, 1)).toEqual({ config: Y, index: 4 });
    expect(lastConfigIn(entries.slice(0, 3), 10)).toEqual({ config: X, index: 11 });
    expect(lastConfigIn([{ term: 1, command: 'x' }], 1)).toBeNull();
    expect(lastConfigIn([], 1)).toBeNull();
  });
});

describe('configAt', () => {
  it('is the latest configuration entry at or before the index, else the base', () => {
    const { log, state } = history();
    expect(configAt(log, state, 5)).toEqual({ config: Y, index: 4 });
    expect(configAt(log, state, 4)).toEqual({ config: Y, index: 4 });
    expect(configAt(log, state, 3)).toEqual({ config: X, index: 2 });
    expect(configAt(log, state, 2)).toEqual({ config: X, index: 2 });
    expect(configAt(log, state, 1)).toEqual({ config: ABC, index: 0 });
    expect(configAt(log, state, 0)).toEqual({ config: ABC, index: 0 });
  });

  it("after compaction, falls back to the snapshot's configuration at the snapshot's index", () => {
    const log = new ArrayRaftLog(
      [
        { term: 1, command: 'y' },
        { term: 1, command: null, config: Y },
      ],
      { index: 2, term: 1 },
    );
    const state: MembershipState = { config: Y, configIndex: 4, baseConfig: X };
    expect(configAt(log, state, 3)).toEqual({ config: X, index: 2 });
    expect(configAt(log, state, 4)).toEqual({ config: Y, index: 4 });
  });
});

describe('membershipAfterEdit', () => {
  it("an edit's own configuration entry takes over", () => {
    const { log, state } = history();
    const edit = {
      from: 6,
      entries: [
        { term: 2, command: null, config: ABC },
        { term: 2, command: 'w' },
      ],
    };
    expect(membershipAfterEdit(log.append(edit.entries), state, edit)).toEqual({
      config: ABC,
      configIndex: 6,
    });
  });

  it('an edit after the configuration entry changes nothing', () => {
    const { log, state } = history();
    const edit = { from: 5, entries: [{ term: 2, command: 'w' }] };
    expect(membershipAfterEdit(log.truncateFrom(5).append(edit.entries), state, edit)).toEqual({});
  });

  it('a truncation at or below it falls back to the configuration before', () => {
    const { log, state } = history();
    const edit = { from: 4, entries: [{ term: 2, command: 'w' }] };
    expect(membershipAfterEdit(log.truncateFrom(4).append(edit.entries), state, edit)).toEqual({
      config: X,
      configIndex: 2,
    });
    const wholesale = { from: 1, entries: [{ term: 3, command: 'v' }] };
    expect(
      membershipAfterEdit(history().log.truncateFrom(1).append(wholesale.entries), state, wholesale),
    ).toEqual({
      config: ABC,
      configIndex: 0,
    });
  });
});
