/**
 * Whether an address, or a web page's origin, is this machine's loopback: what the
 * inspection feed and the control endpoints trust without a token (only local users and
 * pages served from this machine can reach or be them).
 */

/** A host to bind or a peer's address: 127.0.0.0/8, ::1 (also IPv4-mapped), or `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const lower = bare.toLowerCase();
  if (lower === 'localhost' || lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
  const v4 = lower.startsWith('::ffff:') ? lower.slice('::ffff:'.length) : lower;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * A browser's `Origin` header names a page served from loopback (`http://127.0.0.1:5173`,
 * `http://localhost:8080`). A page from anywhere else, or an opaque origin (`null`), does not:
 * it must not drive a local node through the user's browser.
 */
export function isLoopbackOrigin(origin: string): boolean {
  try {
    return isLoopbackHost(new URL(origin).hostname);
  } catch {
    return false;
  }
}
