import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, formatProblem, silentLogger } from '@sextant/core';
import { loadConfig } from '../src/config/load-config';
import { nodeAuthorizationOn } from '../src/config/security-checks';
import { tempDir } from './daemon-process';

/** What sextant.yaml may say about listeners, the admin token and node authorization. */

const TLS = '{ certFile: tls.crt, keyFile: tls.key }';
const MTLS = '{ certFile: tls.crt, keyFile: tls.key, clientCAFile: ca.crt }';

async function problems(yaml: string): Promise<string[]> {
  const dir = tempDir();
  const file = path.join(dir, 'sextant.yaml');
  fs.writeFileSync(file, `${yaml}\nadapters: [{ type: file, path: services.yaml }]\n`);
  try {
    await loadConfig(file, { env: {}, logger: silentLogger });
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((p) => formatProblem({ ...p, file: 'sextant.yaml' }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function load(yaml: string) {
  const dir = tempDir();
  const file = path.join(dir, 'sextant.yaml');
  fs.writeFileSync(file, `${yaml}\nadapters: [{ type: file, path: services.yaml }]\n`);
  try {
    return (await loadConfig(file, { env: {}, logger: silentLogger })).config;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('security settings', () => {
  it('refuses admin beyond loopback without a token or required client certificates', async () => {
    expect(await problems('listen: { admin: 0.0.0.0:15000 }')).toEqual([
      expect.stringMatching(
        /listen\.admin: admin listens on 0\.0\.0\.0, beyond this machine, and shows the whole mesh: set admin\.tokenFile or require client certificates/,
      ),
    ]);
    expect(await problems(`listen: { admin: { address: 10.0.0.5:15000, tls: ${TLS} } }`)).toHaveLength(1);
    expect(
      await problems(
        `listen: { admin: { address: 10.0.0.5:15000, tls: { certFile: a, keyFile: b, clientCAFile: c, requireClientCert: false } } }`,
      ),
    ).toHaveLength(1);
  });

  it('lets admin listen beyond loopback with a token or with required client certificates', async () => {
    expect(await problems('listen: { admin: 0.0.0.0:15000 }\nadmin: { tokenFile: token }')).toEqual([]);
    expect(await problems(`listen: { admin: { address: 0.0.0.0:15000, tls: ${MTLS} } }`)).toEqual([]);
  });

  it('refuses requireClientCert without a client CA, and strict node authorization without client certificates', async () => {
    expect(
      await problems(
        'listen: { discovery: { address: 127.0.0.1:1, tls: { certFile: a, keyFile: b, requireClientCert: true } } }',
      ),
    ).toEqual([
      expect.stringContaining(
        'listen.discovery.tls.requireClientCert: needs tls.clientCAFile: the CA that client certificates are verified against',
      ),
    ]);
    expect(
      await problems(
        `listen: { discovery: { address: 127.0.0.1:1, tls: ${MTLS} } }\nsecurity: { nodeAuthorization: strict }`,
      ),
    ).toEqual([
      expect.stringContaining(
        'security.nodeAuthorization: strict needs listen.xds to require client certificates (tls.clientCAFile)',
      ),
    ]);
  });

  it('checks nodes by default on the listeners that require client certificates, and not when off', async () => {
    const mixed = await load(
      `listen: { discovery: { address: 127.0.0.1:1, tls: ${MTLS} }, xds: { address: 127.0.0.1:2, tls: ${TLS} } }`,
    );
    expect(nodeAuthorizationOn(mixed, 'discovery')).toBe(true);
    expect(nodeAuthorizationOn(mixed, 'xds')).toBe(false);
    const off = await load(
      `listen: { discovery: { address: 127.0.0.1:1, tls: ${MTLS} } }\nsecurity: { nodeAuthorization: off }`,
    );
    expect(nodeAuthorizationOn(off, 'discovery')).toBe(false);
  });
});
