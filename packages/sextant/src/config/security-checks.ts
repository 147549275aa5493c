import {
  durationMs,
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
  problems.push(...caProblems(config, document));
  return problems;
}

/** The shortest workload certificate validity a CA may be configured with. */
const MIN_WORKLOAD_CERT_TTL_MS = 60_000;

/**
 * `ca`: one source of certificate and key; validities that make sense; and TLS on the xDS
 * listener, where bearer tokens and keys' certificates travel.
 */
function caProblems(config: DaemonConfig, document: SourceDocument): Problem[] {
  const ca = config.ca;
  if (ca === undefined) return [];
  const problems: Problem[] = [];
  const files = ca.certFile !== undefined || ca.keyFile !== undefined;
  if (files && ca.directory !== undefined) {
    problems.push(
      document.problem(
        ['ca'],
        'set either certFile and keyFile (your CA) or directory (a generated root), not both',
      ),
    );
  } else if (!files && ca.directory === undefined) {
    problems.push(
      document.problem(
        ['ca'],
        'needs certFile and keyFile (your CA), or directory (where a root is generated)',
      ),
    );
  } else if (files && (ca.certFile === undefined || ca.keyFile === undefined)) {
    problems.push(
      document.problem(['ca'], 'certFile and keyFile go together: the CA certificate and its key'),
    );
  }
  if (ca.chainFile !== undefined && ca.certFile === undefined) {
    problems.push(document.problem(['ca', 'chainFile'], 'is served after certFile: it needs certFile'));
  }
  const ttl = durationMs(ca.workloadCertTTL);
  if (ttl < MIN_WORKLOAD_CERT_TTL_MS)
    problems.push(document.problem(['ca', 'workloadCertTTL'], 'must be at least 1m'));
  if (ca.maxWorkloadCertTTL !== undefined && durationMs(ca.maxWorkloadCertTTL) < ttl) {
    problems.push(
      document.problem(
        ['ca', 'maxWorkloadCertTTL'],
        `must not be shorter than workloadCertTTL (${ca.workloadCertTTL})`,
      ),
    );
  }
  if (listenerConfig(config.listen.xds).tls === undefined) {
    problems.push(
      document.problem(
        ['ca'],
        'needs listen.xds.tls: workloads send tokens to the CA on the xDS listener, which must not be plaintext',
      ),
    );
  }
  return problems;
}
