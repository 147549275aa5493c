import https from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface TlsClientOptions {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly headers?: Record<string, string>;
  readonly method?: string;
  readonly body?: string;
}

export interface TlsAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** SHA-256 fingerprint of the certificate the server presented. */
  readonly serverCertificate: string;
}

/** One HTTPS request on a new connection (a new handshake each time), with a deadline. */
export function httpsRequest(url: string, options: TlsClientOptions = {}): Promise<TlsAnswer> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      {
        method: options.method ?? 'GET',
        agent: false,
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        headers: options.headers,
        timeout: 10_000,
      },
      (response) => {
        const serverCertificate = (response.socket as TLSSocket).getPeerCertificate().fingerprint256;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            serverCertificate,
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer from ${url} within 10 s`)));
    request.on('error', reject);
    request.end(options.body);
  });
}
