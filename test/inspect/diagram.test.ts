/** The statechart diagram: generated from the machine, complete, legible, reproducible, and kept in docs/. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { raftMachine } from '../../machines/index.js';
import { diagramFiles } from '../../src/cli/diagram.js';
import { chartGraph, transitionLabel } from '../../src/inspect/chart-graph.js';
import { chartStates, chartTransitions, transitionKey } from '../../src/inspect/chart-outline.js';
import { layoutDiagram, type Box, type DiagramLayout } from '../../src/inspect/diagram-layout.js';
import { chartMermaid, mermaidId } from '../../src/inspect/diagram-mermaid.js';
import { statechartSvg } from '../../src/inspect/diagram-svg.js';
import { ROOT, importGraph } from '../package/import-graph.js';

const transitions = chartTransitions(raftMachine);
const states = chartStates(raftMachine);

/** The values of `attribute` in the SVG text, entities decoded. */
function attributeValues(svg: string, attribute: string): string[] {
  return [...svg.matchAll(new RegExp(` ${attribute}="([^"]*)"`, 'g'))].map((m) =>
    (m[1] ?? '').replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))),
  );
}

const overlap = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const inside = (inner: Box, outer: Box) =>
  inner.x >= outer.x &&
  inner.y >= outer.y &&
  inner.x + inner.width <= outer.x + outer.width &&
  inner.y + inner.height <= outer.y + outer.height;
const describeBox = (b: Box) => `(${b.x}, ${b.y}, ${b.width}x${b.height})`;

describe('statechart diagram', () => {
  it('keys every transition by its chart outline line, each key once', () => {
    const keys = transitions.map(transitionKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain(
      'leader: AppendEntriesReply [isAppendAccepted] (targetless) / recordReadAck, recordHeard, advanceMatch, advanceCommitIndex, streamEntries',
    );
    expect(keys).toContain(
      'leader.heartbeating: after heartbeatInterval -> leader.heartbeating (re-entered) / tickLeader',
    );
    // The election timer's guarded alternatives are three keys, not one.
    expect(keys.filter((k) => k.startsWith('follower.waiting: after electionTimeout'))).toHaveLength(3);
  });

  it('sorts transitions by how they are drawn: handled in place, loops that re-enter, arrows', () => {
    const graph = chartGraph(raftMachine);
    const kind = (key: string) => graph.transitions.find((t) => t.key === key)?.kind;
    expect(kind('leader: Propose (targetless) / appendProposals')).toBe('handled');
    expect(
      kind('leader.heartbeating: after heartbeatInterval -> leader.heartbeating (re-entered) / tickLeader'),
    ).toBe('loop');
    expect(
      kind('follower.waiting: after electionTimeout [isNotVoter] -> follower.waiting (re-entered)'),
    ).toBe('loop');
    expect(kind('follower.waiting.leased: after leaderLease -> follower.waiting.lapsed')).toBe('move');
    expect(kind('follower.waiting: after electionTimeout [usesPreVote] -> preCandidate')).toBe('move');
    expect(kind('preCandidate.polling: always [hasPreVoteQuorum] -> candidate')).toBe('move');
    expect(kind('preCandidate.polling: after electionTimeout -> preCandidate.polling (re-entered)')).toBe(
      'loop',
    );
    expect(
      kind('follower: InstallSnapshot -> follower.waiting / adoptHigherTerm, followSender, installSnapshot'),
    ).toBe('loop');
    expect(kind('candidate.campaigning: always [hasVoteQuorum] -> leader / becomeLeader')).toBe('move');
    expect(graph.anyRole.map((t) => t.trigger)).toEqual(['LogPersisted', 'Snapshot']);
    expect(graph.states.find((s) => s.path === 'leader')?.handled.map((t) => t.trigger)).toContain('Flush');
    // A nested leaf has rows of its own: the lease refuses votes while the leader is heard.
    expect(
      graph.states.find((s) => s.path === 'follower.waiting.leased')?.handled.map((t) => t.guard),
    ).toEqual(['isLeaderSticky', 'knowsLeader']);
    expect(graph.states.find((s) => s.path === 'follower.waiting')).toMatchObject({
      children: ['follower.waiting.leased', 'follower.waiting.lapsed'],
      initial: 'follower.waiting.leased',
    });
  });

  it('draws every state and every transition, tagged for the page', async () => {
    const svg = await statechartSvg(raftMachine);
    expect(attributeValues(svg, 'data-state').sort()).toEqual(states.map((s) => s.path).sort());
    expect(attributeValues(svg, 'data-transition').sort()).toEqual(transitions.map(transitionKey).sort());
    // Each state group and transition element carries its class.
    expect(svg.match(/<g class="state (compound|leaf)" data-state=/g)).toHaveLength(states.length);
    expect(svg.match(/<g class="transition (handled|loop|move)" data-transition=/g)).toHaveLength(
      transitions.length,
    );
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" class="raftchart-diagram"/);
    expect(svg).toContain('<style>');
  });

  it('lays the chart out without overlaps', async () => {
    const layout: DiagramLayout = await layoutDiagram(chartGraph(raftMachine));
    const byPath = new Map(layout.states.map((s) => [s.path, s]));
    const problems: string[] = [];
    // Leaves inside their roles, roles apart.
    for (const state of layout.states) {
      const parent = byPath.get(state.path.slice(0, Math.max(0, state.path.lastIndexOf('.'))));
      if (parent !== undefined && !inside(state, parent))
        problems.push(`${state.path} is outside ${parent.path}`);
    }
    for (const [i, a] of layout.states.entries())
      for (const b of layout.states.slice(i + 1))
        if (!a.path.startsWith(`${b.path}.`) && !b.path.startsWith(`${a.path}.`) && overlap(a, b))
          problems.push(`${a.path} ${describeBox(a)} overlaps ${b.path} ${describeBox(b)}`);
    // Text: each leaf, each list of handled rows, each label row and the any-role box apart
    // from all the others, and each list inside its state.
    // A leaf's own rows are inside it (checked here), so the two are one block's parts.
    const blocks: { name: string; box: Box; owner: string }[] = [];
    for (const state of layout.states) {
      if (!state.compound) blocks.push({ name: state.path, box: state, owner: state.path });
      if (state.handled !== null) {
        blocks.push({ name: `${state.path}'s handled rows`, box: state.handled, owner: state.path });
        if (!inside(state.handled, state)) problems.push(`${state.path}'s rows are outside its box`);
      }
    }
    for (const edge of layout.edges)
      for (const row of edge.rows) blocks.push({ name: `label ${row.key}`, box: row, owner: row.key });
    if (layout.anyRole !== null) blocks.push({ name: 'any role', box: layout.anyRole, owner: '' });
    for (const [i, a] of blocks.entries())
      for (const b of blocks.slice(i + 1))
        if (a.owner !== b.owner && overlap(a.box, b.box))
          problems.push(`${a.name} ${describeBox(a.box)} overlaps ${b.name} ${describeBox(b.box)}`);
    // Everything on the canvas.
    const canvas = { x: 0, y: 0, width: layout.width, height: layout.height };
    for (const { name, box } of blocks) if (!inside(box, canvas)) problems.push(`${name} is off the canvas`);
    for (const edge of layout.edges) {
      if (edge.points.length < 2) problems.push(`${edge.id} has no route`);
      for (const p of edge.points)
        if (p.x < 0 || p.y < 0 || p.x > layout.width || p.y > layout.height)
          problems.push(`${edge.id} leaves the canvas`);
    }
    expect(problems).toEqual([]);
  });

  it('writes every state and transition as Mermaid stateDiagram-v2', () => {
    const text = chartMermaid(chartGraph(raftMachine));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('stateDiagram-v2');
    for (const state of states) expect(text).toContain(` as ${mermaidId(state.path)}`);
    for (const t of transitions) {
      const label = transitionLabel(t);
      const line = lines.find((l) =>
        l.split('<br/>').some((part) =>
          part
            .replace(/^.* : /, '')
            .trim()
            .startsWith(label),
        ),
      );
      expect(line, `${transitionKey(t)} is not in the Mermaid text`).toBeDefined();
      if (t.target === null) expect(text).toContain(`${label} (handled, no exit)`);
    }
  });

  it('writes only statements of the Mermaid state diagram grammar', () => {
    const text = chartMermaid(chartGraph(raftMachine));
    const id = '[A-Za-z0-9_]+';
    const label = '[^:;#<>"{}]*(?:(?:#\\d+;|<br/>)[^:;#<>"{}]*)*';
    const statement = [
      '%%.*',
      `(?:\\[\\*\\]|${id}) --> ${id}(?: : ${label})?`,
      `state "${label}" as ${id}(?: \\{)?`,
      '\\}',
      `${id} : ${label}`,
      `note (?:left|right) of ${id}`,
      'end note',
    ];
    const body = new RegExp(`^${label}$`);
    const statementLine = new RegExp(`^(?:${statement.join('|')})$`);
    let depth = 0;
    let inNote = false;
    for (const line of text.trimEnd().split('\n').slice(1)) {
      const trimmed = line.trim();
      if (inNote) {
        if (trimmed === 'end note') inNote = false;
        else expect(trimmed, 'a note line').toMatch(body);
        continue;
      }
      expect(trimmed, 'a Mermaid statement').toMatch(statementLine);
      if (trimmed.startsWith('note ')) inNote = true;
      if (trimmed.endsWith('{')) depth++;
      if (trimmed === '}') depth--;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
    expect(inNote).toBe(false);
  });

  it('is the same every time', async () => {
    const first = await diagramFiles();
    const second = await diagramFiles();
    expect(second).toEqual(first);
    expect(await layoutDiagram(chartGraph(raftMachine))).toEqual(
      await layoutDiagram(chartGraph(raftMachine)),
    );
  });

  it('is what docs/statechart.svg and docs/statechart.mmd hold', async () => {
    for (const [name, text] of Object.entries(await diagramFiles())) {
      const committed = readFileSync(join(ROOT, 'docs', name), 'utf8');
      expect(committed === text, `docs/${name} is not what the machine generates: run npm run diagram`).toBe(
        true,
      );
    }
  });

  it('is written by `raftchart diagram --out <dir>`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftchart-diagram-'));
    try {
      const result = spawnSync(process.execPath, ['dist/src/cli/main.js', 'diagram', '--out', dir], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.status, result.stderr).toBe(0);
      for (const [name, text] of Object.entries(await diagramFiles())) {
        expect(result.stdout).toContain(`wrote ${join(dir, name)}`);
        expect(readFileSync(join(dir, name), 'utf8') === text, name).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads in a browser: no Node built-in in its import graph, and it runs with Node hidden', async () => {
    for (const entry of ['dist/src/inspect/diagram-svg.js', 'dist/src/inspect/diagram-mermaid.js']) {
      const external = importGraph(entry).external.map((e) => e.specifier);
      expect(external.filter((s) => !/^(xstate|elkjs\/lib\/elk\.bundled\.js)$/.test(s))).toEqual([]);
    }
    // The build, run where importing a built-in throws and process, Buffer, global and
    // setImmediate are gone (test/package/fixtures/block-node.mjs), draws the same SVG.
    const script = join(ROOT, `dist/diagram-blocked-${process.pid}.mjs`);
    writeFileSync(
      script,
      [
        // Every browser has `self` (the bundled ELK finds its global object through it); Node has not.
        'globalThis.self = globalThis;',
        "const { raftMachine } = await import('./machines/index.js');",
        "const { statechartSvg } = await import('./src/inspect/diagram-svg.js');",
        'const svg = await statechartSvg(raftMachine);',
        'console.log(JSON.stringify(svg));',
        "globalThis[Symbol.for('block-node.done')]();",
      ].join('\n'),
    );
    try {
      const result = spawnSync(
        process.execPath,
        ['--conditions=browser', '--import', join(ROOT, 'test/package/fixtures/block-node.mjs'), script],
        {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 60_000,
          env: {
            ...process.env,
            RAFTCHART_BROWSER_PACKAGES: JSON.stringify(['xstate', 'pure-rand', 'elkjs']),
          },
        },
      );
      expect(result.status, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout) === (await statechartSvg(raftMachine))).toBe(true);
    } finally {
      rmSync(script, { force: true });
    }
  });
});
