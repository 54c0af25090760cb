/**
 * The course's two special 3A tests: concurrent appends to one key on an unreliable
 * network, and a partition in which the minority makes no progress and completes after
 * the heal.
 */
import { checkConcurrentAppends } from './append-checks.js';
import { KvConfig } from './kv-config.js';
import { append, check, get, put } from './kv-ops.js';
import { ELECTION_TIMEOUT_MS } from './kv-timing.js';
import { KvraftFailure } from './kvraft-failure.js';
import { kvraftTest } from './kvraft-test.js';

const FILE = 'one-key-and-partition-3a';

kvraftTest('TestUnreliableOneKey3A', FILE, (seed) =>
  KvConfig.run({ n: 3, unreliable: true, maxraftstate: -1, seed }, async (cfg) => {
    const ck = cfg.makeClient(cfg.all());
    cfg.begin('Test: concurrent append to same key, unreliable (3A)');
    await put(cfg, ck, 'k', '', null, -1);

    const nclient = 5;
    const upto = 10;
    await Promise.all(
      Array.from({ length: nclient }, async (_, me) => {
        const myck = cfg.makeClient(cfg.all());
        for (let n = 0; n < upto; n++) await append(cfg, myck, 'k', `x ${me} ${n} y`, null, -1);
      }),
    );

    const counts = Array.from({ length: nclient }, () => upto);
    const vx = await get(cfg, ck, 'k', null, -1);
    checkConcurrentAppends(vx, counts);
    cfg.end();
  }),
);

kvraftTest('TestOnePartition3A', FILE, (seed) =>
  KvConfig.run({ n: 5, unreliable: false, maxraftstate: -1, seed }, async (cfg) => {
    const ck = cfg.makeClient(cfg.all());
    await put(cfg, ck, '1', '13', null, -1);

    cfg.begin('Test: progress in majority (3A)');
    const [p1, p2] = cfg.makePartition();
    cfg.partition(p1, p2);
    const ckp1 = cfg.makeClient(p1); // connect ckp1 to p1
    const ckp2a = cfg.makeClient(p2); // connect ckp2a to p2
    const ckp2b = cfg.makeClient(p2); // connect ckp2b to p2
    await put(cfg, ckp1, '1', '14', null, -1);
    await check(cfg, ckp1, '1', '14');
    cfg.end();

    cfg.begin('Test: no progress in minority (3A)');
    const done0 = put(cfg, ckp2a, '1', '15', null, -1).then(() => 'put' as const);
    const done1 = get(cfg, ckp2b, '1', null, -1).then(() => 'get' as const); // a different clerk in p2
    // A failure of either, even after the test moved on, fails the test.
    for (const done of [done0, done1]) done.catch((error: unknown) => cfg.cluster.clock.fail(error));
    const first = await Promise.race([done0, done1, cfg.sleep(1000).then(() => 'timeout' as const)]);
    if (first === 'put') throw new KvraftFailure('Put in minority completed');
    if (first === 'get') throw new KvraftFailure('Get in minority completed');
    await check(cfg, ckp1, '1', '14');
    await put(cfg, ckp1, '1', '16', null, -1);
    await check(cfg, ckp1, '1', '16');
    cfg.end();

    cfg.begin('Test: completion after heal (3A)');
    cfg.connectAll();
    cfg.connectClient(ckp2a, cfg.all());
    cfg.connectClient(ckp2b, cfg.all());
    await cfg.sleep(ELECTION_TIMEOUT_MS);
    // The Put must complete within 3 s more; the course only peeks at the Get, never waits for it.
    const healed = await Promise.race([done0, cfg.sleep(30 * 100).then(() => 'timeout' as const)]);
    if (healed !== 'put') throw new KvraftFailure('Put did not complete');
    await check(cfg, ck, '1', '15');
    cfg.end();
  }),
);
