/**
 * A proposal whose entry a leader's snapshot replaces before this node applied it: the
 * node cannot tell whether it committed, so it says so (ProposalOutcomeUnknownError), and
 * never "not leader", which a client would read as "not applied".
 */
import { expect, it } from 'vitest';
import { ProposalOutcomeUnknownError, ProposalTimeoutError } from '../../src/errors.js';
import { CommandLog } from '../../src/app/command-log.js';
import { SimCluster } from '../../src/sim/sim-cluster.js';

it("a pending proposal covered by the new leader's snapshot ends with its outcome unknown", async () => {
  const cluster = new SimCluster<unknown, number>({
    seed: 21,
    size: 3,
    snapshotEvery: 5,
    stateMachine: () => new CommandLog(),
  });
  await cluster.startAll();
  try {
    await cluster.run(async () => {
      await cluster.clock.sleep(1_500);
      const old = cluster.ids.find((id) => cluster.status(id)?.role === 'leader')!;
      cluster.disconnect(old);
      // Appended on the old leader alone: it cannot commit there, and may never anywhere.
      const outcome = cluster
        .node(old)!
        .propose('lost?')
        .then(
          () => 'resolved',
          (error: unknown) => error,
        );
      await cluster.clock.sleep(1_500);
      const next = cluster.ids.find((id) => id !== old && cluster.status(id)?.role === 'leader')!;
      for (let i = 0; i < 12; i++) await cluster.node(next)!.propose(`new ${i}`);
      expect(cluster.storage(next).persisted.snapshot?.index).toBeGreaterThan(2);
      cluster.connect(old);
      const error = await outcome;
      expect(error).toBeInstanceOf(ProposalOutcomeUnknownError);
      expect(error).not.toBeInstanceOf(ProposalTimeoutError);
      expect((error as ProposalOutcomeUnknownError).message).toMatch(/unknown/);
    });
  } finally {
    cluster.stopAll();
  }
});
