/** The README's examples and sample output, checked as a user would see them. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterCommand } from '../cli/cluster-command-run.js';
import { freePort } from '../transport/helpers.js';
import { runDocExample } from './doc-example.js';

describe('README', () => {
  it('its SimCluster example runs the application on the cluster, across an election after the partition', () => {
    const { code, output } = runDocExample('README.md', 'js');
    expect(code).toContain("from 'raftchart/sim'");
    const lines = output.split('\n');
    const leaders = lines.filter((line) => line.includes(': leader in term'));
    expect(leaders.length).toBeGreaterThanOrEqual(2);
    expect(leaders.at(-1)).toMatch(/in term [2-9]/);
    expect(lines).toContain('applied: counter = 5');
    expect(lines).toContain('after the partition: counter = 7');
  });

  describe('on a real cluster, as `npm start` runs it', () => {
    let dir: string;
    let url: string;
    let cluster: ClusterCommand;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'raftchart-readme-'));
      url = `http://127.0.0.1:${await freePort()}`;
      cluster = new ClusterCommand(['--http', url.slice('http://'.length), '--data', dir]);
      await cluster.waitForOutput(/^Ctrl-C to stop$/m, 90_000);
    }, 100_000);

    afterAll(async () => {
      await cluster?.destroy();
      await rm(dir, { recursive: true, force: true });
    }, 60_000);

    it("its quick start's sample is what `npm start` (raftchart cluster) prints, up to ports, pids, paths and who leads", () => {
      expect(JSON.parse(readFileSync('package.json', 'utf8')).scripts.start).toMatch(
        / && node dist\/src\/cli\/main\.js cluster$/,
      );
      const sample = sampleUnder('Quick start');
      expect(sample).toContain(
        'raftchart: 3-node cluster up; open http://127.0.0.1:8080/?live=http://127.0.0.1:8080',
      );
      const sampleDir = /data, logs and secret in (\S+)$/.exec(sample[0] ?? '')?.[1];
      expect(sampleDir, "the sample's first line names the data directory").toBe('.raftchart');
      const printed = cluster.stdout
        .trimEnd()
        .split('\n')
        // Printed only while the page is not built, which `npm start` builds first.
        .filter((line) => !line.includes('the visualizer page is not built'));
      expect(printed.map((line) => shape(line, dir))).toEqual(sample.map((line) => shape(line, sampleDir!)));
    });

    it('its KvClient example runs against the cluster and prints what the README shows', async () => {
      const urls = (await cluster.nodes(url)).map((node) => node.clientUrl);
      const saved = process.env.RAFTCHART_NODES;
      process.env.RAFTCHART_NODES = urls.join(',');
      try {
        const { code, output } = runDocExample('README.md', 'js client');
        expect(code).toContain("from 'raftchart'");
        expect(output.trimEnd().split('\n')).toEqual(sampleUnder('Use the key/value store from code'));
      } finally {
        if (saved === undefined) delete process.env.RAFTCHART_NODES;
        else process.env.RAFTCHART_NODES = saved;
      }
    });

    it('stops on SIGTERM with exit code 0', async () => {
      expect((await cluster.stop('SIGTERM')).code).toBe(0);
    });
  });

  it('its sample of the terminal simulation is what `raftchart sim --seed 7` prints', () => {
    const [header, ...events] = sampleUnder('Watch a simulation in the terminal');
    expect(header).toBe('raftchart: simulated 5-node cluster, seed 7 (replay: --seed 7); Ctrl-C to stop');
    const printed = execFileSync(
      process.execPath,
      ['dist/src/cli/main.js', 'sim', '--seed', '7', '--speed', '0', '--duration', '20'],
      { encoding: 'utf8', timeout: 60_000 },
    ).split('\n');
    expect(printed[0]).toBe('raftchart: simulated 5-node cluster, seed 7 (replay: --seed 7)');
    expect(events.length).toBeGreaterThan(5);
    expect(printed.slice(1, 1 + events.length)).toEqual(events);
  });
});

/** The lines of the first plain (no language) code block in the README's section `heading`. */
function sampleUnder(heading: string): string[] {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.split(/^## /m).find((part) => part.startsWith(`${heading}\n`)) ?? '';
  // Fenced blocks in order, each [info string, body]: the fences pair up, so a closing fence is never an opening.
  const blocks = [...section.matchAll(/^```(.*)\n([\s\S]*?)^```$/gm)];
  const sample = blocks.find(([, info]) => info === '')?.[2];
  expect(sample, `the README shows a sample under "## ${heading}"`).toBeDefined();
  return sample!.trimEnd().split('\n');
}

/**
 * A line of `raftchart cluster` output without what differs from run to run. The test's
 * cluster runs in a temp directory, so its printed commands name it with `--data`; `npm start`'s
 * use the default one and need no flag.
 */
function shape(line: string, dir: string): string {
  return line
    .replaceAll(dir, '<dir>')
    .replaceAll(' --data <dir>', '')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')
    .replace(/\bpid \d+/g, 'pid <pid>')
    .replace(/\b(leader|follower) +/g, '<role> ')
    .replace(/\/api\/nodes\/n\d+\//g, '/api/nodes/<id>/')
    .replace(/\bn\d+ leads\b/g, '<id> leads');
}
