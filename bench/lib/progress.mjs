/* global console, performance */
/** Progress lines on stdout, each stamped with the time since the run began. */

const began = performance.now();

/** Seconds since the run began. */
export function elapsedSeconds() {
  return (performance.now() - began) / 1000;
}

export function progress(message) {
  console.log(`[${elapsedSeconds().toFixed(1).padStart(6)}s] ${message}`);
}

/** A number of milliseconds, as people read it: 0.123 ms, 12.3 ms, 1234 ms. */
export function ms(value) {
  if (value === null || value === undefined) return '-';
  if (value < 1) return `${value.toFixed(3)} ms`;
  if (value < 100) return `${value.toFixed(2)} ms`;
  return `${value.toFixed(0)} ms`;
}
