/** The node host's ready loop: what leaves when, what is written, and how failures surface. */
import { afterEach, describe, expect, it } from 'vitest';
import type { RaftFeatures, RaftMessage } from '../../machines/index.js';
import { PAPER_FEATURES } from '../../machines/index.js';
import { NodeFailedError } from '../../src/errors.js';
import type { InputRecord } from '../../src/node/node-host.js';
import { NodeHost } from '../../src/node/node-host.js';
import type {
  AppliedEntry,
  ApplySink,
  PersistedState,
  Storage,
  StorageBatch,
  Transport,
} from '../../src/node/providers.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import { SimClock } from '../../src/sim/sim-clock.js';
import { TEST_TIMING, appendEntries, entriesWithTerms, requestVote } from '../machines/machine-harness.js';

/** Storage whose writes complete only when the test says so. */
class ManualStorage implements Storage {
  readonly writes: { batch: StorageBatch; complete: () => void }[] = [];
  constructor(
    private readonly initial: PersistedState = { hardState: { currentTerm: 0, votedFor: null }, entries: [] },
  ) {}
  load(): Promise<PersistedState> {
    return Promise.resolve(this.initial);
  }
  write(batch: StorageBatch): Promise<void> {
    return new Promise((resolve) => this.writes.push({ batch, complete: resolve }));
  }
  /** Completes every write issued so far, in order. */
  completeAll(): void {
    for (const write of this.writes.splice(0)) write.complete();
  }
}

class RecordingTransport implements Transport {
  readonly sent: RaftMessage[] = [];
  deliver: ((message: RaftMessage) => void) | undefined;
  closed = false;
  listen(deliver: (message: RaftMessage) => void): void {
    this.deliver = deliver;
  }
  send(message: RaftMessage): void {
    this.sent.push(message);
  }
  close(): void {
    this.closed = true;
  }
}

let host: NodeHost | undefined;

afterEach(() => host?.stop());

async function startHost(storage: Storage, applySink?: ApplySink, features?: RaftFeatures) {
  const clock = new SimClock();
  const transport = new RecordingTransport();
  host = await NodeHost.create({
    ...(applySink === undefined ? {} : { applySink }),
    ...(features === undefined ? {} : { features }),
    id: 'a',
    peers: ['b', 'c'],
    timing: TEST_TIMING,
    transport,
    storage,
    clock,
    random: new SeededRandom(1, 'timers'),
  });
  host.start();
  return { host, clock, transport };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ready loop', () => {
  it('sends a vote only once the term and vote it depends on are durable', async () => {
    const storage = new ManualStorage();
    const { host, transport } = await startHost(storage);
    host.receive(requestVote('b', 2));
    await settle();
    expect(storage.writes.map((w) => w.batch)).toEqual([{ hardState: { currentTerm: 2, votedFor: 'b' } }]);
    expect(transport.sent).toEqual([]);
    storage.completeAll();
    await settle();
    expect(transport.sent).toMatchObject([{ type: 'RequestVoteReply', to: 'b', term: 2, voteGranted: true }]);
  });

  it('sends PreVotes at once (they change nothing durable), then holds the RequestVotes a pre-vote quorum starts until the new term and self-vote are durable', async () => {
    const storage = new ManualStorage();
    const { host, clock, transport } = await startHost(storage);
    await clock.runFor(TEST_TIMING.electionTimeoutMaxMs);
    expect(storage.writes).toEqual([]);
    expect(transport.sent).toMatchObject([
      { type: 'PreVote', to: 'b', term: 1 },
      { type: 'PreVote', to: 'c', term: 1 },
    ]);
    const preVote = transport.sent[0]!;
    transport.sent.length = 0;
    host.receive({
      type: 'PreVoteReply',
      from: 'b',
      to: 'a',
      term: 0,
      inReplyTo: 'rpcId' in preVote ? preVote.rpcId : -1,
      voteGranted: true,
    });
    await settle();
    expect(storage.writes.map((w) => w.batch.hardState)).toEqual([{ currentTerm: 1, votedFor: 'a' }]);
    expect(transport.sent).toEqual([]);
    storage.completeAll();
    await settle();
    expect(transport.sent).toMatchObject([
      { type: 'RequestVote', to: 'b', term: 1 },
      { type: 'RequestVote', to: 'c', term: 1 },
    ]);
  });

  it("without pre-vote, holds a candidate's RequestVotes until its new term and self-vote are durable", async () => {
    const storage = new ManualStorage();
    const { clock, transport } = await startHost(storage, undefined, PAPER_FEATURES);
    await clock.runFor(TEST_TIMING.electionTimeoutMaxMs);
    expect(storage.writes.map((w) => w.batch.hardState)).toEqual([{ currentTerm: 1, votedFor: 'a' }]);
    expect(transport.sent).toEqual([]);
    storage.completeAll();
    await settle();
    expect(transport.sent).toMatchObject([
      { type: 'RequestVote', to: 'b', term: 1 },
      { type: 'RequestVote', to: 'c', term: 1 },
    ]);
  });

  it('makes one write per turn, however many events the turn held', async () => {
    const storage = new ManualStorage();
    const { host, transport } = await startHost(storage);
    host.receive(requestVote('b', 2));
    host.receive(requestVote('c', 3));
    host.receive(appendEntries('c', 3, { entries: entriesWithTerms(3) }));
    host.receive(
      appendEntries('c', 3, { prevLogIndex: 1, prevLogTerm: 3, entries: [{ term: 3, command: 'x' }] }),
    );
    await settle();
    expect(storage.writes.map((w) => w.batch)).toEqual([
      {
        hardState: { currentTerm: 3, votedFor: 'c' },
        log: { from: 1, entries: [...entriesWithTerms(3), { term: 3, command: 'x' }] },
      },
    ]);
    storage.completeAll();
    await settle();
    expect(transport.sent.map((m) => m.type)).toEqual([
      'RequestVoteReply',
      'RequestVoteReply',
      'AppendEntriesReply',
      'AppendEntriesReply',
    ]);
  });

  it('writes nothing when a turn changed neither hardState nor the log', async () => {
    const storage = new ManualStorage({ hardState: { currentTerm: 5, votedFor: null }, entries: [] });
    const { host, transport } = await startHost(storage);
    host.receive(requestVote('b', 4)); // stale: refused, nothing to persist
    await settle();
    expect(storage.writes).toEqual([]);
    expect(transport.sent).toMatchObject([{ type: 'RequestVoteReply', voteGranted: false, term: 5 }]);
  });

  it('reports a durable log write back to the actor as LogPersisted', async () => {
    const storage = new ManualStorage();
    const { host } = await startHost(storage);
    host.receive(appendEntries('b', 1, { entries: entriesWithTerms(1, 1) }));
    await settle();
    expect(host.actorSnapshot().context.persistedIndex).toBe(0);
    storage.completeAll();
    await settle();
    expect(host.actorSnapshot().context.persistedIndex).toBe(2);
  });

  it('hands committed entries to the application in order, without waiting for it to reply', async () => {
    const storage = new ManualStorage();
    const applied: AppliedEntry[] = [];
    const { host, transport } = await startHost(storage, {
      restore: () => {},
      apply: (entry) => {
        applied.push(entry);
        return new Promise<void>(() => {}); // an application that never finishes
      },
    });
    host.receive(appendEntries('b', 1, { entries: entriesWithTerms(1, 1, 1), leaderCommit: 2 }));
    await settle();
    storage.completeAll();
    await settle();
    expect(applied).toEqual([{ index: 1, term: 1, command: 'cmd1' }]);
    expect(host.status()).toMatchObject({ commitIndex: 2, appliedIndex: 2 });
    host.receive(appendEntries('b', 1, { prevLogIndex: 3, prevLogTerm: 1, leaderCommit: 3 }));
    await settle();
    expect(transport.sent.filter((m) => m.type === 'AppendEntriesReply')).toHaveLength(2);
    expect(host.status().appliedIndex).toBe(3);
  });

  it('drops messages addressed to another node', async () => {
    const storage = new ManualStorage();
    const { host, transport } = await startHost(storage);
    host.receive({ ...requestVote('b', 2), to: 'z' });
    await settle();
    expect(storage.writes).toEqual([]);
    expect(transport.sent).toEqual([]);
    expect(host.status().term).toBe(0);
  });
});

describe('lifecycle and failures', () => {
  it('stops for good: timers cancelled, nothing sent, transport closed', async () => {
    const storage = new ManualStorage();
    const { host, clock, transport } = await startHost(storage);
    host.stop();
    await clock.runFor(TEST_TIMING.electionTimeoutMaxMs * 10);
    storage.completeAll();
    expect(storage.writes).toEqual([]);
    expect(transport.sent).toEqual([]);
    expect(transport.closed).toBe(true);
    expect(host.stopped).toBe(true);
  });

  it('fails loudly, naming the event, when the actor errors', async () => {
    const storage = new ManualStorage();
    const { host } = await startHost(storage);
    const errors: NodeFailedError[] = [];
    host.on('error', (error) => errors.push(error));
    // A malformed message (no entries array) that got past the transport makes an action throw.
    host.receive({ ...appendEntries('b', 1), entries: undefined } as unknown as RaftMessage);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(NodeFailedError);
    expect(errors[0]!.message).toMatch(/node a failed while handling AppendEntries from b \(term 1\)/);
    expect(host.stopped).toBe(true);
  });

  it('fails when storage fails a write', async () => {
    const failing: Storage = {
      load: () => Promise.resolve({ hardState: { currentTerm: 0, votedFor: null }, entries: [] }),
      write: () => Promise.reject(new Error('disk full')),
    };
    const { host } = await startHost(failing);
    const errors: Error[] = [];
    host.on('error', (error) => errors.push(error));
    host.receive(requestVote('b', 1));
    await settle();
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/disk full/)]);
    expect(host.stopped).toBe(true);
  });

  it('starts once; before start and after stop it reads nothing, snapshots nothing, leads nothing', async () => {
    const storage = new ManualStorage();
    const idle = await NodeHost.create({
      id: 'a',
      peers: ['b', 'c'],
      timing: TEST_TIMING,
      transport: new RecordingTransport(),
      storage,
      clock: new SimClock(),
      random: new SeededRandom(1, 'timers'),
    });
    const answers: (number | null)[] = [];
    idle.read((index) => answers.push(index));
    expect(answers).toEqual([null]);
    expect(idle.saveSnapshot(1, 'x')).toBe(false);
    expect(idle.submit(['x'])).toEqual({ index: 0, term: 0, isLeader: false, leaderId: null });
    idle.start();
    expect(() => idle.start()).toThrow('node a was already started');
    idle.stop();
    idle.read((index) => answers.push(index));
    expect(answers).toEqual([null, null]);
    expect(idle.saveSnapshot(1, 'x')).toBe(false);
  });

  it('keeps what storage held when it was created: where a recording starts', async () => {
    const persisted: PersistedState = {
      hardState: { currentTerm: 2, votedFor: 'b' },
      entries: entriesWithTerms(1),
    };
    const { host } = await startHost(new ManualStorage(persisted));
    expect(host.recovered).toBe(persisted);
  });

  it('fails, naming the event, when a provider throws instead of rejecting', async () => {
    const throwing: Storage = {
      load: () => Promise.resolve({ hardState: { currentTerm: 0, votedFor: null }, entries: [] }),
      write: () => {
        throw new Error('disk gone');
      },
    };
    // Without pre-vote the election timer's step writes the new term at once.
    const { host, clock } = await startHost(throwing, undefined, PAPER_FEATURES);
    const errors: Error[] = [];
    host.on('error', (error) => errors.push(error));
    await clock.runFor(TEST_TIMING.electionTimeoutMaxMs);
    await settle();
    expect(errors.map((e) => e.message)).toEqual([
      'node a failed while handling xstate.after.electionTimeout.raft.follower.waiting: disk gone',
    ]);
    expect(host.failure).toBe(errors[0]);
    expect(host.status()).toMatchObject({ failure: errors[0]!.message, leaderId: null });
    expect(host.stopped).toBe(true);
  });

  it('refuses bad options with errors that say the fix', async () => {
    const base = {
      id: 'a',
      peers: ['b'],
      timing: TEST_TIMING,
      transport: new RecordingTransport(),
      storage: new ManualStorage(),
      clock: new SimClock(),
      random: new SeededRandom(1, 't'),
    };
    await expect(NodeHost.create({ ...base, peers: ['a', 'b'] })).rejects.toThrow(/other nodes only/);
    await expect(NodeHost.create({ ...base, peers: ['b', 'b'] })).rejects.toThrow(/listed twice/);
    await expect(
      NodeHost.create({ ...base, timing: { ...TEST_TIMING, electionTimeoutMaxMs: 10 } }),
    ).rejects.toThrow(/electionTimeoutMaxMs \(10\) must be at least/);
    await expect(
      NodeHost.create({ ...base, timing: { ...TEST_TIMING, heartbeatIntervalMs: 400 } }),
    ).rejects.toThrow(/at most half/);
  });
});

describe('input records', () => {
  it('records each input with its draw and outputs, only while someone listens', async () => {
    const storage = new ManualStorage();
    const { host, clock } = await startHost(storage);
    const records: InputRecord[] = [];
    host.receive(requestVote('b', 1)); // nobody listens yet
    const listener = (record: InputRecord) => void records.push(record);
    host.on('input', listener);
    await clock.runFor(100);
    const vote = requestVote('c', 2);
    host.receive(vote);
    const append = appendEntries('c', 2, { entries: entriesWithTerms(2) });
    host.receive(append);
    expect(records).toEqual([
      {
        at: 100,
        event: vote,
        electionTimeoutMs: TEST_TIMING.electionTimeoutMinMs,
        messages: [
          { type: 'RequestVoteReply', from: 'a', to: 'c', term: 2, inReplyTo: vote.rpcId, voteGranted: true },
        ],
        edits: [],
      },
      {
        at: 100,
        event: append,
        electionTimeoutMs: TEST_TIMING.electionTimeoutMinMs,
        messages: [
          {
            type: 'AppendEntriesReply',
            from: 'a',
            to: 'c',
            term: 2,
            inReplyTo: append.rpcId,
            success: true,
            matchIndex: 1,
          },
        ],
        edits: [{ from: 1, entries: entriesWithTerms(2) }],
      },
    ]);
    host.off('input', listener);
    host.receive(requestVote('c', 3));
    expect(records).toHaveLength(2);
  });
});

describe('options and events', () => {
  async function singleNode(options: Partial<Parameters<typeof NodeHost.create>[0]> = {}) {
    const clock = new SimClock();
    host = await NodeHost.create({
      id: 'a',
      peers: [],
      timing: TEST_TIMING,
      transport: new RecordingTransport(),
      storage: new MemoryStorage(),
      clock,
      random: new SeededRandom(1, 'timers'),
      ...options,
    });
    return { host, clock };
  }

  it('reports its timers, its role changes (none at start) and answers reads through the actor', async () => {
    const { host, clock } = await singleNode();
    const timers: [string, number | null][] = [];
    const roles: string[] = [];
    host.on('timer', (kind, deadline) => timers.push([kind, deadline]));
    host.on('role', (change) => roles.push(`${change.role} ${change.term}`));
    host.start();
    // The leader lease (the minimum election timeout) runs beside the election timer.
    expect(timers).toEqual([
      ['electionTimeout', TEST_TIMING.electionTimeoutMinMs],
      ['leaderLease', TEST_TIMING.electionTimeoutMinMs],
    ]);
    const answers: (number | null)[] = [];
    host.read((index) => answers.push(index));
    await settle();
    expect(answers).toEqual([null]); // a follower that knows no leader refuses at once
    await clock.runFor(TEST_TIMING.electionTimeoutMaxMs);
    await settle();
    expect(roles).toEqual(['leader 1']); // one step: it is its own quorum
    expect(timers.map(([kind]) => kind)).toContain('heartbeatInterval');
    expect(host.status().lastLogIndex).toBe(1); // its no-op
  });

  it('leaves out the no-op when told to, and hands XState inspection to a function or an observer', async () => {
    const seen: string[] = [];
    const { host, clock } = await singleNode({
      noopOnElection: false,
      inspect: (i) => void seen.push(i.type),
    });
    host.start();
    await clock.runFor(TEST_TIMING.electionTimeoutMaxMs);
    await settle();
    expect(host.status()).toMatchObject({ role: 'leader', lastLogIndex: 0 });
    expect(seen).toContain('@xstate.event');
    host.stop();
    const observed: string[] = [];
    const second = await singleNode({ inspect: { next: (i) => void observed.push(i.type) } });
    second.host.start();
    expect(observed).toContain('@xstate.actor');
  });
});
