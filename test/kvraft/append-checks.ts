/**
 * The course's checks of an appended value: every element a client appended is there,
 * exactly once, in the order it was appended.
 */
import { KvraftFailure } from './kvraft-failure.js';

/** Client `clnt`'s elements "x clnt 0 y" .. "x clnt count-1 y" in `v`, each once, in order. */
export function checkClntAppends(clnt: number, v: string, count: number): void {
  let lastoff = -1;
  for (let j = 0; j < count; j++) {
    const wanted = `x ${clnt} ${j} y`;
    const off = v.indexOf(wanted);
    if (off < 0) throw new KvraftFailure(`${clnt} missing element ${wanted} in Append result ${v}`);
    const off1 = v.lastIndexOf(wanted);
    if (off1 !== off) throw new KvraftFailure(`duplicate element ${wanted} in Append result`);
    if (off <= lastoff) throw new KvraftFailure(`wrong order for element ${wanted} in Append result`);
    lastoff = off;
  }
}

/** checkClntAppends for every client i with counts[i] elements, all in one value. */
export function checkConcurrentAppends(v: string, counts: readonly number[]): void {
  counts.forEach((count, i) => checkClntAppends(i, v, count));
}
