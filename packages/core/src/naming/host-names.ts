/**
 * The names a client inside `proxyDomain` may use for `hostname`, shortest first, as Pilot
 * wrote them into virtual host domains: `reviews.default.svc.cluster.local` seen from
 * `default.svc.cluster.local` is also `reviews`, `reviews.default`, `reviews.default.svc`
 * and `reviews.default.svc.cluster`; seen from `other.svc.cluster.local` it is
 * `reviews.default`, `reviews.default.svc`, …. Only suffixes shared with the proxy's
 * domain are dropped, so a short name never leaves the proxy's own search path.
 */
export function hostnameAliases(hostname: string, proxyDomain: string): string[] {
  const host = hostname.split('.');
  const domain = proxyDomain === '' ? [] : proxyDomain.split('.');
  let shared = 0;
  while (
    shared < domain.length &&
    shared < host.length - 1 &&
    host[host.length - 1 - shared] === domain[domain.length - 1 - shared]
  ) {
    shared += 1;
  }
  if (shared === 0) return [hostname];
  const names: string[] = [];
  for (let keep = host.length - shared; keep < host.length; keep += 1) {
    names.push(host.slice(0, keep).join('.'));
  }
  names.push(hostname);
  return names;
}
