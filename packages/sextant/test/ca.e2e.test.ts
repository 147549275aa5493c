import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createTestCa, freePort, waitFor } from '@sextant/testkit';
import { runCli, sextantCommand, startDaemon, tempDir, type DaemonProcess } from './daemon-process';

/**
 * The VM walk-through of docs/security.md with the real daemon and CLI: a CA in a directory,
 * `sextant token create` for two workloads, `sextant agent` for each, certificates on disk, and
 * the daemon restarted under the agents.
 */

jest.setTimeout(180_000);

const WORKLOADS = {
  reviews: 'spiffe://cluster.local/ns/default/sa/reviews',
  ratings: 'spiffe://cluster.local/ns/default/sa/ratings',
} as const;

let dir: string;
let xdsAddress: string;
let config: string;
let daemon: DaemonProcess | undefined;
const agents: { child: ChildProcess; output: () => string }[] = [];

beforeAll(async () => {
  dir = tempDir();
  createTestCa(path.join(dir, 'pki')).issue('server');
  fs.writeFileSync(path.join(dir, 'services.yaml'), 'services: []\n');
  xdsAddress = `127.0.0.1:${await freePort()}`;
  config = `
listen:
  discovery: \${DISCOVERY}
  admin: \${ADMIN}
  xds:
    address: ${xdsAddress}
    tls: { certFile: pki/server.crt, keyFile: pki/server.key, clientCAFile: ca/root-cert.pem, requireClientCert: false }
ca: { directory: ca, workloadCertTTL: 1h }
adapters: [{ type: file, path: services.yaml }]
`;
  daemon = await startDaemon(dir, config);
}, 60_000);

afterAll(async () => {
  for (const agent of agents) if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
  if (daemon) await daemon.terminate();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function startAgent(name: string, tokenFile: string): { child: ChildProcess; output: () => string } {
  const child = spawn(
    ...sextantCommand([
      'agent',
      '--token-file',
      tokenFile,
      '--ca',
      xdsAddress,
      '--ca-cert',
      path.join(dir, 'pki', 'ca.crt'),
      '--out',
      path.join(dir, 'certs', name),
      '--cert-ttl',
      '6s',
    ]),
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const agent = { child, output: () => output };
  agents.push(agent);
  return agent;
}

const certFile = (name: string) => path.join(dir, 'certs', name, 'cert-chain.pem');
const leaf = (name: string) => new X509Certificate(fs.readFileSync(certFile(name)));

it('gives two workloads their certificates, from tokens to files, across a daemon restart', async () => {
  // The token command reads the same sextant.yaml, with the same environment.
  const env = {
    ...process.env,
    DISCOVERY: new URL(daemon?.discovery ?? '').host,
    ADMIN: new URL(daemon?.admin ?? '').host,
  };
  for (const [name, identity] of Object.entries(WORKLOADS)) {
    const created = await runCli(
      ['token', 'create', '--identity', identity, '--ttl', '1h', '--config', path.join(dir, 'sextant.yaml')],
      env,
    );
    expect(created).toMatchObject({ code: 0, stderr: '' });
    fs.writeFileSync(path.join(dir, `${name}.token`), created.stdout, { mode: 0o600 });
  }
  const running = Object.keys(WORKLOADS).map((name) => startAgent(name, path.join(dir, `${name}.token`)));
  for (const [name, identity] of Object.entries(WORKLOADS)) {
    await waitFor(() => fs.existsSync(certFile(name)), {
      timeoutMs: 60_000,
      message: () => `${name}'s certificate:\n${agents.map((a) => a.output()).join('\n')}`,
    });
    expect(leaf(name).subjectAltName).toBe(`URI:${identity}`);
    expect(fs.statSync(path.join(dir, 'certs', name, 'key.pem')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dir, 'certs', name, 'root-cert.pem'), 'utf8')).toBe(
      fs.readFileSync(path.join(dir, 'ca', 'root-cert.pem'), 'utf8'),
    );
  }
  const metrics = await (await fetch(`${daemon?.admin}/metrics`)).text();
  expect(metrics).toMatch(/sextant_ca_certificates_issued_total\{method="token"\} [2-9]/);

  // The daemon restarts (the same root, from ca/); the agents keep their files and renew after.
  const root = fs.readFileSync(path.join(dir, 'ca', 'root-cert.pem'), 'utf8');
  await daemon?.terminate();
  const before = leaf('reviews').serialNumber;
  daemon = await startDaemon(dir, config);
  expect(fs.readFileSync(path.join(dir, 'ca', 'root-cert.pem'), 'utf8')).toBe(root);
  // Retries back off up to 16 s apart by then: generous.
  await waitFor(() => leaf('reviews').serialNumber !== before, {
    timeoutMs: 90_000,
    message: () => `a renewal after the restart:\n${running[0]?.output()}`,
  });
  expect(leaf('reviews').subjectAltName).toBe(`URI:${WORKLOADS.reviews}`);

  for (const agent of running) {
    const exited = new Promise<number | null>((resolve) => agent.child.once('exit', resolve));
    agent.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }
  // No token or key in what the agents printed.
  const printed = running.map((a) => a.output()).join('\n');
  expect(printed).not.toContain(fs.readFileSync(path.join(dir, 'reviews.token'), 'utf8').trim().slice(0, 40));
  expect(printed).not.toContain('PRIVATE KEY');
});
