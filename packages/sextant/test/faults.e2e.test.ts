import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import path from 'node:path';
import { freePort, waitFor } from '@sextant/testkit';
import { runCli, startDaemon, tempDir, type DaemonProcess } from './daemon-process';

/** The built daemon under faults it must survive: signals, a full disk, hostile clients. */

const SERVICES = `
services:
  - hostname: reviews.default.svc.cluster.local
    ports: [{ name: http, port: 9080, protocol: http }]
    instances:
      - { address: 10.0.1.11, port: 9080 }
`;

function config(xds: string, extra = ''): string {
  return `
listen:
  discovery: \${DISCOVERY}
  admin: \${ADMIN}
  xds: ${xds}
debounce: { after: 10ms, max: 100ms }
log: { level: info }
${extra}
adapters:
  - name: local
    type: file
    path: services.yaml
`;
}

async function start(extra = '', options: { stdout?: number } = {}): Promise<DaemonProcess> {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'services.yaml'), SERVICES);
  const daemon = await startDaemon(dir, config('127.0.0.1:0', extra), [], options);
  await waitFor(async () => (await fetch(`${daemon.admin}/readyz`)).ok, {
    timeoutMs: 15_000,
    message: () => `never ready:\n${daemon.output()}`,
  });
  return daemon;
}

/** GET with a Host header of our choosing (fetch does not let one set it), on a connection of its own. */
function getWithHost(base: string, pathname: string, host: string): Promise<number> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const request = http.get(
      { host: url.hostname, port: url.port, path: pathname, headers: { host }, agent: false },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
  });
}

async function sds(daemon: DaemonProcess): Promise<number> {
  return (await fetch(`${daemon.discovery}/v1/registration/reviews.default.svc.cluster.local|http`)).status;
}

describe('the daemon under faults', () => {
  const running: DaemonProcess[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((d) => (d.child.exitCode === null ? d.terminate() : undefined)));
  });

  it('reloads on SIGHUP and keeps serving, then exits 0 on SIGTERM', async () => {
    const daemon = await start();
    running.push(daemon);
    daemon.child.kill('SIGHUP');
    await waitFor(() => daemon.output().includes('configuration reloaded'), {
      timeoutMs: 10_000,
      message: () => `no log line for SIGHUP:\n${daemon.output()}`,
    });
    expect(daemon.child.exitCode).toBeNull();
    expect((await fetch(`${daemon.admin}/healthz`)).status).toBe(200);
    expect(await sds(daemon)).toBe(200);
    const { code } = await daemon.terminate();
    expect(code).toBe(0);
  });

  it('keeps serving with stdout on a full disk (/dev/full), and exits 0 on SIGTERM', async () => {
    const full = fs.openSync('/dev/full', 'w');
    let daemon: DaemonProcess;
    try {
      daemon = await start('', { stdout: full });
    } finally {
      fs.closeSync(full);
    }
    running.push(daemon);
    // Every request below is logged at info or warn, or fails a log write on the way.
    daemon.child.kill('SIGHUP');
    for (let i = 0; i < 20; i += 1) {
      expect((await fetch(`${daemon.admin}/healthz`)).status).toBe(200);
      expect(await sds(daemon)).toBe(200);
      expect((await fetch(`${daemon.discovery}/nothing/${i}`)).status).toBe(404);
    }
    expect(daemon.child.exitCode).toBeNull();
    const { code } = await daemon.terminate();
    expect(code).toBe(0);
    expect(daemon.output()).not.toMatch(/ENOSPC|Unhandled|Error/);
  });

  it('applies the limits and the admin host names of sextant.yaml', async () => {
    const daemon = await start(`
limits:
  discovery: { maxConnections: 1 }
  admin: { idleTimeout: 500ms }
  xds: { maxStreamsPerConnection: 7 }
admin:
  allowedHosts: [sextant.internal]
`);
    running.push(daemon);
    // admin on loopback: local names and configured ones, nothing else.
    expect(await getWithHost(daemon.admin, '/debug/registry', 'attacker.example')).toBe(403);
    expect(await getWithHost(daemon.admin, '/debug/registry', 'localhost:1')).toBe(200);
    expect(await getWithHost(daemon.admin, '/debug/registry', 'sextant.internal')).toBe(200);

    // admin closes a connection idle for 500 ms.
    const admin = new URL(daemon.admin);
    const idle = net.connect({ host: admin.hostname, port: Number(admin.port) });
    idle.on('error', () => undefined);
    let idleClosed = false;
    idle.on('close', () => (idleClosed = true));
    await waitFor(() => idleClosed, { timeoutMs: 15_000, message: 'the idle admin connection to close' });

    // discovery takes one connection at a time.
    const discovery = new URL(daemon.discovery);
    const held = net.connect({ host: discovery.hostname, port: Number(discovery.port) });
    held.on('error', () => undefined);
    held.write('GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => held.once('data', resolve));
    const refused = net.connect({ host: discovery.hostname, port: Number(discovery.port) });
    let answered = '';
    refused.on('data', (chunk: Buffer) => (answered += chunk.toString()));
    refused.on('error', () => undefined);
    refused.write('GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => refused.on('close', resolve));
    expect(answered).toBe('');
    held.destroy();

    // xds advertises its stream limit.
    const xdsAddress = /"listener":"xds","address":"([^"]+)"/.exec(daemon.output())?.[1];
    expect(xdsAddress).toBeDefined();
    const session = http2.connect(`http://${xdsAddress}`);
    try {
      const settings = await new Promise<http2.Settings>((resolve) =>
        session.once('remoteSettings', resolve),
      );
      expect(settings.maxConcurrentStreams).toBe(7);
    } finally {
      session.destroy();
    }
  });

  it('refuses a listen address without a host, naming the key and what to write', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'sextant.yaml');
    fs.writeFileSync(path.join(dir, 'services.yaml'), SERVICES);
    const port = await freePort();
    fs.writeFileSync(
      file,
      config(`":${port}"`, 'limits: { admin: { headersTimeout: 1m, idleTimeout: 0s } }'),
    );
    const { code, stderr } = await runCli(['validate', '--config', file], {
      ...process.env,
      DISCOVERY: '127.0.0.1:0',
      ADMIN: '127.0.0.1:0',
    });
    expect(code).toBe(1);
    expect(stderr).toContain(
      `listen.xds: ":${port}" has no host: write 0.0.0.0:${port} to listen on every interface, or 127.0.0.1:${port} for this machine only`,
    );
    expect(stderr).toContain(
      'limits.admin.headersTimeout: must not be longer than requestTimeout (30s): the headers are part of the request',
    );
    expect(stderr).toContain('limits.admin.idleTimeout: must be longer than 0');
  });
});
