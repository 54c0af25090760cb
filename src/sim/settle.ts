/**
 * Waits until every promise job queued so far has run: one macrotask turn. Node's
 * setImmediate where there is one; a MessageChannel in a browser (setTimeout(0) would be
 * clamped to 4 ms after a few nested calls, which makes a long simulation crawl).
 */
interface Platform {
  setImmediate?: (callback: () => void) => unknown;
  MessageChannel?: new () => {
    // ref/unref exist in Node (where setImmediate is used anyway), not in browsers.
    port1: { onmessage: (() => void) | null; ref?: () => void; unref?: () => void };
    port2: { postMessage(message: null): void };
  };
}

// Read through unknown: the browser and Node declare these differently, and neither is assumed.
const platform = globalThis as unknown as Platform;
const waiting: (() => void)[] = [];
let post: (() => void) | undefined;

function viaMessageChannel(): Promise<void> {
  if (post === undefined) {
    if (platform.MessageChannel === undefined) throw new Error('settle needs setImmediate or MessageChannel');
    const channel = new platform.MessageChannel();
    const { port1, port2 } = channel;
    // A runtime that counts open ports holds its process open only while a settle is due.
    port1.onmessage = () => {
      waiting.shift()?.();
      if (waiting.length === 0) port1.unref?.();
    };
    post = () => {
      port1.ref?.();
      port2.postMessage(null);
    };
  }
  const send = post;
  return new Promise((resolve) => {
    waiting.push(resolve);
    send();
  });
}

export function settle(): Promise<void> {
  const immediate = platform.setImmediate;
  if (immediate === undefined) return viaMessageChannel();
  return new Promise((resolve) => immediate(resolve));
}
