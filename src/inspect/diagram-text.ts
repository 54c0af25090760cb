/**
 * The diagram's fonts and how much room its text takes. There is no DOM to measure text in
 * Node, so sizes come from font metrics: transitions are set in a monospace font (one advance
 * for every character), and state names in a sans-serif font measured with a generous average
 * width. The layout sizes boxes with these; the SVG sets text in the same fonts.
 */
import { transitionLabel, triggerLabel } from './chart-graph.js';
import type { ChartTransition } from './chart-outline.js';

export interface DiagramFont {
  /** CSS font-family list. */
  readonly family: string;
  readonly size: number;
  readonly weight: number;
  readonly lineHeight: number;
  /** Width of one character in em: exact for monospace, an upper average for sans-serif. */
  readonly advance: number;
}

/** Transition rows and labels. 0.61em covers the common monospace fonts (0.55-0.602em). */
export const LABEL_FONT: DiagramFont = {
  family: "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', 'Liberation Mono', monospace",
  size: 12,
  weight: 400,
  lineHeight: 16,
  advance: 0.61,
};

/** State names. */
export const TITLE_FONT: DiagramFont = {
  family: "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, 'DejaVu Sans', sans-serif",
  size: 15,
  weight: 700,
  lineHeight: 20,
  advance: 0.68,
};

/** Wrap a transition's actions at this many characters a line. */
export const ROW_CHARS = 46;

/** The width `text` takes set in `font`. */
export function textWidth(text: string, font: DiagramFont): number {
  return Math.ceil(text.length * font.size * font.advance);
}

/** The width of the widest of `lines`. */
export function linesWidth(lines: readonly string[], font: DiagramFont): number {
  return Math.max(0, ...lines.map((line) => textWidth(line, font)));
}

/**
 * A transition as lines of text: `event [guard] / actions` on one line when it fits, else the
 * trigger on the first line and the actions after it, wrapped between names.
 */
export function transitionLines(t: ChartTransition, maxChars = ROW_CHARS): string[] {
  const oneLine = transitionLabel(t);
  if (t.actions.length === 0 || oneLine.length <= maxChars) return [oneLine];
  const lines = [triggerLabel(t)];
  let line = '  /';
  for (const [i, action] of t.actions.entries()) {
    const word = i < t.actions.length - 1 ? `${action},` : action;
    if (line.length + 1 + word.length > maxChars && line.trim() !== '/') {
      lines.push(line);
      line = `    ${word}`;
    } else line = `${line} ${word}`;
  }
  lines.push(line);
  return lines;
}
