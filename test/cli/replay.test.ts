/**
 * `raftchart replay` as a user runs it (the built CLI, in a process): recordings of a
 * simulated cluster, an edited one, a file that is no recording, and the recording of a real
 * `raftchart node --record` process across a restart and a kill.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedInput } from '../../src/inspect/recording.js';
import { parseRecording } from '../../src/inspect/recording.js';
import { replayRecording } from '../../src/inspect/replay.js';
import { faultyRun } from '../inspect/recording-cluster.js';
import { freePort } from '../transport/helpers.js';

const CLI = 'dist/src/cli/main.js';
const SECRET = 'replay-test-cluster-secret';

let dir: string;
let files: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'raftchart-replay-'));
  const recorded = await faultyRun(3);
  recorded.cluster.stopAll();
  files = [];
  for (const id of recorded.cluster.ids) {
    const file = join(dir, `node-${id}.jsonl`);
    await writeFile(file, recorded.text(id));
    files.push(file);
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out, err };
}

describe('raftchart replay', () => {
  it('replays good recordings: a summary per node, exit 0', async () => {
    const { code, out, err } = await cli(['replay', ...files]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    for (const [i, file] of files.entries()) {
      expect(lines[i]).toMatch(
        new RegExp(
          `^${file}: node ${i}, [12] starts?, \\d+ inputs replayed, every step reproduced; ` +
            'ends (leader|follower) in term \\d+, commit index \\d+, last log index \\d+$',
        ),
      );
    }
    expect(lines.filter((line) => line.includes(', 2 starts,'))).toHaveLength(1);
    expect(lines[3]).toBe('every step of 3 recordings reproduced its outputs');
  });

  it('reports an edited recording at the edited line and exits 1', async () => {
    // A leader's recording: edit the first AppendEntries it sent.
    const texts = await Promise.all(files.map((file) => readFile(file, 'utf8')));
    const leader = texts.findIndex((text) => text.includes('"messages":[{"type":"AppendEntries",'));
    const other = files[(leader + 1) % files.length]!;
    const lines = texts[leader]!.split('\n');
    const index = lines.findIndex((line) => line.includes('"messages":[{"type":"AppendEntries",'));
    const input = JSON.parse(lines[index]!) as RecordedInput;
    lines[index] = JSON.stringify({ ...input, messages: [{ ...input.messages[0]!, leaderCommit: 99 }] });
    const edited = join(dir, 'edited.jsonl');
    await writeFile(edited, lines.join('\n'));
    const { code, out, err } = await cli(['replay', edited, other]);
    expect(err).toBe('');
    expect(code).toBe(1);
    const where = `${edited}:${index + 1}: node ${leader}'s input \\d+ of start \\d \\(${input.event.type} at \\d+ ms\\) does not replay`;
    expect(out).toMatch(new RegExp(`^${edited}: node ${leader}, .* DIVERGED; was `, 'm'));
    expect(out).toMatch(new RegExp(`^  ${where}: message 1 differs .*"leaderCommit":99`, 'm'));
    expect(out).toMatch(new RegExp(`^${other}: node \\d, .*every step reproduced`, 'm'));
    expect(out).toMatch(
      new RegExp(`^1 of 2 recordings did not replay \\(the first: ${edited}:${index + 1}\\)$`, 'm'),
    );
  });

  it('refuses a file that is not a recording, and one that does not exist, and exits 1', async () => {
    const notes = join(dir, 'notes.txt');
    await writeFile(notes, 'remember the milk\n');
    const { code, out, err } = await cli(['replay', notes, join(dir, 'missing.jsonl'), files[2]!]);
    expect(code).toBe(1);
    expect(err).toContain(`raftchart replay: ${notes}:1: the line is not JSON, and no header came before it`);
    expect(err).toContain(`raftchart replay: cannot read ${join(dir, 'missing.jsonl')}: ENOENT`);
    expect(out).toMatch(/every step reproduced/);
    expect(out).toMatch(new RegExp(`2 of 3 recordings did not replay \\(the first: ${notes}, unreadable\\)`));
  });

  it('needs at least one file', async () => {
    const { code, err } = await cli(['replay']);
    expect(code).toBe(1);
    expect(err).toMatch(/missing required argument 'files'/);
  });
});

describe('raftchart node --record', () => {
  interface Running {
    readonly child: ChildProcess;
    readonly url: string;
    output: string;
  }

  /** `raftchart node` as node `id` on free ports of 127.0.0.1, with `more` flags. */
  async function nodeArgs(
    id: string,
    data: string,
    ...more: string[]
  ): Promise<{ args: string[]; url: string }> {
    const [raft, client] = [await freePort(), await freePort()];
    const address = (port: number) => `127.0.0.1:${port}`;
    const args = ['node', '--id', id, '--listen', address(raft), '--client', address(client), '--data', data];
    return { args: [...args, ...more], url: `http://${address(client)}` };
  }

  async function startNode(data: string, record: string): Promise<Running> {
    const { args, url } = await nodeArgs('a', data, '--record', record, '--snapshot-every', '3');
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, RAFTCHART_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const running: Running = { child, url, output: '' };
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on('data', (chunk: Buffer) => (running.output += chunk.toString()));
    }
    // A cluster of one: it leads once its first election timer fires.
    const deadline = Date.now() + 30_000;
    const leads = () =>
      fetch(`${url}/status`)
        .then(async (r) => ((await r.json()) as { role: string }).role === 'leader')
        .catch(() => false);
    while (!(await leads())) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error(`the node did not lead within 30 s:\n${running.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return running;
  }

  /** Writes key n<i>: one proposal. */
  async function propose(url: string, i: number): Promise<void> {
    const response = await fetch(`${url}/kv/n${i}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: String(i) }),
    });
    expect(response.status).toBe(200);
  }

  async function stop(running: Running, signal: NodeJS.Signals): Promise<void> {
    const exited = once(running.child, 'exit');
    running.child.kill(signal);
    await exited;
  }

  it('records a real node across a clean stop, a restart and a kill; the file replays clean', async () => {
    const data = join(dir, 'data-a');
    const record = join(dir, 'a.jsonl');
    const first = await startNode(data, record);
    try {
      expect(first.output).toContain('recording what enters the statechart');
      for (let i = 0; i < 5; i++) await propose(first.url, i);
    } finally {
      await stop(first, 'SIGTERM');
    }
    const second = await startNode(data, record);
    try {
      for (let i = 5; i < 8; i++) await propose(second.url, i);
    } finally {
      // A kill loses what was still buffered (its last 200 ms at most): a prefix of this start.
      await stop(second, 'SIGKILL');
    }
    const third = await startNode(data, record);
    await propose(third.url, 8);
    await stop(third, 'SIGTERM');

    const recording = parseRecording(await readFile(record, 'utf8'), record);
    expect(recording.node).toBe('a');
    expect(recording.sections.length).toBe(3);
    const [one, , three] = recording.sections;
    expect(one!.header.recovered.entries).toEqual([]);
    expect(
      three!.header.recovered.entries.length + (three!.header.recovered.snapshot?.index ?? 0),
    ).toBeGreaterThanOrEqual(9);
    expect(typeof one!.header.timeOrigin).toBe('number');
    const proposals = one!.inputs.filter((input) => input.event.type === 'Propose');
    expect(proposals).toHaveLength(5);
    expect(replayRecording(recording).ok).toBe(true);

    const { code, out } = await cli(['replay', record]);
    expect(out).toMatch(
      new RegExp(`^${record}: node a, 3 starts, \\d+ inputs replayed, every step reproduced; ends leader`),
    );
    expect(code).toBe(0);
  });

  it('says so when the recording file cannot be written, before the node joins', async () => {
    const missing = join(dir, 'no-such-dir', 'b.jsonl');
    const { args } = await nodeArgs('b', join(dir, 'data-b'), '--secret', SECRET, '--record', missing);
    const { code, err } = await cli(args);
    expect(code).toBe(1);
    expect(err).toMatch(
      /raftchart: cannot write the recording .*no-such-dir\/b\.jsonl: ENOENT.*record to a writable file/,
    );
  });
});
