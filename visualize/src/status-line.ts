/**
 * One line saying what the last control did: under way, done (with what it returned), or
 * why it failed. A failed control is news for the reader, not a console error.
 */
import { h, setText } from './dom.js';

export class StatusLine {
  readonly element = h('output', { class: 'status', 'data-testid': 'status', 'aria-live': 'polite' });

  busy(text: string): void {
    this.#show('busy', `${text}…`);
  }

  done(text: string): void {
    this.#show('done', `✓ ${text}`);
  }

  error(text: string): void {
    this.#show('error', `✗ ${text}`);
  }

  #show(kind: string, text: string): void {
    this.element.className = `status ${kind}`;
    setText(this.element, text);
  }
}
