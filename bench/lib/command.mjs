/** The benchmark's command: a small key/value write whose JSON is exactly COMMAND_BYTES bytes. */

export const COMMAND_BYTES = 128;

const KEY_DIGITS = 8;
// {"k":"<8 digits>","v":"<filler>"}: 15 bytes of punctuation and names, plus the key.
const FILLER = 'x'.repeat(COMMAND_BYTES - 15 - KEY_DIGITS);

/** Command number `i`: a fresh object each time, as an application would build one. */
export function command(i) {
  return { k: String(i % 10 ** KEY_DIGITS).padStart(KEY_DIGITS, '0'), v: FILLER };
}

/** A value of `bytes` characters for the HTTP API (its JSON is a little longer: the quotes). */
export function value(bytes) {
  return 'v'.repeat(bytes);
}
