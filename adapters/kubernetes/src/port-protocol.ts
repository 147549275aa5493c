import type { Protocol } from '@sextant/core';
import type { ServicePortView } from './projections';

/**
 * The protocol of a Service port, decided as Istio decides it: `appProtocol` when set, else the
 * port name (`http`, `http-web`, `grpc-api`, `http2-…`, `tcp-…`: the part before the first `-`),
 * case-insensitively. Anything else, including an unnamed port, is `tcp`: proxied as bytes. Istio's
 * TLS-carrying and database protocols (`https`, `tls`, `mongo`, `redis`, `mysql`) are `tcp` here too,
 * since Sextant routes only plain HTTP; `grpc-web` is HTTP/1.1 and so `http`.
 * UDP and SCTP ports are not proxied: undefined.
 */
export function portProtocol(
  port: Pick<ServicePortView, 'name' | 'protocol' | 'appProtocol'>,
): Protocol | undefined {
  if (port.protocol !== 'TCP') return undefined;
  if (port.appProtocol !== undefined) {
    // Kubernetes' own appProtocol names (only valid there, never as port names).
    switch (port.appProtocol) {
      case 'kubernetes.io/h2c':
        return 'http2';
      case 'kubernetes.io/ws':
        return 'http';
      case 'kubernetes.io/wss':
        return 'tcp';
    }
    return byName(port.appProtocol);
  }
  return byName(port.name);
}

const BY_PREFIX: Readonly<Record<string, Protocol>> = {
  http: 'http',
  http_proxy: 'http',
  http2: 'http2',
  grpc: 'grpc',
  tcp: 'tcp',
};

function byName(name: string): Protocol {
  const lower = name.toLowerCase();
  if (lower.startsWith('grpc-web')) return 'http';
  const dash = lower.indexOf('-');
  return BY_PREFIX[dash >= 0 ? lower.slice(0, dash) : lower] ?? 'tcp';
}
