import { createPublicKey, X509Certificate } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import {
  CertificateClient,
  newWorkloadKey,
  pemBlocks,
  spiffeIdentities,
  writeFileAtomically,
} from '@sextant/server';
import type { Logger } from 'pino';

/** The files the agent writes: Envoy's file-based SDS and gRPC's file_watcher provider point at them. */
export const CERT_CHAIN_FILE = 'cert-chain.pem';
export const KEY_FILE = 'key.pem';
export const ROOT_CERT_FILE = 'root-cert.pem';

/** Timers the agent schedules with: the real ones, or a test's. */
export interface AgentClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const SYSTEM_CLOCK: AgentClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface CertificateAgentOptions {
  /** The CA: Sextant's xDS listener (TLS), `host:port`. */
  readonly caAddress: string;
  /** The token proving the workload's identity (read again before each request: it may be rotated). */
  readonly tokenFile: string;
  readonly outDir: string;
  /** PEM roots that the CA's TLS certificate is checked against; the system's when unset. */
  readonly caCertPem?: string;
  /** A SPIFFE URI put in the CSR (the CA ignores it and issues for the identity proven). */
  readonly identityHint?: string;
  /** Validity to ask for, in seconds; 0 (default) takes the CA's default. */
  readonly validitySeconds?: number;
  readonly logger: Logger;
  readonly clock?: AgentClock;
  /** In [0, 1): spreads retries of many agents apart. */
  readonly random?: () => number;
  /** First retry delay and the longest (default 1 s and 5 min). */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** How long one request may take (default 30 s). */
  readonly deadlineMs?: number;
}

/** Node's timers take at most this; a longer delay would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Current {
  readonly certPem: string;
  readonly keyPem: string;
  readonly validFrom: number;
  readonly validTo: number;
  /** When it was written: renewal is due halfway from then to validTo. */
  readonly writtenAt: number;
}

/**
 * Keeps a workload certificate in `outDir`: the key is made here and never leaves; a CSR goes to
 * the CA (Istio's CreateCertificate), with the token as proof and, once there is one, the current
 * certificate as client certificate. Files are replaced atomically; renewal is due at half the
 * lifetime; a failure is retried with exponential backoff and jitter while the old files stay.
 */
export class CertificateAgent {
  private readonly clock: AgentClock;
  private readonly random: () => number;
  private readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  private timer: unknown;
  private client: CertificateClient | undefined;
  private failures = 0;
  private stopped = false;

  constructor(private readonly options: CertificateAgentOptions) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? { initialMs: 1000, maxMs: 5 * 60 * 1000 };
  }

  /** Schedules the first request: now, or when the certificate already in outDir is due. */
  async start(): Promise<void> {
    await mkdir(this.options.outDir, { recursive: true });
    const current = await this.current();
    if (current === undefined) this.schedule(0);
    else {
      this.options.logger.info(
        { notAfter: new Date(current.validTo).toISOString() },
        'a valid certificate is on disk: renewing it when due',
      );
      this.schedule(this.renewalDelay(current));
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.client?.close();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => void this.renew(), Math.max(0, Math.min(delayMs, MAX_TIMER_MS)));
  }

  private renewalDelay(current: Current): number {
    return current.writtenAt + (current.validTo - current.writtenAt) / 2 - this.clock.now();
  }

  private async renew(): Promise<void> {
    this.timer = undefined;
    try {
      const written = await this.request();
      if (this.stopped) return;
      this.failures = 0;
      const identity = spiffeIdentities({
        subjectaltname: new X509Certificate(written.certPem).subjectAltName ?? '',
      })[0];
      this.options.logger.info(
        {
          identity: identity?.uri,
          notAfter: new Date(written.validTo).toISOString(),
          outDir: this.options.outDir,
        },
        'wrote a new workload certificate',
      );
      this.schedule(this.renewalDelay(written));
    } catch (error) {
      if (this.stopped) return;
      this.failures += 1;
      const ceiling = Math.min(
        this.backoff.maxMs,
        this.backoff.initialMs * 2 ** Math.min(this.failures - 1, 30),
      );
      // Half fixed, half random: agents that lost the CA together do not come back together.
      const delay = Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
      this.options.logger.warn(
        { attempt: this.failures, retryInMs: delay, ca: this.options.caAddress },
        `getting a certificate failed: ${describe(error)}; the files on disk stay as they are`,
      );
      this.schedule(delay);
    }
  }

  /** One CreateCertificate round; resolves once the new files are written. */
  private async request(): Promise<Current> {
    const current = await this.current();
    const token = await this.token(current !== undefined);
    const key = await newWorkloadKey(this.options.identityHint);
    const client = new CertificateClient(
      this.options.caAddress,
      credentials.createSsl(
        this.options.caCertPem === undefined ? null : Buffer.from(this.options.caCertPem),
        current === undefined ? null : Buffer.from(current.keyPem),
        current === undefined ? null : Buffer.from(current.certPem),
      ),
    );
    this.client = client;
    let chain: readonly string[];
    try {
      const response = await client.createCertificate(
        { csr: key.csrPem, validityDurationSeconds: this.options.validitySeconds ?? 0 },
        { deadlineMs: this.options.deadlineMs ?? 30_000, ...(token !== undefined && { token }) },
      );
      chain = response.certChain;
    } finally {
      client.close();
      this.client = undefined;
    }
    const leaf = checkedLeaf(chain, key.keyPem);
    if (this.stopped) throw new Error('stopped');
    const out = (name: string) => path.join(this.options.outDir, name);
    // The root last in the chain; cert-chain.pem holds the leaf and any intermediates.
    const root = chain.length > 1 ? (chain[chain.length - 1] as string) : undefined;
    const certPem = (chain.length > 1 ? chain.slice(0, -1) : chain).map(pem).join('');
    if (root !== undefined) await writeFileAtomically(out(ROOT_CERT_FILE), pem(root), 0o644);
    await writeFileAtomically(out(KEY_FILE), key.keyPem, 0o600);
    await writeFileAtomically(out(CERT_CHAIN_FILE), certPem, 0o644);
    return {
      certPem,
      keyPem: key.keyPem,
      validFrom: Date.parse(leaf.validFrom),
      validTo: Date.parse(leaf.validTo),
      writtenAt: this.clock.now(),
    };
  }

  /** The token file's contents; undefined (the certificate proves who we are) when it cannot be read. */
  private async token(haveCertificate: boolean): Promise<string | undefined> {
    try {
      const token = (await readFile(this.options.tokenFile, 'utf8')).trim();
      if (token !== '') return token;
      if (!haveCertificate) throw new Error(`the token file ${this.options.tokenFile} is empty`);
    } catch (error) {
      if (!haveCertificate) {
        throw new Error(
          `cannot read the token file ${this.options.tokenFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        );
      }
    }
    return undefined;
  }

  /** The certificate and key in outDir, when both are there and the certificate is valid now. */
  private async current(): Promise<Current | undefined> {
    const out = (name: string) => path.join(this.options.outDir, name);
    try {
      const [certPem, keyPem, written] = await Promise.all([
        readFile(out(CERT_CHAIN_FILE), 'utf8'),
        readFile(out(KEY_FILE), 'utf8'),
        stat(out(CERT_CHAIN_FILE)),
      ]);
      const leaf = checkedLeaf(pemBlocks(certPem, 'CERTIFICATE'), keyPem);
      const now = this.clock.now();
      const validFrom = Date.parse(leaf.validFrom);
      const validTo = Date.parse(leaf.validTo);
      if (validTo <= now || validFrom > now) return undefined;
      return { certPem, keyPem, validFrom, validTo, writtenAt: Math.min(written.mtimeMs, now) };
    } catch {
      return undefined;
    }
  }
}

/** The leaf of a chain, checked to be for `keyPem`'s key. */
function checkedLeaf(chain: readonly string[], keyPem: string): X509Certificate {
  if (chain.length === 0) throw new Error('the CA answered no certificate');
  const leaf = new X509Certificate(chain[0] as string);
  const spki = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  if (!leaf.publicKey.export({ type: 'spki', format: 'der' }).equals(spki)) {
    throw new Error("the CA's certificate is not for the key sent");
  }
  return leaf;
}

function pem(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

function describe(error: unknown): string {
  const grpc = error as Partial<ServiceError>;
  if (typeof grpc.code === 'number') return `${status[grpc.code] ?? grpc.code}: ${grpc.details ?? ''}`;
  return (error as Error)?.message ?? String(error);
}
