/**
 * Consumer programs, one per subpath, as a user would write them against the installed
 * package. They are strings, not .ts files, so the repository's own type check (which runs
 * before anything is built) never tries to resolve `raftchart/...`; test/package type-checks
 * each with strict tsc in a project of its own, and runs it.
 *
 * The machines and sim consumers are browser code: no @types/node (so no `process`), output
 * through console.log, failure by throwing.
 */

/** raftchart/machines: the bare statechart, on a clock driven by hand, wins an election. */
export const MACHINES_CONSUMER = `
import { createActor } from 'xstate';
import type { RaftMessage, RaftTiming, RequestVote } from 'raftchart/machines';
import { quorumSize, raftMachine } from 'raftchart/machines';

const timing: RaftTiming = { heartbeatIntervalMs: 50, electionTimeoutMinMs: 150, electionTimeoutMaxMs: 300 };
const sent: RaftMessage[] = [];
// XState's clock interface, driven by hand: the program fires the pending timer itself.
const pending = new Map<number, () => void>();
let handles = 0;
const clock = {
  setTimeout: (callback: () => void) => (pending.set(++handles, callback), handles),
  clearTimeout: (handle: number) => void pending.delete(handle),
};
const machine = raftMachine.provide({
  actions: { send: (_, { messages }) => void sent.push(...messages) },
});
const actor = createActor(machine, { input: { id: 'a', peers: ['b', 'c'], timing }, clock });
actor.start();
// Two timers pend: the follower's election timeout and its leader lease. Fire them in order
// until a campaigns (the lease's only lapses; leaving the follower cancels what is left).
if (pending.size !== 2) throw new Error('expected two pending timers, got ' + pending.size);
while (!sent.some((m) => m.type === 'RequestVote')) {
  const next = [...pending][0];
  if (next === undefined) throw new Error('no timer left, and no RequestVote sent');
  pending.delete(next[0]);
  next[1]();
}
const requests = sent.filter((m): m is RequestVote => m.type === 'RequestVote');
if (requests.length !== 2) throw new Error('expected a RequestVote to each peer, sent ' + JSON.stringify(sent));
const [ask] = requests;
if (ask === undefined) throw new Error('unreachable');
actor.send({ type: 'RequestVoteReply', from: ask.to, to: 'a', term: ask.term, inReplyTo: ask.rpcId, voteGranted: true });
const { value, context } = actor.getSnapshot();
actor.stop();
console.log(\`quorum of 3: \${quorumSize(3)}; a is \${JSON.stringify(value)} in term \${context.currentTerm}\`);
`;

/** The application both node consumers run: a counter. Needs `StateMachine` imported. */
const COUNTER = `
type Add = { readonly add: number };
class Counter implements StateMachine<Add, number> {
  value = 0;
  apply(command: Add): number {
    return (this.value += command.add);
  }
  snapshot(): string {
    return JSON.stringify(this.value);
  }
  restore(snapshot: string): void {
    this.value = JSON.parse(snapshot) as number;
  }
}
`;

/** raftchart/sim: three nodes on virtual time elect a leader, which commits a command. */
export const SIM_CONSUMER = `
import type { SimClusterOptions, StateMachine } from 'raftchart/sim';
import { SimCluster } from 'raftchart/sim';

${COUNTER}
const options: SimClusterOptions<Add, number> = { seed: 1, size: 3, stateMachine: () => new Counter() };
const cluster = new SimCluster<Add, number>(options);
await cluster.startAll();
const outcome = await cluster.run(async () => {
  await cluster.clock.sleep(3_000); // virtual: returns at once
  const leader = cluster.ids.find((id) => cluster.status(id)?.role === 'leader');
  const node = leader === undefined ? null : cluster.node(leader);
  if (node === null) throw new Error('no leader after 3 virtual seconds');
  const { result } = await node.propose({ add: 2 });
  return { leader, result };
});
cluster.stopAll();
console.log(\`leader \${outcome.leader}: counter = \${outcome.result}\`);
`;

/** raftchart: a one-voter node with memory storage elects itself and applies a command. */
export const MAIN_CONSUMER = `
import type { Proposed, RaftNodeOptions, StateMachine, Transport } from 'raftchart';
import { MemoryStorage, NotLeaderError, createRaftNode } from 'raftchart';
// @ts-expect-error: the node host is internal; the exports map does not publish it
import type { NodeHost } from 'raftchart/dist/src/node/node-host.js';

${COUNTER}
const alone: Transport = { listen: () => {}, send: () => {}, close: () => {} };
const options: RaftNodeOptions<Add, number> = {
  id: 'solo',
  peers: [],
  transport: alone,
  storage: new MemoryStorage(),
  stateMachine: new Counter(),
  timing: { heartbeatIntervalMs: 10, electionTimeoutMinMs: 20, electionTimeoutMaxMs: 40 },
};
const node = createRaftNode(options);
await node.start();
let proposed: Proposed<number> | undefined;
for (let attempt = 1; proposed === undefined; attempt++) {
  try {
    proposed = await node.propose({ add: 2 });
  } catch (error) {
    if (!(error instanceof NotLeaderError) || attempt === 500) throw error;
    await new Promise((resolve) => setTimeout(resolve, 10)); // not elected yet
  }
}
await node.stop();
console.log(\`index \${proposed.index}: counter = \${proposed.result}\`);
`;
