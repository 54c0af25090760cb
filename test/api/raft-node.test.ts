/** The embedding API over simulated providers: proposals, errors, snapshots, restarts. */
import { afterEach, describe, expect, it } from 'vitest';
import type { StateMachine } from '../../src/api/state-machine.js';
import type { RaftNode } from '../../src/api/raft-node.js';
import { createRaftNode } from '../../src/api/raft-node.js';
import { NodeStoppedError, NotLeaderError, ProposalTimeoutError } from '../../src/errors.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import { SimClock } from '../../src/sim/sim-clock.js';
import { SimNetwork } from '../../src/sim/sim-network.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';

/** A list of every command applied: the result of apply is the list's length. */
class CommandList implements StateMachine<string, number> {
  items: string[] = [];
  restored = 0;
  apply(command: string): number {
    this.items.push(command);
    return this.items.length;
  }
  snapshot(): string {
    return JSON.stringify(this.items);
  }
  restore(snapshot: string): void {
    this.items = JSON.parse(snapshot) as string[];
    this.restored++;
  }
}

const IDS = ['a', 'b', 'c'];
const TIMING = { heartbeatIntervalMs: 50, electionTimeoutMinMs: 300, electionTimeoutMaxMs: 600 };

function cluster(options: { snapshotEvery?: number } = {}) {
  const clock = new SimClock();
  const network = new SimNetwork(clock, new SeededRandom(1, 'network'));
  const storages = new Map(IDS.map((id) => [id, new MemoryStorage()]));
  const machines = new Map<string, CommandList>();
  const nodes = new Map<string, RaftNode<string, number>>();
  const start = async (id: string, storage = storages.get(id)!) => {
    const endpoint = network.attach(id);
    network.addServer(endpoint);
    const machine = new CommandList();
    machines.set(id, machine);
    const node = createRaftNode<string, number>({
      id,
      peers: IDS.filter((peer) => peer !== id),
      transport: endpoint,
      storage,
      stateMachine: machine,
      timing: TIMING,
      clock,
      random: new SeededRandom(1, `timers:${id}:${nodes.size}`),
      proposalTimeoutMs: 2_000,
      ...(options.snapshotEvery === undefined ? {} : { snapshotEvery: options.snapshotEvery }),
    });
    nodes.set(id, node);
    await node.start();
    for (const other of IDS) {
      network.setLink(id, other, true);
      network.setLink(other, id, true);
    }
    return node;
  };
  const leader = () => [...nodes.values()].find((n) => n.status().role === 'leader')!;
  /** Starts every node, lets an election happen on virtual time, and runs `body` with the leader. */
  const withLeader = async (body: (leader: RaftNode<string, number>) => Promise<void>) => {
    for (const id of IDS) await start(id);
    await clock.run(async () => {
      await clock.sleep(1_000);
      await body(leader());
    });
  };
  return { clock, network, storages, machines, nodes, start, leader, withLeader };
}

let running: ReturnType<typeof cluster> | undefined;
afterEach(async () => {
  for (const node of running?.nodes.values() ?? []) await node.stop();
  running = undefined;
});

describe('createRaftNode', () => {
  it('resolves a proposal with its index, term and result once applied here; every node applies it', async () => {
    const c = (running = cluster());
    await c.withLeader(async (leader) => {
      const first = await leader.propose('x');
      const second = await leader.propose('y');
      // Index 1 is the new leader's no-op entry; the application never sees it.
      expect(first).toEqual({ index: 2, term: leader.status().term, result: 1 });
      expect(second.result).toBe(2);
      await c.clock.sleep(200);
    });
    for (const id of IDS) expect(c.machines.get(id)!.items).toEqual(['x', 'y']);
  });

  it('rejects a proposal to a follower with NotLeaderError naming the leader', async () => {
    const c = (running = cluster());
    await c.withLeader(async (leader) => {
      const follower = [...c.nodes.values()].find((n) => n !== leader)!;
      const error = await follower.propose('x').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotLeaderError);
      expect(error).toMatchObject({ leaderHint: leader.id });
      expect((error as Error).message).toMatch(`send the proposal to node ${leader.id}`);
    });
  });

  it('times out a proposal a leader cut off from its followers cannot commit', async () => {
    const c = (running = cluster());
    await c.withLeader(async (leader) => {
      for (const other of IDS) {
        c.network.setLink(leader.id, other, false);
        c.network.setLink(other, leader.id, false);
      }
      const error = await leader.propose('lost').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProposalTimeoutError);
      expect((error as Error).message).toMatch(/not applied within 2000 ms; it may still commit/);
    });
  });

  it('fails pending proposals when stopped, and refuses new ones', async () => {
    const c = (running = cluster());
    await c.withLeader(async (leader) => {
      const pending = leader.propose('x').catch((e: unknown) => e);
      await leader.stop();
      expect(await pending).toBeInstanceOf(NodeStoppedError);
      await expect(leader.propose('y')).rejects.toBeInstanceOf(NodeStoppedError);
    });
  });

  it('snapshots the state machine every N entries, and a restarted node restores, then applies the rest', async () => {
    const c = (running = cluster({ snapshotEvery: 5 }));
    let follower = '';
    await c.withLeader(async (leader) => {
      for (let i = 0; i < 12; i++) await leader.propose(`c${i}`);
      await c.clock.sleep(200);
      follower = IDS.find((id) => id !== leader.id)!;
      expect(c.storages.get(follower)!.raftStateSize).toBeLessThan(60);
      await c.nodes.get(follower)!.stop();
      const saved = c.storages.get(follower)!.crash();
      expect(saved.snapshot?.index).toBe(10);
      await c.start(follower, new MemoryStorage(saved));
      await leader.propose('after');
      await c.clock.sleep(500);
    });
    const restarted = c.machines.get(follower)!;
    expect(restarted.restored).toBe(1);
    expect(restarted.items).toEqual([...Array.from({ length: 12 }, (_, i) => `c${i}`), 'after']);
  });
});
