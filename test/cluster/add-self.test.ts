/**
 * `raftchart node --join --add-self` across real processes on 127.0.0.1: a fourth node
 * started against a live 3-node cluster under a steady write load has itself added as a
 * learner and promoted once caught up, with no admin call from outside; nothing
 * acknowledged is lost and the new voter holds every write. Outcomes only: waits poll.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessCluster } from './process-cluster.js';
import { finishLoad, until, writeLoad } from './write-load.js';

let cluster: ProcessCluster | undefined;
afterEach(async () => {
  await cluster?.destroy();
  cluster = undefined;
});

interface Config {
  readonly voters: string[];
  readonly learners: string[];
}

describe('raftchart node --join --add-self', () => {
  it('a fourth node adds itself under load: a learner, then a voter once caught up; nothing lost', async () => {
    const c = (cluster = await ProcessCluster.create(3));
    await c.waitForLeader();
    const load = writeLoad(c);
    await until('some writes', async () => (load.acknowledged.length >= 20 ? true : undefined));
    const joined = await c.join(['--add-self']);
    const config = await until(
      `${joined} to be a voter`,
      async () => {
        const members = (await c.admin('GET', '/admin/members')) as Config;
        return members.voters.includes(joined) ? members : undefined;
      },
      90_000,
    );
    expect(config.voters.sort()).toEqual(['n1', 'n2', 'n3', joined].sort());
    expect(config.learners).toEqual([]);
    // It went through the learner step, as its log says.
    await c.waitForOutput(joined, /caught up with the leader: asking the cluster to promote this node/);
    await c.waitForOutput(joined, /this node is a voter of the cluster/);
    // Every running node, the new one included, applied the same writes; read back
    // linearizably through the new node, every acknowledged write is there.
    const applied = await finishLoad(c, load, 'with four voters', joined);
    expect((await c.applied(joined)).length).toBe(applied.length);
  });
});
