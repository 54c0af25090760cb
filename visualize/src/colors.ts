/**
 * The page's colours for terms (log cells, node fill, term chips) and for nodes (their
 * identity: name chips, diagram markers): a term or a node has one colour everywhere.
 */
import type { NodeId } from '../../machines/index.js';

/** Term 0 (nothing elected yet) is neutral; then a cycle of well-separated hues. */
const TERM_COLOURS = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#76b7b2',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#86bcb6',
];

export function termColour(term: number): string {
  if (term <= 0) return '#c9ced6';
  return TERM_COLOURS[(term - 1) % TERM_COLOURS.length]!;
}

/** Text on a term colour: dark on the light ones, white on the rest. */
export function termInk(term: number): string {
  return luminance(termColour(term)) > 0.55 ? '#1f2328' : '#ffffff';
}

const NODE_COLOURS = [
  '#1b6ac9',
  '#c2410c',
  '#15803d',
  '#9333ea',
  '#be123c',
  '#0e7490',
  '#a16207',
  '#db2777',
  '#475569',
];

/** A node's identity colour, by its position in the source's ids. */
export function nodeColour(ids: readonly NodeId[], id: NodeId): string {
  const at = ids.indexOf(id);
  return NODE_COLOURS[(at < 0 ? 0 : at) % NODE_COLOURS.length]!;
}

/** Perceived brightness of a `#rrggbb` colour, 0 to 1. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16) / 255) as [
    number,
    number,
    number,
  ];
  return 0.299 * r + 0.587 * g + 0.114 * b;
}
