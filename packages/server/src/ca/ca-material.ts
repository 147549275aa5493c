import {
  createPrivateKey,
  createPublicKey,
  randomBytes,
  webcrypto,
  X509Certificate as NodeCertificate,
  type KeyObject,
} from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { x509, type X509 } from './x509';
import { createFileAtomically } from './atomic-file';

/** The CA's certificate and key cannot be read, made or used. The message names the setting and file. */
export class CaSetupError extends Error {
  override readonly name = 'CaSetupError';
}

/** Where the CA's certificate and key come from (`ca:` in sextant.yaml; absolute paths). */
export type CaSource =
  | {
      readonly kind: 'files';
      readonly certFile: string;
      readonly keyFile: string;
      /** Certificates between certFile and the root (the root last), served after certFile. */
      readonly chainFile?: string;
    }
  | { readonly kind: 'directory'; readonly directory: string };

/** The signing certificate and key, and the chain served with every leaf. */
export interface CaMaterial {
  readonly signingCertificate: X509.X509Certificate;
  /** For signing certificates (WebCrypto). */
  readonly signingKey: webcrypto.CryptoKey;
  /** The same key for signing tokens (jose takes a KeyObject). */
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The signing certificate, then the chain file's certificates: what follows the leaf in a response (PEM). */
  readonly chain: readonly string[];
  /** The last of the chain: what workloads trust (`root-cert.pem`). */
  readonly rootPem: string;
  /** When the earliest of the chain expires: no leaf outlives it. */
  readonly notAfter: Date;
}

/** Files of a generated root, in `ca.directory`. */
export const ROOT_CERT_FILE = 'root-cert.pem';
export const ROOT_KEY_FILE = 'root-key.pem';

const ROOT_LIFETIME_MS = 10 * 365 * 24 * 3600 * 1000;

/**
 * Reads the operator's CA files, or (directory) the root generated on an earlier start, making
 * it on the first: an EC P-256 key (mode 0600) and a self-signed certificate valid 10 years
 * (0644), each written atomically. Two processes starting together agree on one root: the key
 * is created only where none exists, and the loser reads the winner's.
 */
export async function loadCaMaterial(source: CaSource, trustDomain: string): Promise<CaMaterial> {
  if (source.kind === 'files') {
    const cert = await readSetting('ca.certFile', source.certFile);
    const key = await readSetting('ca.keyFile', source.keyFile);
    const chain = source.chainFile === undefined ? '' : await readSetting('ca.chainFile', source.chainFile);
    return material(cert, key, chain, {
      cert: `ca.certFile (${source.certFile})`,
      key: `ca.keyFile (${source.keyFile})`,
      chain: `ca.chainFile (${source.chainFile ?? ''})`,
    });
  }
  const certFile = path.join(source.directory, ROOT_CERT_FILE);
  const keyFile = path.join(source.directory, ROOT_KEY_FILE);
  const names = { cert: `ca.directory (${certFile})`, key: `ca.directory (${keyFile})`, chain: '' };
  const existing = await readIfPresent(keyFile);
  if (existing !== undefined) return material(await waitForCertificate(certFile), existing, '', names);
  try {
    await mkdir(source.directory, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new CaSetupError(`ca.directory: cannot create ${source.directory}: ${(error as Error).message}`);
  }
  const { cert, key } = await generateRoot(trustDomain);
  try {
    // The key first: whoever creates it made the root. Its certificate follows; readers wait for it.
    if (!(await createFileAtomically(keyFile, key, 0o600))) {
      return material(
        await waitForCertificate(certFile),
        await readSetting('ca.directory', keyFile),
        '',
        names,
      );
    }
    await createFileAtomically(certFile, cert, 0o644);
  } catch (error) {
    throw new CaSetupError(
      `ca.directory: cannot write the CA root into ${source.directory}: ${(error as Error).message}`,
    );
  }
  return material(cert, key, '', names);
}

async function generateRoot(trustDomain: string): Promise<{ cert: string; key: string }> {
  const X = x509();
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const certificate = await X.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `O=${trustDomain}, CN=Sextant root CA`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + ROOT_LIFETIME_MS),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new X.BasicConstraintsExtension(true, undefined, true),
      new X.KeyUsagesExtension(X.KeyUsageFlags.keyCertSign | X.KeyUsageFlags.cRLSign, true),
      await X.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return {
    cert: `${certificate.toString('pem')}\n`,
    key: `${X.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n`,
  };
}

/** A positive 128-bit serial number (RFC 5280 allows 20 octets; the top bit clear keeps it positive). */
export function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

async function material(
  certPem: string,
  keyPem: string,
  chainPem: string,
  names: { cert: string; key: string; chain: string },
): Promise<CaMaterial> {
  const certs = pemBlocks(certPem, 'CERTIFICATE');
  if (certs.length === 0) throw new CaSetupError(`${names.cert} holds no PEM certificate`);
  const chain = [...certs, ...pemBlocks(chainPem, 'CERTIFICATE')];
  let signing: NodeCertificate;
  let parsed: NodeCertificate[];
  try {
    parsed = chain.map((pem) => new NodeCertificate(pem));
    signing = parsed[0] as NodeCertificate;
  } catch (error) {
    throw new CaSetupError(
      `${names.cert}${chainPem ? ` or ${names.chain}` : ''}: not a certificate: ${(error as Error).message}`,
    );
  }
  if (!signing.ca) throw new CaSetupError(`${names.cert} is not a CA certificate (basicConstraints CA:TRUE)`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(keyPem);
  } catch (error) {
    throw new CaSetupError(`${names.key} holds no usable private key: ${(error as Error).message}`);
  }
  const publicKey = createPublicKey(privateKey);
  const spki = (key: KeyObject) => key.export({ type: 'spki', format: 'der' });
  if (!spki(publicKey).equals(spki(signing.publicKey))) {
    throw new CaSetupError(`${names.key} is not the key of the certificate in ${names.cert}`);
  }
  const algorithm = signingAlgorithm(privateKey);
  if (algorithm === undefined) {
    throw new CaSetupError(`${names.key}: only EC P-256 and P-384 and RSA keys (2048 bits or more) can sign`);
  }
  const now = Date.now();
  const notAfter = new Date(Math.min(...parsed.map((c) => Date.parse(c.validTo))));
  if (notAfter.getTime() <= now)
    throw new CaSetupError(`${names.cert}: the CA certificate (or its chain) has expired`);
  const signingKey = await webcrypto.subtle.importKey(
    'pkcs8',
    privateKey.export({ type: 'pkcs8', format: 'der' }),
    algorithm,
    false,
    ['sign'],
  );
  return {
    signingCertificate: new (x509().X509Certificate)(chain[0] as string),
    signingKey,
    privateKey,
    publicKey,
    chain,
    rootPem: chain[chain.length - 1] as string,
    notAfter,
  };
}

/** How the CA's key signs, in WebCrypto's terms; undefined for a key Sextant does not sign with. */
export function signingAlgorithm(
  key: KeyObject,
): (webcrypto.EcKeyImportParams & { hash: string }) | webcrypto.RsaHashedImportParams | undefined {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    if (details.namedCurve === 'prime256v1') return { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    if (details.namedCurve === 'secp384r1') return { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' };
    return undefined;
  }
  if (key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048) {
    return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  }
  return undefined;
}

/** The PEM blocks of one label in a text, each as its own PEM. */
export function pemBlocks(text: string, label: string): string[] {
  const pattern = new RegExp(`-----BEGIN ${label}-----[\\s\\S]*?-----END ${label}-----`, 'g');
  return [...text.matchAll(pattern)].map((match) => `${match[0]}\n`);
}

async function readSetting(setting: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new CaSetupError(
      `${setting}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CaSetupError(
      `ca.directory: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? ''}`,
    );
  }
}

/** The root certificate beside a key another process may have just created (it writes the certificate next). */
async function waitForCertificate(certFile: string): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const cert = await readIfPresent(certFile);
    if (cert !== undefined) return cert;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new CaSetupError(
    `ca.directory: ${certFile} is missing though its key exists: remove both to make a new root`,
  );
}
