import { createServer } from 'node:net';

/**
 * Listens on `port` (where a stopped fake Consul was) for `ms`, resetting every connection at once,
 * and resolves with how many were attempted: how hard a client retries while Consul is down.
 */
export async function countConnectionAttempts(port: number, ms: number): Promise<number> {
  let attempts = 0;
  const server = createServer((socket) => {
    attempts += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  await new Promise((resolve) => setTimeout(resolve, ms));
  await new Promise((resolve) => server.close(resolve));
  return attempts;
}
