/**
 * The course's special 3B tests (maxraftstate 1000): a lagging server caught up by
 * InstallSnapshot, the snapshot's size, and the speed test with snapshots.
 */
import { genericTestSpeed } from './generic-test.js';
import { KvConfig } from './kv-config.js';
import { check, put } from './kv-ops.js';
import { ELECTION_TIMEOUT_MS } from './kv-timing.js';
import { KvraftFailure } from './kvraft-failure.js';
import { kvraftTest } from './kvraft-test.js';

const FILE = 'snapshots-3b';

function checkLogTrimmed(cfg: KvConfig, maxraftstate: number): void {
  const sz = cfg.logSize();
  if (sz > 8 * maxraftstate) throw new KvraftFailure(`logs were not trimmed (${sz} > 8*${maxraftstate})`);
}

kvraftTest('TestSnapshotRPC3B', FILE, (seed) => {
  const maxraftstate = 1000;
  return KvConfig.run({ n: 3, unreliable: false, maxraftstate, seed }, async (cfg) => {
    const ck = cfg.makeClient(cfg.all());
    cfg.begin('Test: InstallSnapshot RPC (3B)');
    await put(cfg, ck, 'a', 'A', null, -1);
    await check(cfg, ck, 'a', 'A');

    // A bunch of puts into the majority partition.
    cfg.partition([0, 1], [2]);
    {
      const ck1 = cfg.makeClient([0, 1]);
      for (let i = 0; i < 50; i++) await put(cfg, ck1, String(i), String(i), null, -1);
      await cfg.sleep(ELECTION_TIMEOUT_MS);
      await put(cfg, ck1, 'b', 'B', null, -1);
    }

    // The majority has thrown away most of its log.
    checkLogTrimmed(cfg, maxraftstate);

    // Now a group that needs the lagging server, which must catch up.
    cfg.partition([0, 2], [1]);
    {
      const ck1 = cfg.makeClient([0, 2]);
      await put(cfg, ck1, 'c', 'C', null, -1);
      await put(cfg, ck1, 'd', 'D', null, -1);
      await check(cfg, ck1, 'a', 'A');
      await check(cfg, ck1, 'b', 'B');
      await check(cfg, ck1, '1', '1');
      await check(cfg, ck1, '49', '49');
    }

    // Now everybody.
    cfg.partition([0, 1, 2], []);
    await put(cfg, ck, 'e', 'E', null, -1);
    await check(cfg, ck, 'c', 'C');
    await check(cfg, ck, 'e', 'E');
    await check(cfg, ck, '1', '1');
    cfg.end();
  });
});

kvraftTest('TestSnapshotSize3B', FILE, (seed) => {
  const maxraftstate = 1000;
  const maxsnapshotstate = 500;
  return KvConfig.run({ n: 3, unreliable: false, maxraftstate, seed }, async (cfg) => {
    const ck = cfg.makeClient(cfg.all());
    cfg.begin('Test: snapshot size is reasonable (3B)');
    for (let i = 0; i < 200; i++) {
      await put(cfg, ck, 'x', '0', null, -1);
      await check(cfg, ck, 'x', '0');
      await put(cfg, ck, 'x', '1', null, -1);
      await check(cfg, ck, 'x', '1');
    }

    // The servers have thrown away most of their log entries...
    checkLogTrimmed(cfg, maxraftstate);
    // ...and their snapshots hold the state only (the map and the session table), not history.
    const ssz = cfg.snapshotSize();
    if (ssz > maxsnapshotstate) throw new KvraftFailure(`snapshot too large (${ssz} > ${maxsnapshotstate})`);
    if (process.env.RAFT_VERBOSE) {
      console.log(
        `TestSnapshotSize3B: LogSize ${cfg.logSize()}, SnapshotSize ${ssz}, ${cfg.snapshotsTaken()} snapshots`,
      );
    }
    cfg.end();
  });
});

kvraftTest('TestSpeed3B', FILE, (seed) => genericTestSpeed(seed, '3B', 1000));
