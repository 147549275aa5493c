import { createPublicKey } from 'node:crypto';
import { x509, type X509 } from './x509';
import type { SpiffeIdentity } from '../security/spiffe-id';
import { serialNumber, type CaMaterial } from './ca-material';

/** A CSR the CA will not sign; the message says why, for the client. */
export class CsrError extends Error {
  override readonly name = 'CsrError';
}

export interface CertificateAuthorityOptions {
  readonly trustDomain: string;
  /** Validity of a certificate when the request asks for none. */
  readonly workloadCertTtlMs: number;
  /** The longest validity a request may ask for. */
  readonly maxWorkloadCertTtlMs: number;
  readonly now?: () => number;
}

/** A leaf and what was put in it, for the log. */
export interface IssuedChain {
  /** Leaf first, root last, as Istio's CA answers. */
  readonly chain: readonly string[];
  readonly serialNumber: string;
  readonly notAfter: Date;
}

/** The most a PEM CSR may weigh: an RSA 4096 request with a few names is about 2 KiB. */
export const MAX_CSR_BYTES = 16 * 1024;
/** How far notBefore is moved back, for workloads whose clocks are a little behind. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * Signs workload certificates. A CSR proves only that its sender holds the key: the certificate
 * names the identity the caller proved (an argument here), never what the CSR asks for, so a
 * forged subject or SAN in it has no effect.
 */
export class CertificateAuthority {
  private readonly now: () => number;

  constructor(
    readonly material: CaMaterial,
    readonly options: CertificateAuthorityOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  get trustDomain(): string {
    return this.options.trustDomain;
  }

  /** Signs `csrPem` for `identity`; `requestedSeconds` 0 asks for the default validity. Throws CsrError for a bad CSR. */
  async issue(csrPem: string, identity: SpiffeIdentity, requestedSeconds: number): Promise<IssuedChain> {
    const X = x509();
    const csr = await verifiedCsr(csrPem);
    const now = this.now();
    const ttlMs =
      requestedSeconds > 0
        ? Math.min(requestedSeconds * 1000, this.options.maxWorkloadCertTtlMs)
        : this.options.workloadCertTtlMs;
    const notAfter = new Date(Math.min(now + ttlMs, this.material.notAfter.getTime()));
    const serial = serialNumber();
    const signer = this.material.signingCertificate;
    const certificate = await X.X509CertificateGenerator.create({
      serialNumber: serial,
      issuer: signer.subjectName,
      // Empty, as Istio's: the identity is the SAN (critical, as RFC 5280 asks of a subject-less certificate).
      subject: '',
      notBefore: new Date(now - CLOCK_SKEW_MS),
      notAfter,
      publicKey: csr.publicKey,
      signingKey: this.material.signingKey,
      signingAlgorithm: this.material.signingKey.algorithm,
      extensions: [
        new X.BasicConstraintsExtension(false, undefined, true),
        new X.KeyUsagesExtension(X.KeyUsageFlags.digitalSignature | X.KeyUsageFlags.keyEncipherment, true),
        new X.ExtendedKeyUsageExtension([X.ExtendedKeyUsage.serverAuth, X.ExtendedKeyUsage.clientAuth]),
        await X.AuthorityKeyIdentifierExtension.create(signer.publicKey),
        new X.SubjectAlternativeNameExtension([{ type: 'url', value: identity.uri }], true),
      ],
    });
    return {
      chain: [certificate.toString('pem') + '\n', ...this.material.chain],
      serialNumber: serial,
      notAfter,
    };
  }
}

/** The CSR in `pem`, its signature checked and its key one Sextant issues for. */
async function verifiedCsr(pem: string): Promise<X509.Pkcs10CertificateRequest> {
  const X = x509();
  if (Buffer.byteLength(pem, 'utf8') > MAX_CSR_BYTES) {
    throw new CsrError(`the CSR is larger than ${MAX_CSR_BYTES} bytes`);
  }
  const blocks = pem.match(/-----BEGIN (NEW )?CERTIFICATE REQUEST-----/g) ?? [];
  if (blocks.length !== 1) throw new CsrError('csr must hold one PEM "CERTIFICATE REQUEST"');
  let csr: X509.Pkcs10CertificateRequest;
  try {
    csr = new X.Pkcs10CertificateRequest(
      pem.replace(/(BEGIN|END) NEW CERTIFICATE REQUEST/g, '$1 CERTIFICATE REQUEST'),
    );
  } catch (error) {
    throw new CsrError(`the CSR cannot be parsed: ${(error as Error).message}`);
  }
  checkKey(csr.publicKey.rawData);
  let valid = false;
  try {
    valid = await csr.verify();
  } catch (error) {
    throw new CsrError(`the CSR's signature cannot be checked: ${(error as Error).message}`);
  }
  if (!valid) throw new CsrError("the CSR's signature does not match its key");
  return csr;
}

function checkKey(spki: ArrayBuffer): void {
  let key;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (error) {
    throw new CsrError(`the CSR's public key cannot be read: ${(error as Error).message}`);
  }
  const details = key.asymmetricKeyDetails ?? {};
  const ok =
    (key.asymmetricKeyType === 'ec' &&
      (details.namedCurve === 'prime256v1' || details.namedCurve === 'secp384r1')) ||
    (key.asymmetricKeyType === 'rsa' &&
      (details.modulusLength ?? 0) >= 2048 &&
      (details.modulusLength ?? 0) <= 8192);
  if (!ok) {
    throw new CsrError(
      `the CSR's key (${key.asymmetricKeyType ?? 'unknown'}${details.namedCurve ? ` ${details.namedCurve}` : ''}${details.modulusLength ? ` ${details.modulusLength} bits` : ''}) is not EC P-256, EC P-384 or RSA of 2048 to 8192 bits`,
    );
  }
}
