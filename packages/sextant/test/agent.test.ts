import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Registry } from '@sextant/core';
import { Renderer } from '@sextant/envoy';
import {
  CertificateAuthority,
  CertificateService,
  createWorkloadToken,
  createXdsServer,
  loadCaMaterial,
  ROOT_CERT_FILE as CA_ROOT_FILE,
  ServerMetrics,
  ServerTls,
  type CaMaterial,
  type XdsServer,
} from '@sextant/server';
import { createTestCa, waitFor, type IssuedCertificate, type TestCa } from '@sextant/testkit';
import pino from 'pino';
import {
  CERT_CHAIN_FILE,
  CertificateAgent,
  KEY_FILE,
  ROOT_CERT_FILE,
  type AgentClock,
  type CertificateAgentOptions,
} from '../src/agent/certificate-agent';
import { tempDir } from './daemon-process';

/**
 * `sextant agent` against a real CA on an xDS listener over TLS: the files it writes, renewal,
 * and a CA that goes away and comes back.
 */

const IDENTITY = 'spiffe://cluster.local/ns/default/sa/reviews';
jest.setTimeout(90_000);

let dir: string;
let serverPki: TestCa;
let serverCert: IssuedCertificate;
let material: CaMaterial;
let tokenFile: string;
const agents: CertificateAgent[] = [];
const servers: { xds: XdsServer; registry: Registry }[] = [];

beforeAll(async () => {
  dir = tempDir();
  serverPki = createTestCa(path.join(dir, 'pki'));
  serverCert = serverPki.issue('xds');
  material = await loadCaMaterial({ kind: 'directory', directory: path.join(dir, 'ca') }, 'cluster.local');
  tokenFile = path.join(dir, 'token');
  fs.writeFileSync(
    tokenFile,
    await createWorkloadToken(material, 'cluster.local', { identity: IDENTITY, ttlMs: 3600_000 }),
  );
});

afterAll(async () => {
  for (const agent of agents) agent.stop();
  await Promise.all(servers.map(({ xds, registry }) => (registry.close(), xds.close())));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A CA on an xDS listener, as the daemon runs it (client certificates asked for, not required). */
async function startCa(address = '127.0.0.1:0'): Promise<{ address: string; stop: () => Promise<void> }> {
  const logger = pino({ level: 'silent' });
  const registry = new Registry({ adapters: ['files'], debounce: { afterMs: 1, maxMs: 5 } });
  const renderer = new Renderer();
  const metrics = new ServerMetrics(registry, () => renderer.cache.stats());
  const ca = new CertificateAuthority(material, {
    trustDomain: 'cluster.local',
    workloadCertTtlMs: 3600_000,
    maxWorkloadCertTtlMs: 3600_000,
  });
  const xds = createXdsServer(registry, renderer, metrics, logger, {
    tls: new ServerTls(
      {
        certFile: serverCert.certFile,
        keyFile: serverCert.keyFile,
        clientCAFile: path.join(dir, 'ca', CA_ROOT_FILE),
        requireClientCert: false,
      },
      { listener: 'xds', logger },
    ),
    services: [new CertificateService(ca, { logger, prometheus: metrics.registry })],
    shutdownGraceMs: 100,
  });
  const entry = { xds, registry };
  servers.push(entry);
  const bound = await xds.listen(address);
  return {
    address: bound,
    stop: async () => {
      registry.close();
      await xds.close();
      servers.splice(servers.indexOf(entry), 1);
    },
  };
}

class Lines extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString().split('\n').filter(Boolean)) this.lines.push(JSON.parse(line));
    done();
  }
}

function agent(outDir: string, address: string, options: Partial<CertificateAgentOptions> = {}) {
  const log = new Lines();
  const made = new CertificateAgent({
    caAddress: address,
    tokenFile,
    outDir,
    caCertPem: serverPki.cert,
    identityHint: 'spiffe://cluster.local/ns/kube-system/sa/admin',
    logger: pino({ level: 'info' }, log),
    ...options,
  });
  agents.push(made);
  return { agent: made, log };
}

const file = (outDir: string, name: string) => path.join(outDir, name);
const leafOf = (outDir: string) => new X509Certificate(fs.readFileSync(file(outDir, CERT_CHAIN_FILE)));
const exists = (outDir: string) => fs.existsSync(file(outDir, CERT_CHAIN_FILE));

it('gets a certificate for the token’s identity and writes the three files, the key 0600', async () => {
  const ca = await startCa();
  const outDir = path.join(dir, 'first');
  const { agent: started, log } = agent(outDir, ca.address);
  await started.start();
  await waitFor(() => exists(outDir), { timeoutMs: 30_000, message: 'the certificate files' });
  expect(fs.readdirSync(outDir).sort()).toEqual([CERT_CHAIN_FILE, KEY_FILE, ROOT_CERT_FILE]);
  expect(fs.statSync(file(outDir, KEY_FILE)).mode & 0o777).toBe(0o600);
  expect(fs.statSync(file(outDir, CERT_CHAIN_FILE)).mode & 0o777).toBe(0o644);
  expect(fs.statSync(file(outDir, ROOT_CERT_FILE)).mode & 0o777).toBe(0o644);
  const leaf = leafOf(outDir);
  expect(leaf.subjectAltName).toBe(`URI:${IDENTITY}`);
  expect(
    leaf.checkPrivateKey(
      (await import('node:crypto')).createPrivateKey(fs.readFileSync(file(outDir, KEY_FILE))),
    ),
  ).toBe(true);
  expect(fs.readFileSync(file(outDir, ROOT_CERT_FILE), 'utf8')).toBe(material.rootPem);
  const written = log.lines.find((l) => l.msg === 'wrote a new workload certificate');
  expect(written).toMatchObject({ identity: IDENTITY });
  // Nothing secret in the log.
  const token = fs.readFileSync(tokenFile, 'utf8');
  const key = fs.readFileSync(file(outDir, KEY_FILE), 'utf8');
  const text = JSON.stringify(log.lines);
  expect(text).not.toContain(token.slice(0, 40));
  expect(text).not.toContain(key.split('\n')[1]);
  started.stop();
  await ca.stop();
});

it('renews before the certificate expires, by its certificate once it has one', async () => {
  const ca = await startCa();
  const outDir = path.join(dir, 'renewing');
  const { agent: started } = agent(outDir, ca.address, { validitySeconds: 6 });
  await started.start();
  await waitFor(() => exists(outDir), { timeoutMs: 30_000, message: 'the first certificate' });
  const first = leafOf(outDir);
  // The token goes away: renewals must be proven by the certificate.
  const saved = fs.readFileSync(tokenFile);
  fs.rmSync(tokenFile);
  try {
    await waitFor(() => leafOf(outDir).serialNumber !== first.serialNumber, {
      timeoutMs: 30_000,
      message: 'a renewed certificate',
    });
  } finally {
    fs.writeFileSync(tokenFile, saved);
  }
  const renewed = leafOf(outDir);
  expect(renewed.subjectAltName).toBe(`URI:${IDENTITY}`);
  // Renewed at half the lifetime: before the first expired.
  expect(fs.statSync(file(outDir, CERT_CHAIN_FILE)).mtimeMs).toBeLessThan(Date.parse(first.validTo));
  started.stop();
  await ca.stop();
});

it('keeps its files while the CA is down, retries with growing delays, and gets a certificate when it is back', async () => {
  let ca = await startCa();
  const address = ca.address;
  const outDir = path.join(dir, 'restart');
  const { agent: started, log } = agent(outDir, address, {
    validitySeconds: 4,
    backoff: { initialMs: 100, maxMs: 800 },
  });
  await started.start();
  await waitFor(() => exists(outDir), { timeoutMs: 30_000, message: 'the first certificate' });
  await ca.stop();
  const before = fs.readFileSync(file(outDir, CERT_CHAIN_FILE), 'utf8');
  await waitFor(
    () => log.lines.filter((l) => l.msg?.toString().startsWith('getting a certificate failed')).length >= 3,
    {
      timeoutMs: 30_000,
      message: 'three failed attempts',
    },
  );
  expect(fs.readFileSync(file(outDir, CERT_CHAIN_FILE), 'utf8')).toBe(before);
  const failures = log.lines.filter((l) => l.msg?.toString().startsWith('getting a certificate failed'));
  expect(failures.map((l) => l.attempt).slice(0, 3)).toEqual([1, 2, 3]);
  expect(failures[0]?.retryInMs).toBeGreaterThanOrEqual(50);
  expect(failures[0]?.retryInMs).toBeLessThanOrEqual(100);
  expect(failures[2]?.retryInMs).toBeGreaterThanOrEqual(200);
  ca = await startCa(address);
  await waitFor(() => fs.readFileSync(file(outDir, CERT_CHAIN_FILE), 'utf8') !== before, {
    timeoutMs: 30_000,
    message: 'a certificate from the restarted CA',
  });
  expect(leafOf(outDir).subjectAltName).toBe(`URI:${IDENTITY}`);
  started.stop();
  await ca.stop();
});

describe('with a test clock', () => {
  /** Timers that fire when the test says; records each delay asked for. */
  class TestClock implements AgentClock {
    delays: number[] = [];
    private pending: (() => void) | undefined;
    now = () => Date.now();
    setTimeout = (callback: () => void, ms: number) => {
      this.delays.push(ms);
      this.pending = callback;
      return callback;
    };
    clearTimeout = () => (this.pending = undefined);
    fire(): void {
      const callback = this.pending;
      this.pending = undefined;
      callback?.();
    }
  }

  it('schedules renewal at half the lifetime, and on a restart from the files on disk', async () => {
    const ca = await startCa();
    const outDir = path.join(dir, 'clock');
    const clock = new TestClock();
    const first = agent(outDir, ca.address, { clock, validitySeconds: 3600 }).agent;
    await first.start();
    expect(clock.delays).toEqual([0]);
    clock.fire();
    await waitFor(() => clock.delays.length === 2, {
      timeoutMs: 30_000,
      message: 'the renewal to be scheduled',
    });
    expect(clock.delays[1]).toBeGreaterThan(1790_000);
    expect(clock.delays[1]).toBeLessThanOrEqual(1800_000);
    first.stop();
    // A new agent (a restart) finds the certificate and waits for the same moment.
    const again = new TestClock();
    await agent(outDir, ca.address, { clock: again }).agent.start();
    expect(again.delays).toHaveLength(1);
    expect(again.delays[0]).toBeGreaterThan(1780_000);
    await ca.stop();
  });
});
