import { isIP } from 'node:net';
import { showValue } from '../../schema/show-value';

/**
 * Hostnames, names and labels as Istio validates them (istio/istio `pkg/config/validation`,
 * `pkg/config/labels`), and how a rule's short host names resolve.
 */

/** Kubernetes' cluster domain, which Istio appends to short names: `reviews` → `reviews.<ns>.svc.cluster.local`. */
export const SHORT_NAME_SUFFIX = 'svc.cluster.local';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_LABEL_ANY_CASE = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$/;
/** `*`, `*foo`, `*-foo` or `foo` (istio `wildcardPrefix`). */
const WILDCARD_LABEL = /^(\*|(\*|\*-)?[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)$/;
const MAX_LABEL = 63;
const MAX_HOST = 255;
const MAX_SUBDOMAIN = 253;

/** A DNS-1123 label: lower-case letters, digits and `-`, at most 63, starting and ending with a letter or digit. */
export function isDns1123Label(name: string): boolean {
  return name.length <= MAX_LABEL && DNS1123_LABEL.test(name);
}

/** A DNS-1123 subdomain (a Kubernetes object name): labels joined by dots, at most 253 characters. */
export function isDns1123Subdomain(name: string): boolean {
  return name.length <= MAX_SUBDOMAIN && name.split('.').every(isDns1123Label);
}

/**
 * How a host a rule names is meant, as Istio resolves it (`ResolveShortnameToFQDN`): a name with
 * no dot is a Kubernetes short name, qualified in the rule's namespace; anything with a dot is
 * used as written (so `web.service.consul` names the Consul service), as are `*` and IP
 * addresses. Hostnames are compared in lower case.
 */
export function resolveHost(host: string, namespace: string): string {
  const lower = host.toLowerCase();
  if (lower === '*' || lower.includes('.') || isIP(lower) !== 0) return lower;
  return `${lower}.${namespace}.${SHORT_NAME_SUFFIX}`;
}

/**
 * What is wrong with `host` as a hostname a rule may name (Istio's `ValidateWildcardDomain`), or
 * undefined: DNS labels of at most 63 characters, 255 in all, a top-level domain that is not all
 * digits, and a wildcard only as the first label or in front of it (`*.example.com`,
 * `*-canary.example.com`). `ip: 'allowed'` accepts IP addresses too.
 */
export function hostProblem(host: string, ip: 'allowed' | 'refused' = 'refused'): string | undefined {
  if (host === '') return 'a host cannot be empty';
  if (isIP(host) !== 0) return ip === 'allowed' ? undefined : 'an IP address is not a host name here';
  if (host.length > MAX_HOST) return `a host name has at most ${MAX_HOST} characters`;
  const dot = host.indexOf('.');
  const first = dot === -1 ? host : host.slice(0, dot);
  if (first.length > MAX_LABEL || !WILDCARD_LABEL.test(first)) {
    return first.includes('*')
      ? `${showValue(first)} is not a valid first label: a wildcard may only be the whole label or its start ("*.example.com", "*-canary.example.com")`
      : `${showValue(first)} is not a DNS label (letters, digits and "-", at most ${MAX_LABEL}, starting and ending with a letter or digit)`;
  }
  if (dot === -1) return undefined;
  const rest = host.slice(dot + 1).split('.');
  for (const label of rest) {
    if (label.length > MAX_LABEL || !DNS1123_LABEL_ANY_CASE.test(label)) {
      return label === ''
        ? 'a host name cannot have an empty label (two dots, or a dot at the end)'
        : `${showValue(label)} is not a DNS label (letters, digits and "-", at most ${MAX_LABEL}, starting and ending with a letter or digit)`;
    }
  }
  const tld = rest[rest.length - 1] ?? '';
  if (/^\d+$/.test(tld)) return `the top-level domain ${showValue(tld)} cannot be all digits`;
  return undefined;
}

export function isWildcardHost(host: string): boolean {
  return host.startsWith('*');
}

/**
 * Whether a wildcard host covers `host`: `*.example.com` covers `api.example.com` and
 * `a.b.example.com` (not `example.com`), `*-canary.example.com` covers `web-canary.example.com`,
 * `*` covers every host. A host that is not a wildcard covers only itself.
 */
export function hostCovers(pattern: string, host: string): boolean {
  if (!isWildcardHost(pattern)) return pattern === host;
  const suffix = pattern.slice(1);
  if (isWildcardHost(host)) return host.slice(1).endsWith(suffix);
  return host.length > suffix.length && host.endsWith(suffix);
}

/** Whether two hosts can name the same host (Istio's `host.Name.Matches`, both ways). */
export function hostsOverlap(a: string, b: string): boolean {
  return hostCovers(a, b) || hostCovers(b, a);
}

const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** What is wrong with a label key (`[prefix/]name`, Kubernetes' qualified name), or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined && !isDns1123Subdomain(prefix)) {
    return `the label key prefix ${showValue(prefix)} is not a DNS subdomain`;
  }
  if (name.length === 0 || name.length > MAX_LABEL || !LABEL_NAME.test(name)) {
    return `${showValue(key)} is not a label key (letters, digits, "-", "_" and ".", at most ${MAX_LABEL}, starting and ending with a letter or digit, after an optional "prefix/")`;
  }
  return undefined;
}

/** What is wrong with a label value, or undefined (empty is allowed). */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > MAX_LABEL || !LABEL_VALUE.test(value)) {
    return `${showValue(value)} is not a label value (letters, digits, "-", "_" and ".", at most ${MAX_LABEL}, starting and ending with a letter or digit)`;
  }
  return undefined;
}
