/** The course's 2B tests (log replication), step for step, on virtual time. */
import { CourseConfig, CourseFailure } from './course-config.js';
import { ELECTION_TIMEOUT_MS } from './course-timing.js';
import { courseTest } from './seeds.js';

const FILE = 'replication';
const ET = ELECTION_TIMEOUT_MS;

courseTest('TestBasicAgree2B', FILE, (seed) =>
  CourseConfig.run({ n: 3, unreliable: false, seed }, async (cfg) => {
    cfg.begin('Test (2B): basic agreement');
    const iters = 3;
    for (let index = 1; index < iters + 1; index++) {
      const [nd] = cfg.nCommitted(index);
      if (nd > 0) throw new CourseFailure('some have committed before Start()');
      const xindex = await cfg.one(index * 100, cfg.n, false);
      if (xindex !== index) throw new CourseFailure(`got index ${xindex} but expected ${index}`);
    }
    cfg.end();
  }),
);

courseTest('TestRPCBytes2B', FILE, (seed) =>
  CourseConfig.run({ n: 3, unreliable: false, seed }, async (cfg) => {
    cfg.begin('Test (2B): RPC byte count');
    await cfg.one(99, 3, false);
    const bytes0 = cfg.bytesTotal();
    const iters = 10;
    let sent = 0;
    for (let index = 2; index < iters + 2; index++) {
      const command = randomString(cfg, 5000);
      const xindex = await cfg.one(command, cfg.n, false);
      if (xindex !== index) throw new CourseFailure(`got index ${xindex} but expected ${index}`);
      sent += command.length;
    }
    const got = cfg.bytesTotal() - bytes0;
    const expected = cfg.n * sent;
    if (got > expected + 50_000) {
      throw new CourseFailure(`too many RPC bytes; got ${got}, expected ${expected}`);
    }
    recordFigure(`TestRPCBytes2B seed=${seed}: ${got} bytes (bound ${expected + 50_000})`);
    cfg.end();
  }),
);

courseTest('TestFollowerFailure2B', FILE, (seed) =>
  CourseConfig.run({ n: 3, unreliable: false, seed }, async (cfg) => {
    cfg.begin('Test (2B): test progressive failure of followers');
    await cfg.one(101, cfg.n, false);

    // disconnect one follower from the network.
    const leader1 = await cfg.checkOneLeader();
    cfg.disconnect((leader1 + 1) % cfg.n);

    // the leader and remaining follower should be able to agree despite the disconnected
    // follower.
    await cfg.one(102, cfg.n - 1, false);
    await cfg.sleep(ET);
    await cfg.one(103, cfg.n - 1, false);

    // disconnect the remaining follower
    const leader2 = await cfg.checkOneLeader();
    cfg.disconnect((leader2 + 1) % cfg.n);
    cfg.disconnect((leader2 + 2) % cfg.n);

    // submit a command.
    const [index, , ok] = cfg.start(leader2, 104);
    if (!ok) throw new CourseFailure('leader rejected Start()');
    if (index !== 4) throw new CourseFailure(`expected index 4, got ${index}`);

    await cfg.sleep(2 * ET);

    // check that command 104 did not commit.
    const [n] = cfg.nCommitted(index);
    if (n > 0) throw new CourseFailure(`${n} committed but no majority`);
    cfg.end();
  }),
);

courseTest('TestLeaderFailure2B', FILE, (seed) =>
  CourseConfig.run({ n: 3, unreliable: false, seed }, async (cfg) => {
    cfg.begin('Test (2B): test failure of leaders');
    await cfg.one(101, cfg.n, false);

    // disconnect the first leader.
    const leader1 = await cfg.checkOneLeader();
    cfg.disconnect(leader1);

    // the remaining followers should elect a new leader.
    await cfg.one(102, cfg.n - 1, false);
    await cfg.sleep(ET);
    await cfg.one(103, cfg.n - 1, false);

    // disconnect the new leader.
    const leader2 = await cfg.checkOneLeader();
    cfg.disconnect(leader2);

    // submit a command to each server.
    for (let i = 0; i < cfg.n; i++) cfg.start(i, 104);

    await cfg.sleep(2 * ET);

    // check that command 104 did not commit.
    const [n] = cfg.nCommitted(4);
    if (n > 0) throw new CourseFailure(`${n} committed but no majority`);
    cfg.end();
  }),
);

courseTest('TestFailAgree2B', FILE, (seed) =>
  CourseConfig.run({ n: 3, unreliable: false, seed }, async (cfg) => {
    cfg.begin('Test (2B): agreement after follower reconnects');
    await cfg.one(101, cfg.n, false);

    // disconnect one follower from the network.
    const leader = await cfg.checkOneLeader();
    cfg.disconnect((leader + 1) % cfg.n);

    // the leader and remaining follower should be able to agree despite the disconnected
    // follower.
    await cfg.one(102, cfg.n - 1, false);
    await cfg.one(103, cfg.n - 1, false);
    await cfg.sleep(ET);
    await cfg.one(104, cfg.n - 1, false);
    await cfg.one(105, cfg.n - 1, false);

    // re-connect
    cfg.connect((leader + 1) % cfg.n);

    // the full set of servers should preserve previous agreements, and be able to agree on
    // new commands.
    await cfg.one(106, cfg.n, true);
    await cfg.sleep(ET);
    await cfg.one(107, cfg.n, true);
    cfg.end();
  }),
);

courseTest('TestFailNoAgree2B', FILE, (seed) =>
  CourseConfig.run({ n: 5, unreliable: false, seed }, async (cfg) => {
    cfg.begin('Test (2B): no agreement if too many followers disconnect');
    const n = cfg.n;
    await cfg.one(10, n, false);

    // 3 of 5 followers disconnect
    const leader = await cfg.checkOneLeader();
    cfg.disconnect((leader + 1) % n);
    cfg.disconnect((leader + 2) % n);
    cfg.disconnect((leader + 3) % n);

    const [index, , ok] = cfg.start(leader, 20);
    if (!ok) throw new CourseFailure('leader rejected Start()');
    if (index !== 2) throw new CourseFailure(`expected index 2, got ${index}`);

    await cfg.sleep(2 * ET);

    const [count] = cfg.nCommitted(index);
    if (count > 0) throw new CourseFailure(`${count} committed but no majority`);

    // repair
    cfg.connect((leader + 1) % n);
    cfg.connect((leader + 2) % n);
    cfg.connect((leader + 3) % n);

    // the disconnected majority may have chosen a leader from among their own ranks,
    // forgetting index 2.
    const leader2 = await cfg.checkOneLeader();
    const [index2, , ok2] = cfg.start(leader2, 30);
    if (!ok2) throw new CourseFailure('leader2 rejected Start()');
    if (index2 < 2 || index2 > 3) throw new CourseFailure(`unexpected index ${index2}`);

    await cfg.one(1000, n, true);
    cfg.end();
  }),
);

courseTest('TestConcurrentStarts2B', FILE, (seed) =>
  CourseConfig.run({ n: 3, unreliable: false, seed }, async (cfg) => {
    cfg.begin('Test (2B): concurrent Start()s');
    let success = false;
    attempts: for (let attempt = 0; attempt < 5; attempt++) {
      // give the solution some time to settle
      if (attempt > 0) await cfg.sleep(3000);

      const leader = await cfg.checkOneLeader();
      const [, term, ok] = cfg.start(leader, 1);
      if (!ok) continue; // leader moved on really quickly

      const iters = 5;
      const indexes = await Promise.all(
        Array.from({ length: iters }, async (_, i) => {
          const [i1, term1, ok1] = cfg.start(leader, 100 + i);
          return term1 === term && ok1 ? i1 : undefined;
        }),
      );

      for (let j = 0; j < cfg.n; j++) {
        // term changed -- can't expect low RPC counts
        if (cfg.getState(j)[0] !== term) continue attempts;
      }

      const cmds: unknown[] = [];
      for (const index of indexes) {
        if (index === undefined) continue;
        const cmd = await cfg.wait(index, cfg.n, term);
        if (cmd === -1) continue attempts; // peers have moved on to later terms
        if (typeof cmd !== 'number') throw new CourseFailure(`value ${String(cmd)} is not an int`);
        cmds.push(cmd);
      }

      for (let ii = 0; ii < iters; ii++) {
        const x = 100 + ii;
        if (!cmds.includes(x)) throw new CourseFailure(`cmd ${x} missing in ${JSON.stringify(cmds)}`);
      }
      success = true;
      break;
    }
    if (!success) throw new CourseFailure('term changed too often');
    cfg.end();
  }),
);

courseTest('TestRejoin2B', FILE, (seed) =>
  CourseConfig.run({ n: 3, unreliable: false, seed }, async (cfg) => {
    cfg.begin('Test (2B): rejoin of partitioned leader');
    await cfg.one(101, cfg.n, true);

    // leader network failure
    const leader1 = await cfg.checkOneLeader();
    cfg.disconnect(leader1);

    // make old leader try to agree on some entries
    cfg.start(leader1, 102);
    cfg.start(leader1, 103);
    cfg.start(leader1, 104);

    // new leader commits, also for index=2
    await cfg.one(103, 2, true);

    // new leader network failure
    const leader2 = await cfg.checkOneLeader();
    cfg.disconnect(leader2);

    // old leader connected again
    cfg.connect(leader1);

    await cfg.one(104, 2, true);

    // all together now
    cfg.connect(leader2);

    await cfg.one(105, cfg.n, true);
    cfg.end();
  }),
);

courseTest('TestBackup2B', FILE, (seed) =>
  CourseConfig.run({ n: 5, unreliable: false, seed }, async (cfg) => {
    cfg.begin('Test (2B): leader backs up quickly over incorrect follower logs');
    const n = cfg.n;
    const rand = () => cfg.rand.int(2 ** 31 - 1);

    await cfg.one(rand(), n, true);

    // put leader and one follower in a partition
    const leader1 = await cfg.checkOneLeader();
    cfg.disconnect((leader1 + 2) % n);
    cfg.disconnect((leader1 + 3) % n);
    cfg.disconnect((leader1 + 4) % n);

    // submit lots of commands that won't commit
    for (let i = 0; i < 50; i++) cfg.start(leader1, rand());

    await cfg.sleep(ET / 2);

    cfg.disconnect((leader1 + 0) % n);
    cfg.disconnect((leader1 + 1) % n);

    // allow other partition to recover
    cfg.connect((leader1 + 2) % n);
    cfg.connect((leader1 + 3) % n);
    cfg.connect((leader1 + 4) % n);

    // lots of successful commands to new group.
    for (let i = 0; i < 50; i++) await cfg.one(rand(), 3, true);

    // now another partitioned leader and one follower
    const leader2 = await cfg.checkOneLeader();
    let other = (leader1 + 2) % n;
    if (leader2 === other) other = (leader2 + 1) % n;
    cfg.disconnect(other);

    // lots more commands that won't commit
    for (let i = 0; i < 50; i++) cfg.start(leader2, rand());

    await cfg.sleep(ET / 2);

    // bring original leader back to life,
    for (let i = 0; i < n; i++) cfg.disconnect(i);
    cfg.connect((leader1 + 0) % n);
    cfg.connect((leader1 + 1) % n);
    cfg.connect(other);

    // lots of successful commands to new group.
    for (let i = 0; i < 50; i++) await cfg.one(rand(), 3, true);

    // now everyone
    for (let i = 0; i < n; i++) cfg.connect(i);
    await cfg.one(rand(), n, true);
    cfg.end();
  }),
);

courseTest('TestCount2B', FILE, (seed) =>
  CourseConfig.run({ n: 3, unreliable: false, seed }, async (cfg) => {
    cfg.begin("Test (2B): RPC counts aren't too high");

    await cfg.checkOneLeader();
    let total1 = cfg.rpcTotal();
    if (total1 > 30 || total1 < 1) {
      throw new CourseFailure(`too many or few RPCs (${total1}) to elect initial leader`);
    }
    recordFigure(`TestCount2B seed=${seed}: election ${total1} RPCs (bound 30)`);

    let total2 = 0;
    let success = false;
    loop: for (let attempt = 0; attempt < 5; attempt++) {
      if (attempt > 0) await cfg.sleep(3000); // give the solution some time to settle

      const leader = await cfg.checkOneLeader();
      total1 = cfg.rpcTotal();

      const iters = 10;
      const [starti, term, ok] = cfg.start(leader, 1);
      if (!ok) continue; // leader moved on really quickly
      const cmds: number[] = [];
      for (let i = 1; i < iters + 2; i++) {
        const x = cfg.rand.int(2 ** 31 - 1);
        cmds.push(x);
        const [index1, term1, ok1] = cfg.start(leader, x);
        if (term1 !== term) continue loop; // Term changed while starting
        if (!ok1) continue loop; // No longer the leader, so term has changed
        if (starti + i !== index1) throw new CourseFailure('Start() failed');
      }

      for (let i = 1; i < iters + 1; i++) {
        const cmd = await cfg.wait(starti + i, cfg.n, term);
        if (cmd !== cmds[i - 1]) {
          if (cmd === -1) continue loop; // term changed -- try again
          throw new CourseFailure(
            `wrong value ${String(cmd)} committed for index ${starti + i}; expected ${JSON.stringify(cmds)}`,
          );
        }
      }

      let failed = false;
      total2 = 0;
      for (let j = 0; j < cfg.n; j++) {
        if (cfg.getState(j)[0] !== term) failed = true; // term changed -- can't expect low RPC counts
        total2 += cfg.cluster.network.rpcCount(String(j));
      }
      if (failed) continue loop;

      if (total2 - total1 > (iters + 1 + 3) * 3) {
        throw new CourseFailure(`too many RPCs (${total2 - total1}) for ${iters} entries`);
      }
      recordFigure(
        `TestCount2B seed=${seed}: agreement ${total2 - total1} RPCs (bound ${(iters + 1 + 3) * 3})`,
      );
      success = true;
      break;
    }
    if (!success) throw new CourseFailure('term changed too often');

    await cfg.sleep(ET);

    const total3 = cfg.rpcTotal();
    if (total3 - total2 > 3 * 20) {
      throw new CourseFailure(`too many RPCs (${total3 - total2}) for 1 second of idleness`);
    }
    recordFigure(`TestCount2B seed=${seed}: idle second ${total3 - total2} RPCs (bound 60)`);
    cfg.end();
  }),
);

/** The course's randstring(n): random base64 characters. */
function randomString(cfg: CourseConfig, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[cfg.rand.int(alphabet.length - 1)];
  return s;
}

/** Measured figures (RPC counts and bytes against their bounds), printed with RAFT_VERBOSE=1. */
function recordFigure(line: string): void {
  if (process.env.RAFT_VERBOSE) console.log(line);
}
