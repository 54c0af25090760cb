/**
 * The course's 2D tests (log compaction), step for step, on virtual time, with the
 * snapshotting applier: Snapshot(index) after indices 9, 19, 29, ...
 */
import { CourseConfig, CourseFailure, SNAPSHOT_INTERVAL } from './course-config.js';
import { courseTest } from './seeds.js';

const FILE = 'snapshots';
/** The persisted Raft state of every server must stay below this (bytes). */
const MAXLOGSIZE = 2000;

/** Go's rand.Int(), kept within 31 bits so commands compare exactly as JS numbers. */
const randInt = (cfg: CourseConfig) => cfg.rand.int(2 ** 31 - 1);

async function snapcommon(
  cfg: CourseConfig,
  name: string,
  disconnect: boolean,
  crash: boolean,
): Promise<void> {
  const iters = 30;
  const servers = cfg.n;
  cfg.begin(name);

  await cfg.one(randInt(cfg), servers, true);
  let leader1 = await cfg.checkOneLeader();
  let largestLog = 0;

  for (let i = 0; i < iters; i++) {
    let victim = (leader1 + 1) % servers;
    let sender = leader1;
    if (i % 3 === 1) {
      sender = (leader1 + 1) % servers;
      victim = leader1;
    }

    if (disconnect) {
      cfg.disconnect(victim);
      await cfg.one(randInt(cfg), servers - 1, true);
    }
    if (crash) {
      cfg.crash1(victim);
      await cfg.one(randInt(cfg), servers - 1, true);
    }

    // perhaps send enough to get a snapshot
    const nn = SNAPSHOT_INTERVAL / 2 + cfg.randInt(SNAPSHOT_INTERVAL);
    for (let j = 0; j < nn; j++) cfg.start(sender, randInt(cfg));

    // let applier threads catch up with the Start()'s
    if (!disconnect && !crash) {
      // make sure all followers have caught up, so that an InstallSnapshot RPC isn't
      // required for TestSnapshotBasic2D().
      await cfg.one(randInt(cfg), servers, true);
    } else {
      await cfg.one(randInt(cfg), servers - 1, true);
    }

    if (cfg.logSize() >= MAXLOGSIZE) throw new CourseFailure(`Log size too large: ${cfg.logSize()}`);
    largestLog = Math.max(largestLog, cfg.logSize());

    if (disconnect) {
      // reconnect a follower, who maybe behind and needs to receive a snapshot to catch up.
      cfg.connect(victim);
      await cfg.one(randInt(cfg), servers, true);
      leader1 = await cfg.checkOneLeader();
    }
    if (crash) {
      await cfg.start1(victim);
      cfg.connect(victim);
      await cfg.one(randInt(cfg), servers, true);
      leader1 = await cfg.checkOneLeader();
    }
  }
  if (process.env.RAFT_VERBOSE)
    console.log(`${name}: largest LogSize ${largestLog} bytes (bound ${MAXLOGSIZE})`);
  cfg.end();
}

courseTest('TestSnapshotBasic2D', FILE, (seed) =>
  CourseConfig.run({ n: 3, unreliable: false, snapshot: true, seed }, (cfg) =>
    snapcommon(cfg, 'Test (2D): snapshots basic', false, false),
  ),
);

courseTest('TestSnapshotInstall2D', FILE, (seed) =>
  CourseConfig.run({ n: 3, unreliable: false, snapshot: true, seed }, (cfg) =>
    snapcommon(cfg, 'Test (2D): install snapshots (disconnect)', true, false),
  ),
);

courseTest('TestSnapshotInstallUnreliable2D', FILE, (seed) =>
  CourseConfig.run({ n: 3, unreliable: true, snapshot: true, seed }, (cfg) =>
    snapcommon(cfg, 'Test (2D): install snapshots (disconnect+unreliable)', true, false),
  ),
);

courseTest('TestSnapshotInstallCrash2D', FILE, (seed) =>
  CourseConfig.run({ n: 3, unreliable: false, snapshot: true, seed }, (cfg) =>
    snapcommon(cfg, 'Test (2D): install snapshots (crash)', false, true),
  ),
);

courseTest('TestSnapshotInstallUnCrash2D', FILE, (seed) =>
  CourseConfig.run({ n: 3, unreliable: true, snapshot: true, seed }, (cfg) =>
    snapcommon(cfg, 'Test (2D): install snapshots (unreliable+crash)', false, true),
  ),
);

courseTest('TestSnapshotAllCrash2D', FILE, (seed) =>
  CourseConfig.run({ n: 3, unreliable: false, snapshot: true, seed }, async (cfg) => {
    const servers = cfg.n;
    const iters = 5;
    cfg.begin('Test (2D): crash and restart all servers');

    await cfg.one(randInt(cfg), servers, true);

    for (let i = 0; i < iters; i++) {
      // perhaps enough to get a snapshot
      const nn = SNAPSHOT_INTERVAL / 2 + cfg.randInt(SNAPSHOT_INTERVAL);
      for (let j = 0; j < nn; j++) await cfg.one(randInt(cfg), servers, true);

      const index1 = await cfg.one(randInt(cfg), servers, true);

      // crash all
      for (let j = 0; j < servers; j++) cfg.crash1(j);

      // revive all
      for (let j = 0; j < servers; j++) {
        await cfg.start1(j);
        cfg.connect(j);
      }

      const index2 = await cfg.one(randInt(cfg), servers, true);
      if (index2 < index1 + 1) throw new CourseFailure(`index decreased from ${index1} to ${index2}`);
    }
    cfg.end();
  }),
);

courseTest('TestSnapshotInit2D', FILE, (seed) =>
  CourseConfig.run({ n: 3, unreliable: false, snapshot: true, seed }, async (cfg) => {
    const servers = cfg.n;
    cfg.begin('Test (2D): snapshot initialization after crash');
    await cfg.one(randInt(cfg), servers, true);

    // enough ops to make a snapshot
    const nn = SNAPSHOT_INTERVAL + 1;
    for (let i = 0; i < nn; i++) await cfg.one(randInt(cfg), servers, true);

    // crash all
    for (let i = 0; i < servers; i++) cfg.crash1(i);

    // revive all
    for (let i = 0; i < servers; i++) {
      await cfg.start1(i);
      cfg.connect(i);
    }

    // a single op, to get something to be written back to persistent storage.
    await cfg.one(randInt(cfg), servers, true);

    // crash all
    for (let i = 0; i < servers; i++) cfg.crash1(i);

    // revive all
    for (let i = 0; i < servers; i++) {
      await cfg.start1(i);
      cfg.connect(i);
    }

    // do another op to trigger potential bug
    await cfg.one(randInt(cfg), servers, true);
    cfg.end();
  }),
);
