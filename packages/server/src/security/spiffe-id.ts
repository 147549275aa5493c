import type { PeerCertificate } from 'node:tls';

/** A workload identity as Istio writes it in a certificate: `spiffe://<trust-domain>/ns/<ns>/sa/<sa>`. */
export interface SpiffeIdentity {
  readonly uri: string;
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

// Names as Kubernetes allows them (DNS labels and subdomains); nothing else is an Istio identity.
const SPIFFE_ISTIO =
  /^spiffe:\/\/([a-z0-9]([a-z0-9.-]*[a-z0-9])?)\/ns\/([a-z0-9][a-z0-9.-]*)\/sa\/([a-z0-9][a-z0-9.-]*)$/i;

/** The identity a `spiffe://…/ns/…/sa/…` URI names, or undefined for any other URI. */
export function parseSpiffeId(uri: string): SpiffeIdentity | undefined {
  if (uri.length > 2048) return undefined;
  const match = SPIFFE_ISTIO.exec(uri);
  if (!match) return undefined;
  return { uri, trustDomain: match[1] ?? '', namespace: match[3] ?? '', serviceAccount: match[4] ?? '' };
}

/**
 * The SPIFFE identities among a certificate's URI subject alternative names. Node writes them as
 * `URI:spiffe://…, DNS:…`, quoting (JSON-style) any name that holds a comma or quote; a quoted
 * name is no SPIFFE ID Istio issues, so it is skipped rather than unquoted.
 */
export function spiffeIdentities(
  certificate: Pick<PeerCertificate, 'subjectaltname'> | undefined,
): SpiffeIdentity[] {
  const names = certificate?.subjectaltname;
  if (typeof names !== 'string' || names === '') return [];
  const found: SpiffeIdentity[] = [];
  for (const entry of names.split(', ')) {
    if (!entry.startsWith('URI:')) continue;
    const identity = parseSpiffeId(entry.slice('URI:'.length));
    if (identity) found.push(identity);
  }
  return found;
}
