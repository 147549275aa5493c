import { webcrypto } from 'node:crypto';
import { x509 } from './x509';

/** A new private key and a CSR signed with it: the key stays with the workload, the CSR goes to the CA. */
export interface WorkloadKey {
  readonly keyPem: string;
  readonly csrPem: string;
}

/**
 * An EC P-256 key and its CSR. The CSR names `identityHint` (a SPIFFE URI) when given, as
 * istio-agent's does; the CA ignores what a CSR names and issues for the identity the caller proves.
 */
export async function newWorkloadKey(identityHint?: string): Promise<WorkloadKey> {
  const X = x509();
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const csr = await X.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: algorithm,
    ...(identityHint !== undefined && {
      extensions: [new X.SubjectAlternativeNameExtension([{ type: 'url', value: identityHint }], true)],
    }),
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return {
    keyPem: `${X.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n`,
    csrPem: `${csr.toString('pem')}\n`,
  };
}
