import { createServer, type Server } from 'node:net';

/**
 * Ports this process handed out lately. The OS may give a just-closed port back to the next
 * listener on port 0, so two asks in a row (a test's xDS port, then the daemon's discovery port)
 * could get the same one; remembering them makes every answer within a test process distinct.
 */
class RecentPorts {
  private readonly ports: number[] = [];
  constructor(private readonly limit: number) {}
  has(port: number): boolean {
    return this.ports.includes(port);
  }
  add(port: number): void {
    this.ports.push(port);
    if (this.ports.length > this.limit) this.ports.shift();
  }
}

const handedOut = new RecentPorts(512);

function listenOnAnyPort(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

function portOf(server: Server, host: string): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`no TCP port for ${host}`);
  return address.port;
}

const close = (server: Server): Promise<void> =>
  new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));

/**
 * `count` distinct TCP ports that were free a moment ago on `host`, none handed out before by this
 * process: all are held open together while they are picked, then closed. Another process may take
 * one before the caller listens on it, so use them right away, and prefer listening on port 0
 * directly where the code allows.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    // Bounded: each try holds its port, so the OS cannot offer it again within this call.
    for (let tries = 0; ports.length < count && tries < count + 64; tries += 1) {
      const server = await listenOnAnyPort(host);
      held.push(server);
      const port = portOf(server, host);
      if (!handedOut.has(port)) ports.push(port);
    }
  } finally {
    await Promise.all(held.map(close));
  }
  if (ports.length < count) throw new Error(`only ${ports.length} of ${count} free ports on ${host}`);
  for (const port of ports) handedOut.add(port);
  return ports;
}

/** One TCP port, as {@link freePorts} picks them. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, host);
  return port!;
}
