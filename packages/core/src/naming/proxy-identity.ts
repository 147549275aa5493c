import { isIP } from 'node:net';
import { clientText } from '../client-text';
import { ProxyIdentityError } from '../errors';

export type ProxyType = 'sidecar' | 'router' | 'ingress';
export const PROXY_TYPES: readonly ProxyType[] = ['sidecar', 'router', 'ingress'];

/**
 * Who is asking: v1 `--service-node`, v3 `node.id`. Istio writes `<type>~<ip>~<id>~<domain>`
 * (`sidecar~10.0.0.5~reviews-v1.default~default.svc.cluster.local`); a bare name (no `~`) is
 * accepted too and is a sidecar with no address, hence no local instances.
 */
export interface ProxyIdentity {
  /** The identity exactly as given (after percent-decoding). */
  readonly raw: string;
  readonly type: ProxyType;
  /** The proxy's IP; instances at this address are its own (inbound). Absent for a bare name. */
  readonly ip?: string;
  readonly id: string;
  /** DNS domain the proxy lives in (`default.svc.cluster.local`); decides short host names. */
  readonly domain: string;
}

const SAFE = /^[^\s~/]*$/;

export function parseProxyIdentity(input: string): ProxyIdentity {
  const raw = input.includes('%') ? decode(input) : input;
  if (raw === '') throw new ProxyIdentityError(input, 'format', 'empty');
  if (/[\s/]/.test(raw)) throw new ProxyIdentityError(input, 'format', 'may not contain spaces or "/"');
  if (!raw.includes('~')) return { raw, type: 'sidecar', id: raw, domain: '' };

  const parts = raw.split('~');
  if (parts.length !== 4) {
    throw new ProxyIdentityError(
      input,
      'format',
      `expected 4 parts <type>~<ip>~<id>~<domain> separated by "~", got ${parts.length}`,
    );
  }
  const [type = '', ip = '', id = '', domain = ''] = parts;
  if (!(PROXY_TYPES as readonly string[]).includes(type)) {
    throw new ProxyIdentityError(
      input,
      'type',
      `expected one of ${PROXY_TYPES.join(', ')}, got "${clientText(type)}"`,
    );
  }
  if (isIP(ip) === 0) throw new ProxyIdentityError(input, 'ip', `"${clientText(ip)}" is not an IP address`);
  if (id === '' || !SAFE.test(id)) throw new ProxyIdentityError(input, 'id', 'must be a non-empty name');
  if (!SAFE.test(domain))
    throw new ProxyIdentityError(input, 'domain', `"${clientText(domain)}" is not a domain`);
  return { raw, type: type as ProxyType, ip, id, domain };
}

function decode(input: string): string {
  try {
    return decodeURIComponent(input);
  } catch {
    throw new ProxyIdentityError(input, 'format', 'malformed percent-encoding');
  }
}
