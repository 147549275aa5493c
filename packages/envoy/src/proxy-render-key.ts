import type { ProxyIdentity } from '@sextant/core';

/**
 * What about a proxy its rendered resources depend on: its type, IP (own instances) and domain
 * (short host names). Proxies with equal keys get equal responses, so caches key on this
 * rather than on the node id, and a fleet of sidecars in one namespace shares entries.
 */
export function proxyRenderKey(proxy: ProxyIdentity): string {
  return `${proxy.type}~${proxy.ip ?? ''}~${proxy.domain}`;
}
