/**
 * The banner `raftchart cluster` prints once a leader is elected: with followers and a
 * leader it is README's sample line for line; a longer role (a pre-candidate when the
 * banner is printed) widens the role column so that the addresses still line up.
 */
import { describe, expect, it } from 'vitest';
import { clusterBanner } from '../../src/cli/cluster-banner.js';
import type { NodePlan } from '../../src/cli/cluster-plan.js';

const PORTS: Record<string, [number, number, number]> = {
  n1: [17679, 19685, 27083],
  n2: [19400, 16025, 27084],
  n3: [11122, 15974, 27085],
};

const NODES: NodePlan[] = Object.entries(PORTS).map(([id, [clientPort, inspectPort]]) => ({
  id,
  listenPort: clientPort + 1,
  clientPort,
  inspectPort,
  dataDir: `.raftchart/${id}`,
  logFile: `.raftchart/${id}.log`,
}));

function banner(roles: Record<string, string>): string[] {
  return clusterBanner({
    nodes: NODES,
    url: 'http://127.0.0.1:8080',
    leader: 'n3',
    role: (id) => roles[id]!,
    pid: (id) => PORTS[id]![2],
    cli: 'node dist/src/cli/main.js',
    dataFlag: null,
  });
}

describe('the cluster banner', () => {
  it("is README's sample with followers and a leader", () => {
    expect(banner({ n1: 'follower', n2: 'follower', n3: 'leader' }).slice(1, 4)).toEqual([
      '  n1  follower  client http://127.0.0.1:17679  feed ws://127.0.0.1:19685  pid 27083  log .raftchart/n1.log',
      '  n2  follower  client http://127.0.0.1:19400  feed ws://127.0.0.1:16025  pid 27084  log .raftchart/n2.log',
      '  n3  leader    client http://127.0.0.1:11122  feed ws://127.0.0.1:15974  pid 27085  log .raftchart/n3.log',
    ]);
  });

  it('widens the role column for a pre-candidate: every client address starts in one column', () => {
    const lines = banner({ n1: 'preCandidate', n2: 'follower', n3: 'leader' }).slice(1, 4);
    expect(lines[0]).toMatch(/^ {2}n1 {2}preCandidate {2}client /);
    expect(new Set(lines.map((line) => line.indexOf('client ')))).toEqual(new Set([20]));
  });
});
