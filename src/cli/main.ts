#!/usr/bin/env node
/** The `raftchart` command line. */
import { Command, InvalidArgumentError } from 'commander';
import { randomInt } from 'node:crypto';
import { raftMachine } from '../../machines/index.js';
import { formatChartOutline } from '../inspect/chart-outline.js';
import { simulate } from './simulate.js';

function integer(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(`expected an integer of at least ${min}`);
    return n;
  };
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of at least 0');
  return n;
}

const program = new Command()
  .name('raftchart')
  .description('Raft consensus as XState statecharts')
  .showHelpAfterError();

program
  .command('sim')
  .description('run a simulated cluster in the terminal and print role changes and terms as they happen')
  .option('-n, --nodes <count>', 'number of nodes', integer(1), 5)
  .option(
    '-s, --seed <seed>',
    'seed of the run (default: random); the same seed replays the same run',
    integer(0),
  )
  .option('--speed <factor>', 'virtual seconds per real second; 0 runs as fast as possible', nonNegative, 1)
  .option(
    '-d, --duration <seconds>',
    'stop after this many virtual seconds (default: until Ctrl-C)',
    nonNegative,
  )
  .option('--no-chaos', 'no partitions or crashes: just the cluster')
  .action(
    async (options: { nodes: number; seed?: number; speed: number; duration?: number; chaos: boolean }) => {
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      await simulate({
        nodes: options.nodes,
        seed: options.seed ?? randomInt(2 ** 31),
        speed: options.speed,
        ...(options.duration === undefined ? {} : { durationMs: options.duration * 1000 }),
        chaos: options.chaos,
        write: (line) => console.log(line),
        signal: abort.signal,
      });
    },
  );

program
  .command('chart')
  .description("print the Raft role statechart's states and transitions, read off the machine definition")
  .action(() => {
    console.log(formatChartOutline(raftMachine));
  });

await program.parseAsync();
