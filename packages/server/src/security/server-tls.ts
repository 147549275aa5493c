import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { Logger as PinoLogger } from 'pino';
import { WatchedFiles } from './watched-files';

/** A listener's TLS files (absolute paths) and whether it requires client certificates. */
export interface ServerTlsSettings {
  readonly certFile: string;
  readonly keyFile: string;
  /** CA bundle client certificates are verified against; unset: clients are not asked for one. */
  readonly clientCAFile?: string;
  /** Refuse a client without a certificate clientCAFile verifies (only with clientCAFile). */
  readonly requireClientCert: boolean;
}

export interface ServerTlsOptions {
  /** The listener, for log lines. */
  readonly listener: string;
  readonly logger: PinoLogger;
  /** How often the files are read again; 1 s by default. */
  readonly pollIntervalMs?: number;
}

/**
 * A listener's certificate, key and client CA, read at start and again when they change on disk.
 * Each change goes to the servers through `onChange` (they swap their secure context: new
 * connections get the new certificate, open ones keep theirs).
 */
export class ServerTls {
  private readonly files: WatchedFiles<SecureContextOptions>;

  constructor(
    readonly settings: ServerTlsSettings,
    options: ServerTlsOptions,
  ) {
    const paths: Record<string, string> = {
      'tls.certFile': settings.certFile,
      'tls.keyFile': settings.keyFile,
    };
    if (settings.clientCAFile !== undefined) paths['tls.clientCAFile'] = settings.clientCAFile;
    this.files = new WatchedFiles({
      files: paths,
      what: `the ${options.listener} listener's TLS files`,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      logger: options.logger,
      parse: (contents) => {
        const context: SecureContextOptions = {
          cert: contents['tls.certFile'],
          key: contents['tls.keyFile'],
          ...(contents['tls.clientCAFile'] !== undefined && { ca: contents['tls.clientCAFile'] }),
        };
        // Throws for a key that does not match the certificate, or a file that is no PEM.
        createSecureContext(context);
        return context;
      },
    });
  }

  /** Whether clients are asked for a certificate. */
  get requestCert(): boolean {
    return this.settings.clientCAFile !== undefined;
  }

  /** Whether a client without a verified certificate is refused during the handshake. */
  get requireClientCert(): boolean {
    return this.requestCert && this.settings.requireClientCert;
  }

  /** Reads the files; rejects with a WatchedFileError naming the setting and file. */
  start(): Promise<SecureContextOptions> {
    return this.files.start();
  }

  stop(): void {
    this.files.stop();
  }

  current(): SecureContextOptions {
    return this.files.current();
  }

  onChange(listener: (context: SecureContextOptions) => void): () => void {
    return this.files.onChange(listener);
  }
}
