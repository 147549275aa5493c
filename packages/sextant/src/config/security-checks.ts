import {
  listenerConfig,
  type DaemonConfig,
  type ListenSetting,
  type Problem,
  type SourceDocument,
} from '@sextant/core';
import { isLoopbackHost, ListenAddressError, parseListenAddress } from '@sextant/server';

/** Whether a listener refuses clients without a certificate its client CA verifies. */
export function requiresClientCerts(setting: ListenSetting): boolean {
  const tls = listenerConfig(setting).tls;
  return tls?.clientCAFile !== undefined && tls.requireClientCert !== false;
}

/** Whether a discovery listener serves each node only to a client whose certificate is for it. */
export function nodeAuthorizationOn(config: DaemonConfig, listener: 'discovery' | 'xds'): boolean {
  const mode = config.security.nodeAuthorization;
  return mode === 'strict' || (mode === undefined && requiresClientCerts(config.listen[listener]));
}

/**
 * What the schema cannot say about security (docs/security.md): admin beyond loopback shows the
 * whole mesh and so needs a token or client certificates; a client certificate cannot be required
 * without a CA to verify it; strict node authorization needs client certificates to compare with.
 */
export function securityProblems(config: DaemonConfig, document: SourceDocument): Problem[] {
  const problems: Problem[] = [];
  for (const name of ['discovery', 'admin', 'xds'] as const) {
    const tls = listenerConfig(config.listen[name]).tls;
    if (tls?.requireClientCert === true && tls.clientCAFile === undefined) {
      problems.push(
        document.problem(
          ['listen', name, 'tls', 'requireClientCert'],
          'needs tls.clientCAFile: the CA that client certificates are verified against',
        ),
      );
    }
  }
  const admin = config.listen.admin;
  let adminHost: string | undefined;
  try {
    adminHost = parseListenAddress(listenerConfig(admin).address).host;
  } catch (error) {
    if (!(error instanceof ListenAddressError)) throw error;
  }
  if (
    adminHost !== undefined &&
    !isLoopbackHost(adminHost) &&
    config.admin.tokenFile === undefined &&
    !requiresClientCerts(admin)
  ) {
    problems.push(
      document.problem(
        ['listen', 'admin'],
        `admin listens on ${adminHost}, beyond this machine, and shows the whole mesh: set admin.tokenFile ` +
          'or require client certificates (listen.admin.tls.clientCAFile), or listen on 127.0.0.1',
      ),
    );
  }
  if (config.security.nodeAuthorization === 'strict') {
    for (const name of ['discovery', 'xds'] as const) {
      if (!requiresClientCerts(config.listen[name])) {
        problems.push(
          document.problem(
            ['security', 'nodeAuthorization'],
            `strict needs listen.${name} to require client certificates (tls.clientCAFile): without them no client has an identity`,
          ),
        );
      }
    }
  }
  return problems;
}
