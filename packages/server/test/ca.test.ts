import { createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestCa, type TestCa } from '@sextant/testkit';
import {
  CaSetupError,
  CertificateAuthority,
  CsrError,
  loadCaMaterial,
  newWorkloadKey,
  parseSpiffeId,
  ROOT_CERT_FILE,
  ROOT_KEY_FILE,
  type CaMaterial,
  type SpiffeIdentity,
} from '../src';

/** The CA: its root (generated or given), and what it puts in the certificates it signs. */

const HOUR = 3600 * 1000;
const REVIEWS = parseSpiffeId('spiffe://cluster.local/ns/default/sa/reviews') as SpiffeIdentity;
let dir: string;
let testCa: TestCa;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-ca-'));
  testCa = createTestCa(path.join(dir, 'pki'));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function authority(material: CaMaterial, now = Date.now()): CertificateAuthority {
  return new CertificateAuthority(material, {
    trustDomain: 'cluster.local',
    workloadCertTtlMs: 24 * HOUR,
    maxWorkloadCertTtlMs: 48 * HOUR,
    now: () => now,
  });
}

describe('a root generated in ca.directory', () => {
  it('is made on the first start (EC P-256, 10 years, key 0600, cert 0644) and reused after', async () => {
    const directory = path.join(dir, 'generated');
    const first = await loadCaMaterial({ kind: 'directory', directory }, 'cluster.local');
    expect(fs.statSync(path.join(directory, ROOT_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(directory, ROOT_CERT_FILE)).mode & 0o777).toBe(0o644);
    const root = new X509Certificate(fs.readFileSync(path.join(directory, ROOT_CERT_FILE)));
    expect(root.ca).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(root.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const years = (Date.parse(root.validTo) - Date.now()) / (365 * 24 * HOUR);
    expect(years).toBeGreaterThan(9.9);
    expect(root.subject).toContain('O=cluster.local');
    expect(fs.readdirSync(directory).sort()).toEqual([ROOT_CERT_FILE, ROOT_KEY_FILE]);

    const again = await loadCaMaterial({ kind: 'directory', directory }, 'cluster.local');
    expect(again.rootPem).toBe(first.rootPem);
  });

  it('is made once when two processes start together', async () => {
    const directory = path.join(dir, 'raced');
    const [a, b] = await Promise.all([
      loadCaMaterial({ kind: 'directory', directory }, 'cluster.local'),
      loadCaMaterial({ kind: 'directory', directory }, 'cluster.local'),
    ]);
    expect(a.rootPem).toBe(b.rootPem);
    expect(a.rootPem).toBe(fs.readFileSync(path.join(directory, ROOT_CERT_FILE), 'utf8'));
  });
});

describe('operator-given CA files', () => {
  it('refuse a key that is not the certificate’s, naming the setting', async () => {
    const other = createTestCa(path.join(dir, 'other'), 'other');
    await expect(
      loadCaMaterial({ kind: 'files', certFile: testCa.certFile, keyFile: other.keyFile }, 'cluster.local'),
    ).rejects.toThrow(/ca\.keyFile .* is not the key of the certificate/);
    await expect(
      loadCaMaterial({ kind: 'files', certFile: path.join(dir, 'missing.pem'), keyFile: other.keyFile }, 'x'),
    ).rejects.toThrow(CaSetupError);
  });

  it('refuse a leaf certificate as the CA', async () => {
    const leaf = testCa.issue('not-a-ca');
    await expect(
      loadCaMaterial({ kind: 'files', certFile: leaf.certFile, keyFile: leaf.keyFile }, 'cluster.local'),
    ).rejects.toThrow(/ca\.certFile .* is not a CA certificate/);
  });
});

describe('issuing', () => {
  let generated: CaMaterial;
  beforeAll(async () => {
    generated = await loadCaMaterial(
      { kind: 'directory', directory: path.join(dir, 'issuing') },
      'cluster.local',
    );
  });

  it('names the proven identity, never what the CSR asks for', async () => {
    const forged = await newWorkloadKey('spiffe://cluster.local/ns/kube-system/sa/admin');
    const { chain } = await authority(generated).issue(forged.csrPem, REVIEWS, 0);
    const leaf = new X509Certificate(chain[0] as string);
    expect(leaf.subjectAltName).toBe('URI:spiffe://cluster.local/ns/default/sa/reviews');
    expect(leaf.subject ?? '').toBe('');
    expect(leaf.ca).toBe(false);
    // The certificate is for the key the workload holds.
    const key = createPublicKey(forged.keyPem).export({ type: 'spki', format: 'der' });
    expect(leaf.publicKey.export({ type: 'spki', format: 'der' }).equals(key)).toBe(true);
    expect(leaf.keyUsage?.sort()).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  });

  it('answers leaf first, root last, each signed by the next', async () => {
    const { chain } = await authority(generated).issue((await newWorkloadKey()).csrPem, REVIEWS, 0);
    expect(chain).toHaveLength(2);
    const [leaf, root] = chain.map((pem) => new X509Certificate(pem)) as [X509Certificate, X509Certificate];
    expect(leaf.checkIssued(root)).toBe(true);
    expect(leaf.verify(root.publicKey)).toBe(true);
    expect(chain[1]).toBe(generated.rootPem);
  });

  it('serves the chain file after the operator’s certificate', async () => {
    const intermediateChain = createTestCa(path.join(dir, 'upper'), 'upper');
    const material = await loadCaMaterial(
      {
        kind: 'files',
        certFile: testCa.certFile,
        keyFile: testCa.keyFile,
        chainFile: intermediateChain.certFile,
      },
      'cluster.local',
    );
    const { chain } = await authority(material).issue((await newWorkloadKey()).csrPem, REVIEWS, 0);
    expect(chain.map((pem) => new X509Certificate(pem).subject ?? '')).toEqual(['', 'CN=ca', 'CN=upper']);
    expect(new X509Certificate(chain[0] as string).verify(new X509Certificate(testCa.cert).publicKey)).toBe(
      true,
    );
    expect(material.rootPem).toBe(intermediateChain.cert.trim() + '\n');
  });

  it('caps the validity at maxWorkloadCertTTL, defaults to workloadCertTTL, backdates notBefore', async () => {
    const now = Date.now();
    const ca = authority(generated, now);
    const csr = (await newWorkloadKey()).csrPem;
    const validity = async (seconds: number) => {
      const leaf = new X509Certificate((await ca.issue(csr, REVIEWS, seconds)).chain[0] as string);
      return { from: Date.parse(leaf.validFrom), to: Date.parse(leaf.validTo) };
    };
    const asked = await validity(3600);
    expect(Math.abs(asked.to - (now + HOUR))).toBeLessThan(2000);
    expect(asked.from).toBeLessThan(now - 60_000);
    expect(Math.abs((await validity(30 * 24 * 3600)).to - (now + 48 * HOUR))).toBeLessThan(2000);
    expect(Math.abs((await validity(0)).to - (now + 24 * HOUR))).toBeLessThan(2000);
  });

  it('refuses a CSR that is no CSR, whose signature is not its key’s, or with a weak key', async () => {
    const ca = authority(generated);
    await expect(ca.issue('hello', REVIEWS, 0)).rejects.toThrow(CsrError);
    await expect(
      ca.issue('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n', REVIEWS, 0),
    ).rejects.toThrow(/cannot be parsed/);
    await expect(ca.issue('x'.repeat(20_000), REVIEWS, 0)).rejects.toThrow(/larger than/);

    const good = (await newWorkloadKey()).csrPem;
    const der = Buffer.from(good.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    der[der.length - 3] = (der[der.length - 3] ?? 0) ^ 0xff;
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(ca.issue(tampered, REVIEWS, 0)).rejects.toThrow(CsrError);

    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const weakCsr = await rsaCsr(weak.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    await expect(ca.issue(weakCsr, REVIEWS, 0)).rejects.toThrow(/not EC P-256, EC P-384 or RSA of 2048/);
  });
});

/** A CSR of an RSA key, made with openssl (tests only). */
async function rsaCsr(keyPem: string): Promise<string> {
  const { execFileSync } = await import('node:child_process');
  const keyFile = path.join(dir, 'weak.key');
  fs.writeFileSync(keyFile, keyPem);
  return execFileSync('openssl', ['req', '-new', '-key', keyFile, '-subj', '/CN=weak'], { encoding: 'utf8' });
}
