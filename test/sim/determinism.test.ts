/** Same seed, same run: the whole trace of a faulty cluster is a function of its seed. */
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import { SimCluster } from '../../src/sim/sim-cluster.js';

async function trace(seed: number): Promise<string[]> {
  const cluster = new SimCluster({ seed, size: 5, unreliable: true });
  const events: string[] = [];
  cluster.on('role', (c) => events.push(`${c.at} ${c.id} ${c.role} ${c.term}`));
  const chaos = new SeededRandom(seed, 'tester');
  await cluster.startAll();
  try {
    await cluster.run(async () => {
      for (let round = 0; round < 20; round++) {
        const victim = chaos.pick(cluster.ids);
        if (chaos.chance(1, 3)) {
          cluster.crash(victim);
          await cluster.clock.sleep(chaos.int(1000));
          await cluster.start(victim);
          cluster.connect(victim);
        } else {
          cluster.disconnect(victim);
          await cluster.clock.sleep(chaos.int(1000));
          cluster.connect(victim);
        }
        await cluster.clock.sleep(chaos.int(2000));
      }
    });
  } finally {
    cluster.stopAll();
  }
  events.push(
    `count=${cluster.network.totalCount} bytes=${cluster.network.totalBytes} t=${cluster.clock.now()}`,
  );
  return events;
}

describe('determinism', () => {
  it('replays the same run, event for event, from the same seed', async () => {
    const first = await trace(42);
    const second = await trace(42);
    expect(first.length).toBeGreaterThan(20);
    expect(second).toEqual(first);
  });

  it('runs differently from another seed', async () => {
    expect(await trace(43)).not.toEqual(await trace(42));
  });
});
