/**
 * Which source the page draws, read from its URL: a simulation by default (`?seed=&nodes=`
 * replays a run exactly), a live cluster (`?live=<supervisor URL>`) or recordings
 * (`?recording`, then a file picker). Pure: no DOM, so it is tested in Node.
 */

export type SourceChoice =
  | {
      readonly kind: 'simulation';
      readonly seed: number;
      readonly nodes: number;
      readonly unreliable: boolean;
      readonly speed: number;
      /** The seed was not in the URL: the page puts it there so a reload replays the run. */
      readonly seedChosen: boolean;
    }
  | {
      readonly kind: 'live';
      readonly supervisorUrl: string;
      /** inspectToken(secret), for nodes not on loopback. */
      readonly token: string | null;
    }
  | { readonly kind: 'recording' };

export const DEFAULT_NODES = 5;
export const MAX_NODES = 9;
export const SPEEDS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20] as const;
export const DEFAULT_SPEED = 1;

/** A URL option the page cannot use; the page shows the message instead of the cluster. */
export class SourceChoiceError extends Error {
  override readonly name = 'SourceChoiceError';
}

/** `randomSeed` is called only when the URL has no seed. */
export function chooseSource(search: string, randomSeed: () => number): SourceChoice {
  const params = new URLSearchParams(search);
  const live = params.get('live');
  if (live !== null) {
    if (live === '')
      throw new SourceChoiceError('?live= needs the supervisor URL, e.g. ?live=http://127.0.0.1:4000');
    return { kind: 'live', supervisorUrl: live.replace(/\/+$/, ''), token: params.get('token') };
  }
  if (params.has('recording')) return { kind: 'recording' };
  const seedText = params.get('seed');
  const seed = seedText === null ? randomSeed() : integer('seed', seedText, 0, Number.MAX_SAFE_INTEGER);
  const nodesText = params.get('nodes');
  const nodes = nodesText === null ? DEFAULT_NODES : integer('nodes', nodesText, 1, MAX_NODES);
  const speedText = params.get('speed');
  const speed = speedText === null ? DEFAULT_SPEED : Number(speedText);
  if (!(speed > 0 && speed <= 100))
    throw new SourceChoiceError(`speed must be a number in (0, 100], got ${speedText}`);
  const unreliable = ['1', 'true', ''].includes(params.get('unreliable') ?? 'no');
  return { kind: 'simulation', seed, nodes, unreliable, speed, seedChosen: seedText === null };
}

/** The page's URL with the simulation's seed and size in it (for `history.replaceState`). */
export function urlWithSeed(href: string, seed: number, nodes: number): string {
  const url = new URL(href);
  url.searchParams.set('seed', String(seed));
  url.searchParams.set('nodes', String(nodes));
  return url.toString();
}

function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new SourceChoiceError(`${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}
