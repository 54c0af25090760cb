/**
 * `raftchart status`: every node's `GET /status` as one table (role, term, leader, commit
 * and applied index), with the nodes that do not answer shown as such.
 */

/** What the table shows of a node's `GET /status`. */
interface StatusFields {
  readonly id?: unknown;
  readonly role?: unknown;
  readonly term?: unknown;
  readonly leaderId?: unknown;
  readonly commitIndex?: unknown;
  readonly appliedIndex?: unknown;
  readonly failure?: unknown;
}

export interface NodeRow {
  readonly url: string;
  /** The node's status, or why there is none. */
  readonly status: StatusFields | { readonly problem: string };
}

/** Asks every node at once; a node has `timeoutMs` to answer. */
export async function readStatuses(
  urls: readonly string[],
  timeoutMs: number,
  fetchImpl: typeof globalThis.fetch = globalThis.fetch,
): Promise<NodeRow[]> {
  return Promise.all(
    urls.map(async (url): Promise<NodeRow> => {
      try {
        const response = await fetchImpl(`${url.replace(/\/+$/, '')}/status`, {
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await response.text();
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = null;
        }
        // 503 with a body: a failed node still says where it stopped.
        if (typeof body === 'object' && body !== null && 'role' in body) return { url, status: body };
        return { url, status: { problem: `answered ${response.status}, not a node's status` } };
      } catch (error) {
        return { url, status: { problem: describe(error) } };
      }
    }),
  );
}

const HEADER = ['node', 'role', 'term', 'leader', 'commit', 'applied', 'client'];

/** The table's lines, columns padded; the last column is the node's URL (and any problem). */
export function statusTable(rows: readonly NodeRow[]): string[] {
  const cells = rows.map(({ url, status }) => {
    if ('problem' in status) return ['-', 'no answer', '-', '-', '-', '-', `${url} (${status.problem})`];
    const failure = typeof status.failure === 'string' ? ` (failed: ${status.failure})` : '';
    return [
      text(status.id),
      text(status.role),
      text(status.term),
      text(status.leaderId),
      text(status.commitIndex),
      text(status.appliedIndex),
      `${url}${failure}`,
    ];
  });
  const all = [HEADER, ...cells];
  const widths = HEADER.map((_, column) => Math.max(...all.map((row) => row[column]!.length)));
  return all.map((row) =>
    row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  '),
  );
}

function text(value: unknown): string {
  return value === null || value === undefined ? '-' : String(value);
}

function describe(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return 'no answer in time';
  }
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused: is it running?';
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `${message} (${code})` : message;
}
