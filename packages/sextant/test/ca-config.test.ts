import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { ConfigError, formatProblem, silentLogger } from '@sextant/core';
import { loadCaMaterial, verifyWorkloadToken } from '@sextant/server';
import { createTestCa } from '@sextant/testkit';
import { main } from '../src/cli';
import { loadConfig } from '../src/config/load-config';
import { tempDir } from './daemon-process';

/** `ca:` in sextant.yaml, and `sextant token create`. */

const XDS_TLS = 'listen: { xds: { address: 127.0.0.1:15010, tls: { certFile: tls.crt, keyFile: tls.key } } }';
let dir: string;

beforeAll(() => (dir = tempDir()));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, yaml: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${yaml}\nadapters: [{ type: file, path: services.yaml }]\n`);
  return file;
}

async function problems(yaml: string): Promise<string[]> {
  try {
    await loadConfig(writeConfig('problems.yaml', yaml), { env: {}, logger: silentLogger });
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((p) => formatProblem({ ...p, file: 'sextant.yaml' }));
  }
}

describe('ca settings', () => {
  it('take a directory, or certFile and keyFile, with defaults filled', async () => {
    expect(await problems(`${XDS_TLS}\nca: { directory: ca }`)).toEqual([]);
    expect(
      await problems(`${XDS_TLS}\nca: { certFile: ca.crt, keyFile: ca.key, chainFile: chain.pem }`),
    ).toEqual([]);
    const loaded = await loadConfig(writeConfig('defaults.yaml', `${XDS_TLS}\nca: { directory: ca }`), {
      env: {},
      logger: silentLogger,
    });
    expect(loaded.config.ca).toEqual({
      directory: 'ca',
      trustDomain: 'cluster.local',
      workloadCertTTL: '24h',
    });
  });

  it('refuse both sources or none, half a pair, a chain without a certificate, and odd validities', async () => {
    expect(await problems(`${XDS_TLS}\nca: { directory: ca, certFile: a, keyFile: b }`)).toEqual([
      expect.stringContaining('set either certFile and keyFile (your CA) or directory'),
    ]);
    expect(await problems(`${XDS_TLS}\nca: { trustDomain: example.org }`)).toEqual([
      expect.stringContaining('needs certFile and keyFile (your CA), or directory'),
    ]);
    expect(await problems(`${XDS_TLS}\nca: { certFile: a }`)).toEqual([
      expect.stringContaining('certFile and keyFile go together'),
    ]);
    expect(await problems(`${XDS_TLS}\nca: { directory: ca, chainFile: c }`)).toEqual([
      expect.stringContaining('ca.chainFile: is served after certFile'),
    ]);
    expect(await problems(`${XDS_TLS}\nca: { directory: ca, workloadCertTTL: 30s }`)).toEqual([
      expect.stringContaining('ca.workloadCertTTL: must be at least 1m'),
    ]);
    expect(
      await problems(`${XDS_TLS}\nca: { directory: ca, workloadCertTTL: 24h, maxWorkloadCertTTL: 1h }`),
    ).toEqual([
      expect.stringContaining('ca.maxWorkloadCertTTL: must not be shorter than workloadCertTTL (24h)'),
    ]);
    expect(await problems(`${XDS_TLS}\nca: { directory: ca, trustDomain: "Bad Domain" }`)).toHaveLength(1);
  });

  it('refuse a CA on a plaintext xDS listener', async () => {
    expect(await problems('ca: { directory: ca }')).toEqual([
      expect.stringContaining('ca: needs listen.xds.tls'),
    ]);
  });

  it('make one trust domain of ca.trustDomain and security.meshTls.trustDomain, whichever is given', async () => {
    const trustDomains = async (yaml: string) => {
      const { config } = await loadConfig(writeConfig('trust.yaml', `${XDS_TLS}\n${yaml}`), {
        env: {},
        logger: silentLogger,
      });
      return { ca: config.ca?.trustDomain, meshTls: config.security.meshTls.trustDomain };
    };
    expect(await trustDomains('ca: { directory: ca, trustDomain: example.org }')).toEqual({
      ca: 'example.org',
      meshTls: 'example.org',
    });
    expect(
      await trustDomains('ca: { directory: ca }\nsecurity: { meshTls: { trustDomain: example.org } }'),
    ).toEqual({ ca: 'example.org', meshTls: 'example.org' });
    expect(
      await trustDomains(
        'ca: { directory: ca, trustDomain: example.org }\nsecurity: { meshTls: { trustDomain: example.org } }',
      ),
    ).toEqual({ ca: 'example.org', meshTls: 'example.org' });
    expect(await trustDomains('ca: { directory: ca }')).toEqual({
      ca: 'cluster.local',
      meshTls: 'cluster.local',
    });
    // Without a CA of Sextant's, the mesh's trust domain is the operator's CA's, given alone.
    expect(await trustDomains('security: { meshTls: { trustDomain: example.org } }')).toEqual({
      ca: undefined,
      meshTls: 'example.org',
    });
  });

  it('refuse two different trust domains, naming both (sextant exits 2)', async () => {
    const yaml = `${XDS_TLS}\nca: { directory: ca, trustDomain: example.org }\nsecurity: { meshTls: { trustDomain: cluster.local } }`;
    expect(await problems(yaml)).toEqual([
      expect.stringMatching(
        /security\.meshTls\.trustDomain: is cluster\.local, but ca\.trustDomain is example\.org: the CA issues the mesh's identities/,
      ),
    ]);
    const { code, stderr } = await cli(['--config', writeConfig('two-domains.yaml', yaml)]);
    expect(code).toBe(2);
    expect(stderr).toContain('but ca.trustDomain is example.org');
  });

  it('pass sextant validate with a CA and every security.meshTls key, and fail it when the trust domains differ', async () => {
    fs.writeFileSync(path.join(dir, 'services.yaml'), 'services: []\n');
    const meshTls = 'meshTls: { certsDir: /etc/certs, rootNamespace: mesh-root, trustDomain: example.org }';
    const yaml = [
      'listen: { xds: { address: 127.0.0.1:15010, tls: { certFile: validate-pki/server.crt, keyFile: validate-pki/server.key, clientCAFile: validate-ca/root-cert.pem, requireClientCert: false } } }',
      'ca: { directory: validate-ca, trustDomain: example.org, workloadCertTTL: 1h, maxWorkloadCertTTL: 2h }',
      `security: { nodeAuthorization: off, ${meshTls} }`,
    ].join('\n');
    createTestCa(path.join(dir, 'validate-pki')).issue('server');
    const valid = await cli(['validate', '--config', writeConfig('validate.yaml', yaml)]);
    expect(valid).toMatchObject({ code: 0, stderr: '' });
    expect(valid.stdout).toContain('validate.yaml: ok');
    const conflicting = await cli([
      'validate',
      '--config',
      writeConfig(
        'validate-two.yaml',
        yaml.replace('trustDomain: example.org }', 'trustDomain: cluster.local }'),
      ),
    ]);
    expect(conflicting.code).not.toBe(0);
    expect(conflicting.stdout + conflicting.stderr).toContain(
      'security.meshTls.trustDomain: is cluster.local, but ca.trustDomain is example.org',
    );
  });
});

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = Object.assign(new Capture(), { fd: 1 });
  const stderr = new Capture();
  const code = await main(args, { env: {}, cwd: dir, stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('sextant token create', () => {
  const IDENTITY = 'spiffe://cluster.local/ns/default/sa/reviews';

  it('prints a token signed with the CA key, for the identity, audience and time asked', async () => {
    const config = writeConfig('token.yaml', `${XDS_TLS}\nca: { directory: token-ca }`);
    const { code, stdout, stderr } = await cli([
      'token',
      'create',
      '--identity',
      IDENTITY,
      '--ttl',
      '2h',
      '--config',
      config,
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const material = await loadCaMaterial(
      { kind: 'directory', directory: path.join(dir, 'token-ca') },
      'cluster.local',
    );
    const token = stdout.trim();
    expect((await verifyWorkloadToken(token, material, 'cluster.local')).uri).toBe(IDENTITY);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<
      string,
      unknown
    >;
    expect(claims).toMatchObject({
      sub: IDENTITY,
      aud: 'sextant-ca',
      iss: 'spiffe://cluster.local/sextant-ca',
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(7200);
    expect(typeof claims.jti).toBe('string');
    // Valid for 2 hours only.
    await expect(
      verifyWorkloadToken(token, material, 'cluster.local', { now: Date.now() + 3 * 3600 * 1000 }),
    ).rejects.toThrow('the token has expired');

    const other = await cli([
      'token',
      'create',
      '--identity',
      IDENTITY,
      '--audience',
      'mine',
      '--config',
      config,
    ]);
    expect(other.code).toBe(0);
    await expect(verifyWorkloadToken(other.stdout.trim(), material, 'cluster.local')).rejects.toThrow(
      'the token is for another audience',
    );
  });

  it('signs with an operator-given CA key', async () => {
    const pki = createTestCa(path.join(dir, 'pki'));
    const config = writeConfig(
      'given.yaml',
      `${XDS_TLS}\nca: { certFile: ${pki.certFile}, keyFile: ${pki.keyFile} }`,
    );
    const { code, stdout } = await cli(['token', 'create', '--identity', IDENTITY, '--config', config]);
    expect(code).toBe(0);
    const material = await loadCaMaterial(
      { kind: 'files', certFile: pki.certFile, keyFile: pki.keyFile },
      'x',
    );
    expect((await verifyWorkloadToken(stdout.trim(), material, 'cluster.local')).uri).toBe(IDENTITY);
  });

  it('refuses an identity of another trust domain, a bad ttl, and a config without ca (exit 2)', async () => {
    const config = writeConfig('refuse.yaml', `${XDS_TLS}\nca: { directory: refuse-ca }`);
    const foreign = await cli([
      'token',
      'create',
      '--identity',
      'spiffe://other.org/ns/a/sa/b',
      '--config',
      config,
    ]);
    expect(foreign).toMatchObject({ code: 2, stdout: '' });
    expect(foreign.stderr).toContain(
      '--identity is in trust domain other.org; the CA issues for cluster.local',
    );
    expect((await cli(['token', 'create', '--identity', 'reviews', '--config', config])).code).toBe(2);
    expect(
      (await cli(['token', 'create', '--identity', IDENTITY, '--ttl', 'forever', '--config', config])).code,
    ).toBe(2);
    const none = await cli([
      'token',
      'create',
      '--identity',
      IDENTITY,
      '--config',
      writeConfig('none.yaml', ''),
    ]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('configures no CA (ca:)');
    const unreadable = writeConfig(
      'unreadable.yaml',
      `${XDS_TLS}\nca: { certFile: nope.crt, keyFile: nope.key }`,
    );
    const missing = await cli(['token', 'create', '--identity', IDENTITY, '--config', unreadable]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/ca\.certFile: cannot read .*nope\.crt: ENOENT/);
  });
});
