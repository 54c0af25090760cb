/** The embedding API over simulated providers: proposals, errors, snapshots, restarts. */
import { afterEach, describe, expect, it } from 'vitest';
import type { StateMachine } from '../../src/api/state-machine.js';
import type { RaftNode, RaftNodeOptions } from '../../src/api/raft-node.js';
import { checkJsonValue } from '../../machines/index.js';
import { createRaftNode } from '../../src/api/create-raft-node.js';
import {
  ConfigError,
  InvalidCommandError,
  NodeFailedError,
  NodeStoppedError,
  NotLeaderError,
  ProposalTimeoutError,
} from '../../src/errors.js';
import type { PersistedState } from '../../src/node/providers.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import { SimClock } from '../../src/sim/sim-clock.js';
import { SimNetwork } from '../../src/sim/sim-network.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { FailingStorage, enospc } from '../support/failing-storage.js';

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

/** An array nested `depth` levels deep, built without recursion. */
function nested(depth: number): unknown {
  let value: unknown = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
}

function cluster(
  options: {
    snapshotEvery?: number;
    maxCommandDepth?: number;
    maxCommandBytes?: number;
    replication?: RaftNodeOptions<string, number>['replication'];
  } = {},
) {
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
      ...(options.maxCommandDepth === undefined ? {} : { maxCommandDepth: options.maxCommandDepth }),
      ...(options.maxCommandBytes === undefined ? {} : { maxCommandBytes: options.maxCommandBytes }),
      ...(options.replication === undefined ? {} : { replication: options.replication }),
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

  it('proposals of one turn share one Propose: one log edit, one AppendEntries per follower, an index each', async () => {
    const c = (running = cluster());
    await c.withLeader(async (leader) => {
      const edits: number[] = [];
      const appends: number[] = [];
      leader.on('logWritten', (edit) => edits.push(edit.entries.length));
      leader.on('sent', (m) => {
        if (m.type === 'AppendEntries' && m.entries.length > 0) appends.push(m.entries.length);
      });
      const proposeEvents: number[] = [];
      leader.on('step', ({ event }) => {
        if (event.type === 'Propose')
          proposeEvents.push((event as unknown as { commands: unknown[] }).commands.length);
      });
      const results = await Promise.all(['p', 'q', 'r', 's'].map((command) => leader.propose(command)));
      expect(results.map((r) => r.index)).toEqual([2, 3, 4, 5]);
      expect(results.map((r) => r.result)).toEqual([1, 2, 3, 4]);
      expect(proposeEvents).toEqual([4]);
      expect(edits).toEqual([4]);
      expect(appends).toEqual([4, 4]);
      await c.clock.sleep(200);
    });
    for (const id of IDS) expect(c.machines.get(id)!.items).toEqual(['p', 'q', 'r', 's']);
  });

  it('the replication window is an option: at most maxEntriesPerMessage entries go per AppendEntries', async () => {
    const c = (running = cluster({ replication: { maxEntriesPerMessage: 2 } }));
    await c.withLeader(async (leader) => {
      const appends: number[] = [];
      leader.on('sent', (m) => {
        if (m.type === 'AppendEntries' && m.entries.length > 0) appends.push(m.entries.length);
      });
      await Promise.all(['p', 'q', 'r', 's', 't'].map((command) => leader.propose(command)));
      expect(appends.toSorted()).toEqual([1, 1, 2, 2, 2, 2]);
    });
  });

  it('refuses a replication bound that is not a positive integer, or not a bound, when it starts', async () => {
    const c = cluster();
    const options = { id: 'a', peers: ['b'], transport: c.network.attach('a'), storage: new MemoryStorage() };
    const stateMachine = new CommandList();
    for (const [replication, problem] of [
      [{ maxInflightEntries: 0 }, /replication.maxInflightEntries must be a positive integer, got 0/],
      [{ maxBytesPerMessage: 1.5 }, /replication.maxBytesPerMessage must be a positive integer/],
      [{ window: 3 }, /replication.window is not a replication bound: use maxEntriesPerMessage/],
    ] as const) {
      const node = createRaftNode({ ...options, stateMachine, replication: replication as never });
      await expect(node.start()).rejects.toThrow(problem);
    }
  });

  it('builds steps only while someone listens: a late listener gets them, with transitions, until it leaves', async () => {
    const c = (running = cluster());
    await c.withLeader(async (leader) => {
      const seen: string[][] = [];
      const listener = (step: { transitions: readonly string[] }) => seen.push([...step.transitions]);
      leader.on('step', listener);
      await leader.propose('x');
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.flat()).toContainEqual(expect.stringMatching(/^leader: Propose/));
      leader.off('step', listener);
      const before = seen.length;
      await leader.propose('y');
      expect(seen.length).toBe(before);
    });
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
      // The snapshot's data and meta (its configuration included), and the hardState.
      expect(c.storages.get(follower)!.stateBytes).toBeLessThan(120);
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

describe('commands a node cannot store or send are refused at the door', () => {
  it.each([
    ['null (the no-op marker)', null, /the command is null/],
    ['nested 20,000 levels deep', nested(20_000), /nested more than 100 levels deep \(maxCommandDepth\)/],
    ['over maxCommandBytes', 'x'.repeat(1 << 20), /is over 1048576 bytes as JSON \(maxCommandBytes\)/],
    ['holding undefined', { a: undefined }, /the command at \.a is undefined, not a JSON value/],
    ['a class instance', { at: new Date(0) }, /the command at \.at is not a plain object/],
    ['holding NaN', [1, Number.NaN], /the command at \[1\] is NaN, which JSON cannot hold/],
    ['a bigint', 1n, /the command is a bigint, not a JSON value/],
  ])('%s: InvalidCommandError, and nothing reaches the log', async (_, command, message) => {
    const c = (running = cluster());
    await c.withLeader(async (leader) => {
      const before = leader.status().lastLogIndex;
      const error = await leader.propose(command as string).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidCommandError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toMatch(/nothing was proposed$/);
      expect(leader.status().lastLogIndex).toBe(before);
      // The leader goes on serving.
      expect((await leader.propose('after')).result).toBe(1);
    });
  });

  it('takes a command exactly at the limits, and the limits are options', async () => {
    const c = (running = cluster({ maxCommandDepth: 3, maxCommandBytes: 12 }));
    await c.withLeader(async (leader) => {
      await expect(leader.propose(nested(3) as string)).resolves.toMatchObject({ result: 1 });
      await expect(leader.propose(nested(4) as string)).rejects.toThrow(/more than 3 levels/);
      await expect(leader.propose('0123456789')).resolves.toMatchObject({ result: 2 }); // 12 bytes quoted
      await expect(leader.propose('01234567890')).rejects.toThrow(/over 12 bytes/);
    });
  });

  it('refuses limits that are not positive integers', () => {
    const options = {
      id: 'a',
      peers: [],
      transport: null!,
      storage: new MemoryStorage(),
      stateMachine: null!,
    };
    expect(() => createRaftNode({ ...options, maxCommandDepth: 0 })).toThrow(ConfigError);
    expect(() => createRaftNode({ ...options, maxCommandBytes: 1.5 })).toThrow(
      /maxCommandBytes must be a positive integer/,
    );
  });

  it('an entry nested 200,000 deep already in the logs (an older version took it) replicates, applies and restarts', async () => {
    const deep = nested(200_000);
    const seeded: PersistedState = {
      hardState: { currentTerm: 1, votedFor: null },
      entries: [{ term: 1, command: deep }],
    };
    const c = (running = cluster());
    // Two of three hold it, so any leader has it; the third learns it over the network.
    c.storages.set('a', new MemoryStorage(seeded));
    c.storages.set('b', new MemoryStorage(seeded));
    await c.withLeader(async (leader) => {
      await leader.propose('next');
      await c.clock.sleep(300);
      for (const id of IDS) expect(c.machines.get(id)!.items).toHaveLength(2);
      expect(c.nodes.get('c')!.failure).toBeNull();
      await c.nodes.get('c')!.stop();
      await c.start('c', new MemoryStorage(c.storages.get('c')!.crash()));
      await c.clock.sleep(300);
      expect(c.machines.get('c')!.items).toHaveLength(2);
    });
    // What node c applied, after the wire and its restart, is the whole value.
    expect(checkJsonValue(c.machines.get('c')!.items[0])).toMatchObject({ ok: true, depth: 200_000 });
    for (const id of IDS) expect(c.nodes.get(id)!.failure).toBeNull();
  });
});

describe('a failed node says so everywhere', () => {
  it('a follower whose storage fails (ENOSPC) stops and says so; the leader commits with the rest', async () => {
    const c = (running = cluster());
    for (const id of IDS) c.storages.set(id, new FailingStorage());
    await c.withLeader(async (leader) => {
      const follower = [...c.nodes.values()].find((n) => n !== leader)!;
      const errors: Error[] = [];
      follower.on('error', (error) => errors.push(error));
      (c.storages.get(follower.id) as FailingStorage).failWith = enospc();
      await expect(leader.propose('x')).resolves.toMatchObject({ result: 1 });
      await c.clock.sleep(100);
      expect(errors).toHaveLength(1);
      expect(follower.status()).toMatchObject({ failure: expect.stringMatching(/ENOSPC/), leaderId: null });
      await expect(follower.propose('y')).rejects.toBeInstanceOf(NodeFailedError);
    });
  });

  it('a leader whose storage fails (ENOSPC): error event, status shows the failure, no leader hint, proposals get NodeFailedError', async () => {
    const c = (running = cluster());
    for (const id of IDS) c.storages.set(id, new FailingStorage());
    await c.withLeader(async (a) => {
      const errors: Error[] = [];
      a.on('error', (error) => errors.push(error));
      (c.storages.get(a.id) as FailingStorage).failWith = enospc();
      const pending = a.propose('x').catch((e: unknown) => e);
      await c.clock.sleep(10); // the proposal's write fails
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(NodeFailedError);
      expect(errors[0]!.message).toMatch(new RegExp(`node ${a.id} failed while handling .*ENOSPC`));
      const status = a.status();
      expect(status.failure).toMatch(/ENOSPC/);
      expect(status.leaderId).toBeNull();
      expect(await pending).toBe(errors[0]);
      await expect(a.propose('y')).rejects.toBe(errors[0]);
      // The others go on without it.
      await c.clock.sleep(1_500);
      const leader = [...c.nodes.values()].find((n) => n !== a && n.status().role === 'leader');
      expect(leader).toBeDefined();
      await expect(leader!.propose('z')).resolves.toMatchObject({ term: leader!.status().term });
    });
  });
});
