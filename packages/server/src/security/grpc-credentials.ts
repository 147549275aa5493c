import { ServerCredentials } from '@grpc/grpc-js';
import type { ServerTls } from './server-tls';

/**
 * gRPC server credentials that follow a ServerTls: grpc-js calls `setSecureContext` on its
 * HTTP/2 server with each update (as it does for its own certificate providers), so new
 * connections get the new certificate and open streams stay up. grpc-js's
 * createCertificateProviderServerCredentials would do the same, but reads its first certificates
 * only after the server has been created, which a connection injector (our listener) never waits
 * for; these credentials hold the certificates from the start.
 */
export class ReloadingServerCredentials extends ServerCredentials {
  private readonly stopFollowing: () => void;

  constructor(tls: ServerTls) {
    super({ requestCert: tls.requestCert, rejectUnauthorized: tls.requireClientCert }, tls.current());
    this.stopFollowing = tls.onChange((context) => this.updateSecureContextOptions(context));
  }

  /** Stops following the files' changes (when the server closes). */
  close(): void {
    this.stopFollowing();
  }

  override _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}
