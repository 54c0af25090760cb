/** `raftchart diagram`: writes the statechart diagram, generated from the machine, to files. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnyStateMachine } from 'xstate';
import { raftMachine } from '../../machines/index.js';
import { chartGraph } from '../inspect/chart-graph.js';
import { chartMermaid } from '../inspect/diagram-mermaid.js';
import { statechartSvg } from '../inspect/diagram-svg.js';

/** The diagram's files, by name: what `writeDiagram` writes and the docs test compares. */
export async function diagramFiles(machine: AnyStateMachine = raftMachine): Promise<Record<string, string>> {
  return {
    'statechart.svg': await statechartSvg(machine),
    'statechart.mmd': chartMermaid(chartGraph(machine)),
  };
}

/** Writes `<dir>/statechart.svg` and `<dir>/statechart.mmd` (creating `dir`); returns their paths. */
export async function writeDiagram(dir: string, machine: AnyStateMachine = raftMachine): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, text] of Object.entries(await diagramFiles(machine))) {
    const path = join(dir, name);
    await writeFile(path, text);
    written.push(path);
  }
  return written;
}
