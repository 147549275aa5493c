import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** A certificate and its key, as PEM text and as files. */
export interface IssuedCertificate {
  readonly cert: string;
  readonly key: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface CertificateNames {
  /** DNS names; `localhost` by default for a server. */
  readonly dns?: readonly string[];
  /** IP addresses; `127.0.0.1` by default. */
  readonly ips?: readonly string[];
  /** URI names, e.g. `spiffe://cluster.local/ns/default/sa/reviews`. */
  readonly uris?: readonly string[];
}

/** A throw-away CA made with the openssl CLI, issuing leaf certificates for TLS and mTLS tests. */
export interface TestCa extends IssuedCertificate {
  /** A certificate for both server and client use, signed by this CA, written into the CA's directory. */
  issue(name: string, names?: CertificateNames): IssuedCertificate;
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Creates a CA in `dir` (as `<name>.crt` / `<name>.key`), valid for a day. */
export function createTestCa(dir: string, name = 'ca'): TestCa {
  fs.mkdirSync(dir, { recursive: true });
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  openssl([
    'req',
    '-x509',
    ...KEY,
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const ca = read(certFile, keyFile);
  return {
    ...ca,
    issue(leaf, names = {}) {
      const leafCert = path.join(dir, `${leaf}.crt`);
      const leafKey = path.join(dir, `${leaf}.key`);
      const csr = path.join(dir, `${leaf}.csr`);
      const ext = path.join(dir, `${leaf}.ext`);
      const alt = [
        ...(names.dns ?? ['localhost']).map((n) => `DNS:${n}`),
        ...(names.ips ?? ['127.0.0.1']).map((n) => `IP:${n}`),
        ...(names.uris ?? []).map((n) => `URI:${n}`),
      ];
      fs.writeFileSync(
        ext,
        `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n` +
          `extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=${alt.join(',')}\n`,
      );
      openssl(['req', ...KEY, '-keyout', leafKey, '-out', csr, '-subj', `/CN=${leaf}`]);
      openssl([
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        certFile,
        '-CAkey',
        keyFile,
        '-out',
        leafCert,
        '-days',
        '1',
        '-set_serial',
        `0x${randomBytes(8).toString('hex')}`,
        '-extfile',
        ext,
      ]);
      return read(leafCert, leafKey);
    },
  };
}

function read(certFile: string, keyFile: string): IssuedCertificate {
  return {
    certFile,
    keyFile,
    cert: fs.readFileSync(certFile, 'utf8'),
    key: fs.readFileSync(keyFile, 'utf8'),
  };
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
}
