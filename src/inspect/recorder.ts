/**
 * Records what enters a node's statechart, as the lines of a recording (recording.ts), into
 * any sink: a file for a real node (recording-file.ts), memory in a test or the page. It
 * listens to the node's `input` feed, which the node produces only for a listener attached
 * before it starts; so a recorder is attached before start(), and its first lines are the
 * header (what the node recovered) and the node's start. Browser-safe.
 */
import type { RaftContext } from '../../machines/index.js';
import type { RaftNode } from '../api/raft-node.js';
import { RaftError } from '../errors.js';
import type { InputRecord, NodeStep } from '../node/node-host.js';
import type { PersistedState } from '../node/providers.js';
import type { TimerKind } from '../node/timer-tap.js';
import type { RecordedInput, RecordingHeader } from './recording.js';
import { RECORDING_VERSION, encodeLine } from './recording.js';

/** Where a recorder's lines go. */
export interface RecordingSink {
  /** Whole lines, each ending in a newline. Never throws: a sink reports its own failures. */
  write(text: string): void;
  /**
   * Hands on what is buffered now; called after a section's first lines, so that a node
   * that crashes soon after starting still leaves its start behind.
   */
  flush?(): void;
  /** Everything written so far reaches its destination; resolves once it has. */
  close(): Promise<void>;
}

/** A recorder was attached to a node that has already started, so it would miss its start. */
export class RecorderTooLateError extends RaftError {
  constructor(readonly nodeId: string) {
    super(
      `node ${nodeId} has already started, so its recording would miss the state it started from ` +
        'and its first inputs: attach the recorder (recordNode) after creating the node and before start()',
    );
  }
}

export interface RecorderOptions {
  /**
   * Wall-clock ms at which the node's clock reads 0, written to the header so recordings
   * of several processes line up; leave it out for a simulation's shared virtual clock.
   */
  readonly timeOrigin?: number;
}

type AnyRaftNode = RaftNode<unknown, unknown>;

export class Recorder {
  readonly nodeId: string;
  readonly #node: AnyRaftNode;
  readonly #sink: RecordingSink;
  readonly #options: RecorderOptions;
  #context: RaftContext | null = null;
  #firstTimerDeadline: number | null = null;
  #inputs = 0;
  #bytes = 0;
  #closed: Promise<void> | null = null;
  #failure: Error | null = null;
  readonly #onStep = (step: NodeStep) => {
    this.#context = step.context;
  };
  readonly #onTimer = (kind: TimerKind, deadline: number | null) => {
    if (kind === 'electionTimeout' && deadline !== null) this.#firstTimerDeadline ??= deadline;
  };
  readonly #onInput = (record: InputRecord) => {
    // A recorder must never fail the node it records: on any error it stops, and says why.
    try {
      this.#record(record);
    } catch (error) {
      this.#failure ??= error instanceof Error ? error : new Error(String(error));
      this.#detachStart();
      this.#node.off('input', this.#onInput);
    }
  };

  /** Throws RecorderTooLateError if `node` has started. */
  constructor(node: AnyRaftNode, sink: RecordingSink, options: RecorderOptions = {}) {
    assertNotStarted(node);
    this.nodeId = node.id;
    this.#node = node;
    this.#sink = sink;
    this.#options = options;
    // The start's context and its first timer are read once, for the header and the first draw.
    node.on('step', this.#onStep);
    node.on('timer', this.#onTimer);
    node.on('input', this.#onInput);
  }

  /** Inputs recorded so far (the node's start included). */
  get inputs(): number {
    return this.#inputs;
  }

  /** Characters handed to the sink so far: the bytes written, but for non-ASCII text in commands. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Why recording stopped early (an input it could not encode), or null. */
  get failure(): Error | null {
    return this.#failure;
  }

  /** Stops recording and closes the sink, which writes out what it holds. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (() => {
      this.#detachStart();
      this.#node.off('input', this.#onInput);
      return this.#sink.close();
    })();
    return this.#closed;
  }

  #record(record: InputRecord): void {
    if (this.#closed !== null) return;
    if (this.#inputs === 0) {
      this.#write(encodeLine(this.#header()));
      this.#detachStart();
      // The host draws the first election timeout while it builds the actor, before the
      // start is an input it records; the timer it set says what was drawn.
      const drawn = record.electionTimeoutMs ?? this.#firstDraw(record.at);
      this.#writeInput({ ...record, event: { type: 'xstate.init' }, electionTimeoutMs: drawn });
      this.#sink.flush?.();
      return;
    }
    this.#writeInput(record);
  }

  #writeInput(record: InputRecord): void {
    const input: RecordedInput = {
      type: 'input',
      at: record.at,
      event: record.event as RecordedInput['event'],
      electionTimeoutMs: record.electionTimeoutMs,
      messages: record.messages,
      edits: record.edits,
    };
    this.#inputs++;
    this.#write(encodeLine(input));
  }

  #write(text: string): void {
    this.#bytes += text.length;
    this.#sink.write(text);
  }

  #header(): RecordingHeader {
    const context = this.#context;
    if (context === null) throw new Error(`recorder of node ${this.nodeId}: the node started without a step`);
    const { timeOrigin } = this.#options;
    return {
      type: 'recording',
      version: RECORDING_VERSION,
      node: context.id,
      peers: context.peers,
      timing: context.timing,
      noopOnElection: context.noopOnElection,
      limits: context.limits,
      features: context.features,
      config: context.baseConfig,
      recovered: plainPersisted(this.#node.recovered),
      ...(timeOrigin === undefined ? {} : { timeOrigin }),
    };
  }

  #firstDraw(at: number): number | null {
    const deadline = this.#firstTimerDeadline;
    // The node's clock may tick between reading `at` and setting the timer: whole ms only.
    return deadline === null ? null : Math.round(deadline - at);
  }

  #detachStart(): void {
    this.#node.off('step', this.#onStep);
    this.#node.off('timer', this.#onTimer);
  }
}

/** Records `node`'s inputs into `sink`; attach before `node.start()`. */
export function recordInputs(node: AnyRaftNode, sink: RecordingSink, options?: RecorderOptions): Recorder {
  return new Recorder(node, sink, options);
}

/** A sink that keeps the lines in memory (tests, the page). */
export class MemorySink implements RecordingSink {
  // Joined when read: appending to one long string copies it over and over.
  #parts: string[] = [];
  write(text: string): void {
    this.#parts.push(text);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  /** The recording so far. */
  get text(): string {
    if (this.#parts.length > 1) this.#parts = [this.#parts.join('')];
    return this.#parts[0] ?? '';
  }
}

/** Throws RecorderTooLateError once start() has built the node (its status answers from then on). */
export function assertNotStarted(node: AnyRaftNode): void {
  try {
    node.status();
  } catch {
    return; // not built yet: the node reads who listens to `input` when start() builds it
  }
  throw new RecorderTooLateError(node.id);
}

/** Only what the format holds: storage may hand back objects with more on them. */
function plainPersisted({ hardState, snapshot, entries }: PersistedState): PersistedState {
  return {
    hardState: { currentTerm: hardState.currentTerm, votedFor: hardState.votedFor },
    ...(snapshot === undefined
      ? {}
      : {
          snapshot: {
            index: snapshot.index,
            term: snapshot.term,
            data: snapshot.data,
            ...(snapshot.config === undefined ? {} : { config: snapshot.config }),
          },
        }),
    entries: entries.map(({ term, command, config }) => ({
      term,
      command,
      ...(config === undefined ? {} : { config }),
    })),
  };
}
