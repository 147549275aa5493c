/** An address to listen on that cannot be used as written. */
export class ListenAddressError extends Error {
  override readonly name = 'ListenAddressError';
}

/**
 * `127.0.0.1:15003`, `[::1]:15003`, `0.0.0.0:15003` → host and port for `listen()`. The host is
 * required: an empty one (`:15003`) would listen on every interface without anyone having said so.
 */
export function parseListenAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(address);
  if (!match) throw new ListenAddressError(`not a listen address: "${address}" (expected host:port)`);
  const host = match[1] ?? match[2] ?? '';
  const port = Number(match[3]);
  if (host === '') {
    throw new ListenAddressError(
      `"${address}" has no host: write 0.0.0.0:${port} to listen on every interface, or 127.0.0.1:${port} for this machine only`,
    );
  }
  return { host, port };
}

/** host:port as clients write it (IPv6 bracketed). */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
