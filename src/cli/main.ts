#!/usr/bin/env node
/** The `raftchart` command line. */
import { Command, InvalidArgumentError } from 'commander';
import { randomInt } from 'node:crypto';
import { DEFAULT_CLUSTER_DIR } from './cluster-data.js';
import { addAdminCommands } from './admin-commands.js';
import { addKvCommands } from './kv-commands.js';

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
      // Each command loads what it needs: the key/value commands start faster without the machine.
      const { simulate } = await import('./simulate.js');
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
  .command('node')
  .description('run one real Raft node: WebSocket transport, file storage, HTTP client API, JSON logs')
  .option('-c, --config <file>', 'JSON config file with the options below (flags override it)')
  .option('--id <id>', "this node's id")
  .option('--listen <host:port>', 'where peers reach this node')
  .option(
    '--client <host:port>',
    'where the HTTP client API listens (the key/value API /kv/<key>, GET /status, GET /metrics)',
  )
  .option(
    '--peer <id=host:port>',
    'another node of the cluster (repeat for each)',
    (value: string, all: string[] = []) => [...all, value],
  )
  .option('--data <dir>', "this node's data directory (write-ahead log and snapshots)")
  .option(
    '--peer-client <id=host:port>',
    "another node's client API address, so a refusal can give the leader's URL (repeat for each)",
    (value: string, all: string[] = []) => [...all, value],
  )
  .option('--secret-file <file>', 'a file holding the cluster secret, 16+ characters (chmod 600)')
  .option(
    '--secret <secret>',
    'the cluster secret; visible to every user in ps, so prefer --secret-file or RAFTCHART_SECRET',
  )
  .option('--snapshot-every <entries>', 'snapshot the state machine every this many entries', integer(0))
  .option('--max-command-bytes <bytes>', 'largest command accepted, as JSON (default 1048576)', integer(1))
  .option('--max-command-depth <levels>', 'deepest nesting of a command accepted (default 100)', integer(1))
  .option('--log-level <level>', 'debug, info, warn or error')
  .option('--record <file>', "append what enters the node's statechart to <file>, for raftchart replay")
  .option(
    '--xstate-inspect <url>',
    "send the statechart actor's events to an XState inspector server (ws://...; or RAFTCHART_XSTATE_INSPECT)",
  )
  .option(
    '--inspect <host:port>',
    'serve the inspection feed (WebSocket) here; off loopback, clients need the token of the cluster secret',
  )
  .option(
    '--join',
    'join a running cluster (its members as --peer): start as no member, then add it with raftchart members add',
  )
  .option(
    '--add-self',
    'with --join: ask the cluster (through the --peer-client APIs) to add this node as a learner, ' +
      'and to promote it once it has caught up',
  )
  .option('--no-pre-vote', 'campaign without polling first (the Raft paper; default: pre-vote on)')
  .option('--no-check-quorum', 'no check-quorum and no leader stickiness (default: on)')
  .action(async (options: Record<string, unknown>, command: Command) => {
    // A --no-... flag's default (true) must not override the config file's setting.
    for (const flag of ['preVote', 'checkQuorum']) {
      if (command.getOptionValueSource(flag) === 'default') delete options[flag];
    }
    const { resolveNodeConfig } = await import('./node-config.js');
    const config = resolveNodeConfig(options, process.env, (message) =>
      console.error(`raftchart: warning: ${message}`),
    );
    const { runNode } = await import('./run-node.js');
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    process.once('SIGTERM', () => abort.abort());
    // Started by a supervisor (raftchart cluster) with an IPC channel: stop when it goes away,
    // even killed with SIGKILL, rather than run on orphaned. The channel alone keeps nothing alive.
    if (process.channel !== undefined) {
      process.channel.unref();
      process.once('disconnect', () => abort.abort());
    }
    await runNode(config, abort.signal);
  });

program
  .command('cluster')
  .description(
    'run a local cluster of real key/value nodes on 127.0.0.1 and serve the visualizer page and its API (kill, restart)',
  )
  .option('-n, --nodes <count>', 'number of nodes (1 to 9)', integer(1), 3)
  .option(
    '--http <host:port>',
    'where the page and the cluster API are served (default 127.0.0.1:8080, or a free port)',
  )
  .option(
    '--data <dir>',
    "the cluster's directory: data, logs, secret; reused across runs",
    DEFAULT_CLUSTER_DIR,
  )
  .option(
    '--fresh',
    'wipe the directory first (only one that raftchart cluster made) and start a new cluster',
  )
  .option(
    '--base-port <port>',
    "node i's ports: transport base+i, client API base+100+i, feed base+200+i",
    integer(1),
  )
  .option('--snapshot-every <entries>', "the nodes' --snapshot-every", integer(0))
  .action(
    async (options: {
      nodes: number;
      http?: string;
      data: string;
      fresh?: boolean;
      basePort?: number;
      snapshotEvery?: number;
    }) => {
      const { runCluster } = await import('./cluster.js');
      const abort = new AbortController();
      // `on`, not `once`: a second Ctrl-C while the nodes stop must not kill this process
      // before them (the nodes run in their own process group, and would be left running).
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => abort.abort());
      await runCluster({
        ...options,
        write: (line) => console.log(line),
        warn: (line) => console.error(line),
        signal: abort.signal,
      });
    },
  );

const io = {
  out: (line: string) => console.log(line),
  err: (line: string) => console.error(line),
  env: process.env,
};
addKvCommands(program, io);
addAdminCommands(program, io);

program
  .command('diagram')
  .description(
    'write the statechart diagram, generated from the machine: <dir>/statechart.svg and statechart.mmd',
  )
  .option('-o, --out <dir>', 'directory to write them to', 'docs')
  .action(async (options: { out: string }) => {
    // Loaded on demand: the layout library is large, and only this command needs it.
    const { writeDiagram } = await import('./diagram.js');
    for (const path of await writeDiagram(options.out)) console.log(`wrote ${path}`);
  });

program
  .command('chart')
  .description("print the Raft role statechart's states and transitions, read off the machine definition")
  .action(async () => {
    const [{ raftMachine }, { formatChartOutline }] = await Promise.all([
      import('../../machines/index.js'),
      import('../inspect/chart-outline.js'),
    ]);
    console.log(formatChartOutline(raftMachine));
  });

program
  .command('replay')
  .description(
    're-run recordings (node --record) through the pure machine; check each step reproduces its outputs',
  )
  .argument('<files...>', 'recording files, one per node')
  .action(async (files: string[]) => {
    const { replayFiles } = await import('./replay.js');
    process.exitCode = await replayFiles(files, {
      out: (line) => console.log(line),
      err: (line) => console.error(line),
    });
  });

try {
  await program.parseAsync();
} catch (error) {
  // Typed errors already say what to do: print the message, not a stack.
  console.error(`raftchart: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
  // A failed node must go, so its supervisor restarts it: nothing left open may hold it up.
  setTimeout(() => process.exit(1), 2000).unref();
}
