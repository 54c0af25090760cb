/**
 * A recording on disk (Node only): lines are buffered in memory and appended to the file in
 * large writes (at 64 KiB, and at least every 200 ms; a new section's first lines at once),
 * never synced line by line, so recording stays cheap enough to leave on. Closing writes out
 * everything buffered; a crash of the process loses what was still buffered (up to 200 ms of
 * inputs), a crash of the machine what the OS had not written yet, and either may cut the
 * last line short, which the parser skips. A restarted node appends a new section.
 */
import { createWriteStream, fstatSync, openSync, readSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import type { RaftNode } from '../api/raft-node.js';
import { RaftError } from '../errors.js';
import type { Recorder, RecorderOptions, RecordingSink } from './recorder.js';
import { assertNotStarted, recordInputs } from './recorder.js';

const FLUSH_BYTES = 64 * 1024;
const FLUSH_INTERVAL_MS = 200;

/** The recording file could not be opened or written; the recording stops, the node does not. */
export class RecordingFileError extends RaftError {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(
      `cannot write the recording ${path}: ${cause instanceof Error ? cause.message : String(cause)}; ` +
        'record to a writable file on a disk with space (or drop --record)',
      { cause },
    );
  }
}

export class RecordingFile implements RecordingSink {
  readonly path: string;
  readonly #stream: WriteStream;
  readonly #timer: ReturnType<typeof setInterval>;
  #buffer: string;
  #failure: RecordingFileError | null = null;
  readonly #onError: (error: RecordingFileError) => void;
  #closed: Promise<void> | null = null;

  /** Opens `path` for appending (creating it); throws RecordingFileError if it cannot. */
  constructor(path: string, onError: (error: RecordingFileError) => void = () => {}) {
    this.path = path;
    this.#onError = onError;
    let fd: number;
    try {
      fd = openSync(path, 'a+');
      // After a crash the file may end mid-line: a new section starts on a line of its own.
      this.#buffer = endsMidLine(fd) ? '\n' : '';
    } catch (error) {
      throw new RecordingFileError(path, error);
    }
    this.#stream = createWriteStream(path, { fd, flags: 'a' });
    this.#stream.on('error', (error) => this.#fail(error));
    this.#timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Why writing stopped, or null. */
  get failure(): RecordingFileError | null {
    return this.#failure;
  }

  write(text: string): void {
    if (this.#failure !== null || this.#closed !== null) return;
    this.#buffer += text;
    if (this.#buffer.length >= FLUSH_BYTES) this.flush();
  }

  /** Hands what is buffered to the file now (to the OS: not synced to the disk). */
  flush(): void {
    if (this.#buffer === '' || this.#failure !== null) return;
    this.#stream.write(this.#buffer);
    this.#buffer = '';
  }

  /** Writes out what is buffered and closes the file; rejects if any write failed. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve, reject) => {
      clearInterval(this.#timer);
      this.flush();
      // A failed write reaches end's callback before the stream's 'error' event; and if the
      // write already destroyed the stream, end's callback only says so (ERR_STREAM_DESTROYED)
      // while the write's own error is still on its way: wait for that one, the cause.
      const done = (error?: unknown) => {
        if (isDestroyedStream(error) && this.#failure === null) return;
        if (error !== undefined && error !== null) this.#fail(error);
        if (this.#failure === null) resolve();
        else reject(this.#failure);
      };
      this.#stream.end(done);
      this.#stream.once('error', done);
    });
    return this.#closed;
  }

  #fail(error: unknown): void {
    if (this.#failure !== null) return;
    this.#failure = new RecordingFileError(this.path, error);
    this.#buffer = '';
    this.#onError(this.#failure);
  }
}

export interface RecordNodeOptions extends RecorderOptions {
  /** Called once if the file cannot be written; the node carries on unrecorded. */
  readonly onError?: (error: RecordingFileError) => void;
}

/**
 * Records `node` to the file at `path` (appended: a new section per start). Call it before
 * `node.start()` (else RecorderTooLateError, and no file is touched); `close()` the recorder
 * after stopping the node to write out the last lines.
 */
export function recordNode(
  node: RaftNode<unknown, unknown>,
  path: string,
  options: RecordNodeOptions = {},
): Recorder {
  assertNotStarted(node);
  const { onError, ...recorderOptions } = options;
  return recordInputs(node, new RecordingFile(path, onError), recorderOptions);
}

function endsMidLine(fd: number): boolean {
  const { size } = fstatSync(fd);
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] !== 0x0a;
}

function isDestroyedStream(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ERR_STREAM_DESTROYED';
}
