/**
 * The platform-independent model of a fleet (DESIGN §3). Plain, immutable data:
 * adapters produce it, the registry merges it, renderers read it.
 */

/** How traffic on a port is understood: HTTP-aware protocols get HTTP routing, `tcp` is proxied as bytes. */
export type Protocol = 'http' | 'http2' | 'grpc' | 'tcp';
export const PROTOCOLS: readonly Protocol[] = ['http', 'http2', 'grpc', 'tcp'];

export type Labels = Readonly<Record<string, string>>;

export interface ServicePort {
  /** Stable name of the port within its service (`http`, `grpc-api`, `80`); part of the service key. */
  readonly name: string;
  /** The port clients dial (the service port, not necessarily the instance's port). */
  readonly port: number;
  readonly protocol: Protocol;
}

export interface Locality {
  readonly region?: string;
  readonly zone?: string;
  readonly subzone?: string;
}

/** `draining` instances finish in-flight work but receive no new traffic. */
export type Health = 'healthy' | 'unhealthy' | 'draining';
/**
 * The largest instance weight. Envoy sums the weights of a locality's endpoints into a uint32 and
 * refuses the assignment when the sum overflows; at most 65,535 each, a locality can hold 65,537
 * endpoints before it could. (v1 SDS carries 1 to 100: weights are capped at 100 there.)
 */
export const MAX_INSTANCE_WEIGHT = 65_535;

export const HEALTH_STATES: readonly Health[] = ['healthy', 'unhealthy', 'draining'];

export interface Service {
  /** FQDN, the identity of the service: `reviews.default.svc.cluster.local`, `web.service.dc1.consul`. */
  readonly hostname: string;
  readonly ports: readonly ServicePort[];
  readonly labels: Labels;
  /** Virtual IPs clients may dial instead of the hostname. */
  readonly addresses: readonly string[];
  /** Name of the adapter instance that reported it. */
  readonly origin: string;
}

/** One endpoint of one port of one service. */
export interface ServiceInstance {
  /** Hostname of the service this instance belongs to. */
  readonly hostname: string;
  /** IP literal. */
  readonly address: string;
  /** The port the instance listens on (may differ from the service port). */
  readonly port: number;
  /** Name of the service port this instance serves. */
  readonly portName: string;
  readonly labels: Labels;
  readonly locality: Locality;
  /** Relative load-balancing weight, an integer from 1 to MAX_INSTANCE_WEIGHT. */
  readonly weight: number;
  readonly health: Health;
  readonly origin: string;
}

export function isHttpProtocol(protocol: Protocol): boolean {
  return protocol !== 'tcp';
}

/** Protocols whose upstream connections must speak HTTP/2. */
export function isHttp2Protocol(protocol: Protocol): boolean {
  return protocol === 'http2' || protocol === 'grpc';
}
