/** The course's 2A tests (leader election), step for step, on virtual time. */
import { expect } from 'vitest';
import { CourseConfig, CourseFailure } from './course-config.js';
import { ELECTION_TIMEOUT_MS } from './course-timing.js';
import { courseTest } from './seeds.js';

const FILE = 'election';

courseTest('TestInitialElection2A', FILE, (seed) =>
  CourseConfig.run({ n: 3, unreliable: false, seed }, async (cfg) => {
    cfg.begin('Test (2A): initial election');

    // is a leader elected?
    await cfg.checkOneLeader();

    // sleep a bit to avoid racing with followers learning of the election, then check
    // that all peers agree on the term.
    await cfg.sleep(50);
    const term1 = cfg.checkTerms();
    if (term1 < 1) throw new CourseFailure(`term is ${term1}, but should be at least 1`);

    // does the leader+term stay the same if there is no network failure?
    await cfg.sleep(2 * ELECTION_TIMEOUT_MS);
    const term2 = cfg.checkTerms();
    // The course only warns here; this port records it so a regression is visible.
    expect.soft(term2, 'warning: term changed even though there were no failures').toBe(term1);

    // there should still be a leader.
    await cfg.checkOneLeader();

    cfg.end();
  }),
);

courseTest('TestReElection2A', FILE, (seed) =>
  CourseConfig.run({ n: 3, unreliable: false, seed }, async (cfg) => {
    cfg.begin('Test (2A): election after network failure');
    const n = cfg.n;

    const leader1 = await cfg.checkOneLeader();

    // if the leader disconnects, a new one should be elected.
    cfg.disconnect(leader1);
    await cfg.checkOneLeader();

    // if the old leader rejoins, that shouldn't disturb the new leader.
    cfg.connect(leader1);
    const leader2 = await cfg.checkOneLeader();

    // if there's no quorum, no new leader should be elected.
    cfg.disconnect(leader2);
    cfg.disconnect((leader2 + 1) % n);
    await cfg.sleep(2 * ELECTION_TIMEOUT_MS);

    // check that the one connected server does not think it is the leader.
    cfg.checkNoLeader();

    // if a quorum arises, it should elect a leader.
    cfg.connect((leader2 + 1) % n);
    await cfg.checkOneLeader();

    // re-join of last node shouldn't prevent leader from existing.
    cfg.connect(leader2);
    await cfg.checkOneLeader();

    cfg.end();
  }),
);

courseTest('TestManyElections2A', FILE, (seed) =>
  CourseConfig.run({ n: 7, unreliable: false, seed }, async (cfg) => {
    cfg.begin('Test (2A): multiple elections');
    const n = cfg.n;

    await cfg.checkOneLeader();

    const iters = 10;
    for (let ii = 1; ii < iters; ii++) {
      // disconnect three nodes
      const i1 = cfg.randInt(n);
      const i2 = cfg.randInt(n);
      const i3 = cfg.randInt(n);
      cfg.disconnect(i1);
      cfg.disconnect(i2);
      cfg.disconnect(i3);

      // either the current leader should still be alive, or the remaining four should
      // elect a new one.
      await cfg.checkOneLeader();

      cfg.connect(i1);
      cfg.connect(i2);
      cfg.connect(i3);
    }

    await cfg.checkOneLeader();

    cfg.end();
  }),
);
