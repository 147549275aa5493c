import { createServer } from 'node:net';

/**
 * A TCP port that was free a moment ago on `host`: the OS picks one for a listener on port 0,
 * which is then closed. Another process may take it before the caller listens on it, so use it
 * for fakes started right away, and prefer listening on port 0 directly where the code allows.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close((error) => {
        if (error) reject(error);
        else if (address === null || typeof address === 'string')
          reject(new Error(`no TCP port for ${host}`));
        else resolve(address.port);
      });
    });
  });
}
