/**
 * The course's 2C tests (persistence), step for step, on virtual time. start1(i) crashes
 * server i and restarts it from what it had persisted; it stays disconnected until connect(i).
 */
import { CourseConfig, CourseFailure } from './course-config.js';
import { ELECTION_TIMEOUT_MS } from './course-timing.js';
import { courseTest } from './seeds.js';

const FILE = 'persistence';
const ET = ELECTION_TIMEOUT_MS;

/** Go's rand.Int(), kept within 31 bits so commands compare exactly as JS numbers. */
const randInt = (cfg: CourseConfig) => cfg.rand.int(2 ** 31 - 1);

courseTest('TestPersist12C', FILE, (seed) =>
  CourseConfig.run({ n: 3, unreliable: false, seed }, async (cfg) => {
    const servers = cfg.n;
    cfg.begin('Test (2C): basic persistence');

    await cfg.one(11, servers, true);

    // crash and re-start all
    for (let i = 0; i < servers; i++) await cfg.start1(i);
    for (let i = 0; i < servers; i++) {
      cfg.disconnect(i);
      cfg.connect(i);
    }

    await cfg.one(12, servers, true);

    const leader1 = await cfg.checkOneLeader();
    cfg.disconnect(leader1);
    await cfg.start1(leader1);
    cfg.connect(leader1);

    await cfg.one(13, servers, true);

    const leader2 = await cfg.checkOneLeader();
    cfg.disconnect(leader2);
    await cfg.one(14, servers - 1, true);
    await cfg.start1(leader2);
    cfg.connect(leader2);

    await cfg.wait(4, servers, -1); // wait for leader2 to join before killing i3

    const i3 = ((await cfg.checkOneLeader()) + 1) % servers;
    cfg.disconnect(i3);
    await cfg.one(15, servers - 1, true);
    await cfg.start1(i3);
    cfg.connect(i3);

    await cfg.one(16, servers, true);
    cfg.end();
  }),
);

courseTest('TestPersist22C', FILE, (seed) =>
  CourseConfig.run({ n: 5, unreliable: false, seed }, async (cfg) => {
    const servers = cfg.n;
    cfg.begin('Test (2C): more persistence');

    let index = 1;
    for (let iters = 0; iters < 5; iters++) {
      await cfg.one(10 + index, servers, true);
      index++;

      const leader1 = await cfg.checkOneLeader();

      cfg.disconnect((leader1 + 1) % servers);
      cfg.disconnect((leader1 + 2) % servers);

      await cfg.one(10 + index, servers - 2, true);
      index++;

      cfg.disconnect((leader1 + 0) % servers);
      cfg.disconnect((leader1 + 3) % servers);
      cfg.disconnect((leader1 + 4) % servers);

      await cfg.start1((leader1 + 1) % servers);
      await cfg.start1((leader1 + 2) % servers);
      cfg.connect((leader1 + 1) % servers);
      cfg.connect((leader1 + 2) % servers);

      await cfg.sleep(ET);

      await cfg.start1((leader1 + 3) % servers);
      cfg.connect((leader1 + 3) % servers);

      await cfg.one(10 + index, servers - 2, true);
      index++;

      cfg.connect((leader1 + 4) % servers);
      cfg.connect((leader1 + 0) % servers);
    }

    await cfg.one(1000, servers, true);
    cfg.end();
  }),
);

courseTest('TestPersist32C', FILE, (seed) =>
  CourseConfig.run({ n: 3, unreliable: false, seed }, async (cfg) => {
    const servers = cfg.n;
    cfg.begin('Test (2C): partitioned leader and one follower crash, leader restarts');

    await cfg.one(101, 3, true);

    const leader = await cfg.checkOneLeader();
    cfg.disconnect((leader + 2) % servers);

    await cfg.one(102, 2, true);

    cfg.crash1((leader + 0) % servers);
    cfg.crash1((leader + 1) % servers);
    cfg.connect((leader + 2) % servers);
    await cfg.start1((leader + 0) % servers);
    cfg.connect((leader + 0) % servers);

    await cfg.one(103, 2, true);

    await cfg.start1((leader + 1) % servers);
    cfg.connect((leader + 1) % servers);

    await cfg.one(104, servers, true);
    cfg.end();
  }),
);

/** The Figure 8 tests' sleep: 10% of the time 0-499 ms, otherwise 0-12 ms. */
function figure8Sleep(cfg: CourseConfig): Promise<void> {
  const ms = cfg.randInt(1000) < 100 ? cfg.randInt(ET / 2) : cfg.randInt(13);
  return cfg.sleep(ms);
}

courseTest('TestFigure82C', FILE, (seed) =>
  CourseConfig.run({ n: 5, unreliable: false, seed }, async (cfg) => {
    const servers = cfg.n;
    cfg.begin('Test (2C): Figure 8');

    await cfg.one(randInt(cfg), 1, true);

    let nup = servers;
    for (let iters = 0; iters < 1000; iters++) {
      let leader = -1;
      for (let i = 0; i < servers; i++) {
        if (cfg.isAlive(i)) {
          const [, , ok] = cfg.start(i, randInt(cfg));
          if (ok) leader = i;
        }
      }

      await figure8Sleep(cfg);

      if (leader !== -1) {
        cfg.crash1(leader);
        nup -= 1;
      }

      if (nup < 3) {
        const s = cfg.randInt(servers);
        if (!cfg.isAlive(s)) {
          await cfg.start1(s);
          cfg.connect(s);
          nup += 1;
        }
      }
    }

    for (let i = 0; i < servers; i++) {
      if (!cfg.isAlive(i)) {
        await cfg.start1(i);
        cfg.connect(i);
      }
    }

    await cfg.one(randInt(cfg), servers, true);
    cfg.end();
  }),
);

courseTest('TestUnreliableAgree2C', FILE, (seed) =>
  CourseConfig.run({ n: 5, unreliable: true, seed }, async (cfg) => {
    const servers = cfg.n;
    cfg.begin('Test (2C): unreliable agreement');

    const concurrent: Promise<number>[] = [];
    for (let iters = 1; iters < 50; iters++) {
      for (let j = 0; j < 4; j++) concurrent.push(cfg.one(100 * iters + j, 1, true));
      await cfg.one(iters, 1, true);
    }

    cfg.setUnreliable(false);
    await Promise.all(concurrent);

    await cfg.one(100, servers, true);
    cfg.end();
  }),
);

courseTest('TestFigure8Unreliable2C', FILE, (seed) =>
  CourseConfig.run({ n: 5, unreliable: true, seed }, async (cfg) => {
    const servers = cfg.n;
    cfg.begin('Test (2C): Figure 8 (unreliable)');

    await cfg.one(cfg.randInt(10000), 1, true);

    let nup = servers;
    for (let iters = 0; iters < 1000; iters++) {
      if (iters === 200) cfg.setLongReordering(true);
      let leader = -1;
      for (let i = 0; i < servers; i++) {
        const [, , ok] = cfg.start(i, cfg.randInt(10000));
        if (ok && cfg.isConnected(i)) leader = i;
      }

      await figure8Sleep(cfg);

      if (leader !== -1 && cfg.randInt(1000) < ET / 2) {
        cfg.disconnect(leader);
        nup -= 1;
      }

      if (nup < 3) {
        const s = cfg.randInt(servers);
        if (!cfg.isConnected(s)) {
          cfg.connect(s);
          nup += 1;
        }
      }
    }

    for (let i = 0; i < servers; i++) {
      if (!cfg.isConnected(i)) cfg.connect(i);
    }

    await cfg.one(cfg.randInt(10000), servers, true);
    cfg.end();
  }),
);

/** The course's internalChurn: three clients submit while servers disconnect, crash, restart. */
async function churn(cfg: CourseConfig): Promise<void> {
  const servers = cfg.n;
  let stop = false;

  const client = async (me: number): Promise<number[]> => {
    const values: number[] = [];
    while (!stop) {
      const x = randInt(cfg);
      let index = -1;
      let ok = false;
      for (let i = 0; i < servers; i++) {
        // try them all, maybe one of them is a leader
        if (!cfg.isAlive(i)) continue;
        const [index1, , ok1] = cfg.start(i, x);
        if (ok1) {
          ok = ok1;
          index = index1;
        }
      }
      if (ok) {
        // maybe leader will commit our value, maybe not. but don't wait forever.
        for (const to of [10, 20, 50, 100, 200]) {
          const [nd, cmd] = cfg.nCommitted(index);
          if (nd > 0) {
            if (typeof cmd !== 'number') throw new CourseFailure('wrong command type');
            if (cmd === x) values.push(x);
            break;
          }
          await cfg.sleep(to);
        }
      } else {
        await cfg.sleep(79 + me * 17);
      }
    }
    return values;
  };

  const ncli = 3;
  const clients = Array.from({ length: ncli }, (_, me) => client(me));

  for (let iters = 0; iters < 20; iters++) {
    if (cfg.randInt(1000) < 200) {
      cfg.disconnect(cfg.randInt(servers));
    }

    if (cfg.randInt(1000) < 500) {
      const i = cfg.randInt(servers);
      if (!cfg.isAlive(i)) await cfg.start1(i);
      cfg.connect(i);
    }

    if (cfg.randInt(1000) < 200) {
      const i = cfg.randInt(servers);
      if (cfg.isAlive(i)) cfg.crash1(i);
    }

    // Make crash/restart infrequent enough that the peers can often keep up, but not so
    // infrequent that everything has settled down from one change to the next.
    await cfg.sleep((ET * 7) / 10);
  }

  await cfg.sleep(ET);
  cfg.setUnreliable(false);
  for (let i = 0; i < servers; i++) {
    if (!cfg.isAlive(i)) await cfg.start1(i);
    cfg.connect(i);
  }

  stop = true;

  const values: number[] = [];
  for (const result of await Promise.allSettled(clients)) {
    if (result.status === 'rejected') throw new CourseFailure(`client failed: ${String(result.reason)}`);
    values.push(...result.value);
  }

  await cfg.sleep(ET);

  const lastIndex = await cfg.one(randInt(cfg), servers, true);

  const really: number[] = [];
  for (let index = 1; index <= lastIndex; index++) {
    const v = await cfg.wait(index, servers, -1);
    if (typeof v !== 'number') throw new CourseFailure('not an int');
    really.push(v);
  }

  for (const v1 of values) {
    if (!really.includes(v1)) throw new CourseFailure(`didn't find a value: ${v1}`);
  }
}

courseTest('TestReliableChurn2C', FILE, (seed) =>
  CourseConfig.run({ n: 5, unreliable: false, seed }, async (cfg) => {
    cfg.begin('Test (2C): churn');
    await churn(cfg);
    cfg.end();
  }),
);

courseTest('TestUnreliableChurn2C', FILE, (seed) =>
  CourseConfig.run({ n: 5, unreliable: true, seed }, async (cfg) => {
    cfg.begin('Test (2C): unreliable churn');
    await churn(cfg);
    cfg.end();
  }),
);
