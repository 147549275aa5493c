import type { DaemonConfig, Problem, SourceDocument } from '@sextant/core';

/**
 * The trust domains sextant.yaml names itself. Read from the document before the schema fills
 * its defaults in (it does so in place), since afterwards a default and a choice look the same.
 */
export interface GivenTrustDomains {
  readonly ca?: string;
  readonly meshTls?: string;
}

export function givenTrustDomains(raw: unknown): GivenTrustDomains {
  const field = (value: unknown, key: string): unknown =>
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    ca: text(field(field(raw, 'ca'), 'trustDomain')),
    meshTls: text(field(field(field(raw, 'security'), 'meshTls'), 'trustDomain')),
  };
}

/**
 * One trust domain for the mesh when it has a CA: the identities the CA issues are the ones
 * proxies are told to expect, so `ca.trustDomain` and `security.meshTls.trustDomain` are the same
 * setting. Whichever is given sets both; both given must agree; neither, the default
 * (cluster.local). Without a CA, meshTls.trustDomain is the trust domain of the operator's own CA.
 */
export function unifyTrustDomain(
  config: DaemonConfig,
  given: GivenTrustDomains,
  document: SourceDocument,
): { config: DaemonConfig; problems: Problem[] } {
  const ca = config.ca;
  if (ca === undefined) return { config, problems: [] };
  if (given.ca !== undefined && given.meshTls !== undefined && given.ca !== given.meshTls) {
    return {
      config,
      problems: [
        document.problem(
          ['security', 'meshTls', 'trustDomain'],
          `is ${given.meshTls}, but ca.trustDomain is ${given.ca}: the CA issues the mesh's identities, ` +
            'so both name one trust domain (set it once, in ca.trustDomain)',
        ),
      ],
    };
  }
  const trustDomain = given.ca ?? given.meshTls ?? ca.trustDomain;
  const meshTls = { ...config.security.meshTls, trustDomain };
  return {
    config: { ...config, ca: { ...ca, trustDomain }, security: { ...config.security, meshTls } },
    problems: [],
  };
}
