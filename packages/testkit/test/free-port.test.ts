import { createServer, type Server } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { freePort, freePorts, waitFor } from '../src';

const openServers = (): number =>
  process.getActiveResourcesInfo().filter((type) => type === 'TCPServerWrap').length;

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('freePort', () => {
  it('returns a port that can then be listened on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const server = await listen(port);
    expect(server.address()).toMatchObject({ port });
    await new Promise((resolve) => server.close(resolve));
  });

  it('leaves no server open', async () => {
    await waitFor(() => openServers() === 0, { message: 'servers of other tests to close' });
    await freePort();
    // The listener's handle is released on the event loop's next close phase, just after close() reports.
    await waitFor(() => openServers() === 0, { timeoutMs: 1000, message: 'the probe listener to close' });
  });
});

describe('freePorts', () => {
  it('never hands the same port out twice in one process, within a call or across calls', async () => {
    const ports = [...(await freePorts(20)), await freePort(), ...(await freePorts(20))];
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('leaves no server open', async () => {
    await waitFor(() => openServers() === 0, { message: 'servers of other tests to close' });
    await freePorts(5);
    await waitFor(() => openServers() === 0, { timeoutMs: 1000, message: 'the probe listeners to close' });
  });
});
