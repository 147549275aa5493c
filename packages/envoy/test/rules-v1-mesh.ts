import {
  parseProxyIdentity,
  parseServiceKey,
  readRuleDocuments,
  Registry,
  type InstanceInput,
  type RuleProblem,
  type ServiceInput,
  type Snapshot,
} from '@sextant/core';
import { envoyV1Problems } from '@sextant/testkit/envoy-v1';
import { simulateV1, simulateV3, type SimOutcome, type SimRequest } from '@sextant/testkit/routing';
import {
  bodyText,
  Renderer,
  ROUTE_TYPE,
  type CdsResponse,
  type LdsResponse,
  type RouteConfiguration,
  type RouteDefaults,
  type SdsResponse,
  type V1Cluster,
  type V1Listener,
} from '../src';

/**
 * A bookinfo-like mesh for rendering traffic rules: services reported by an adapter, rules fed
 * as YAML through the same path a rules file takes (readRuleDocuments → the registry's rule
 * sink), and every v1 answer a sidecar gets, checked against Envoy v1's schema and for
 * make-before-break (every cluster a route or fault filter names is in the same proxy's CDS).
 */

export const DOMAIN = 'default.svc.cluster.local';
export const PRODUCTPAGE = `sidecar~10.0.0.1~productpage-v1-5d9.default~${DOMAIN}`;
export const REVIEWS_V1 = `sidecar~10.0.1.1~reviews-v1-8b4.default~${DOMAIN}`;
export const REVIEWS_V2 = `sidecar~10.0.1.2~reviews-v2-7f9.default~${DOMAIN}`;

export const host = (name: string): string => `${name}.${DOMAIN}`;
/** The v1 cluster of a service's `http` port, or of the subset `labels` select (`version=v2`). */
export const v1Cluster = (name: string, labels?: string): string =>
  `out.${host(name)}|http${labels === undefined ? '' : `|${labels}`}`;
/** The v3 cluster of a service's port 9080, or of a subset of it. */
export const v3Cluster = (name: string, subset = ''): string => `outbound|9080|${subset}|${host(name)}`;

const RULES_SOURCE = 'rules.yaml';

export const BOOKINFO: readonly { service: ServiceInput; instances: InstanceInput[] }[] = [
  bookinfoService('productpage', '10.96.0.10', [['10.0.0.1', 'v1']]),
  bookinfoService('reviews', '10.96.0.11', [
    ['10.0.1.1', 'v1'],
    ['10.0.1.2', 'v2'],
    ['10.0.1.3', 'v3'],
  ]),
  bookinfoService('ratings', '10.96.0.12', [
    ['10.0.2.1', 'v1'],
    ['10.0.2.2', 'v2'],
  ]),
  bookinfoService('details', '10.96.0.13', [['10.0.3.1', 'v1']]),
];

export function bookinfoService(
  name: string,
  vip: string,
  instances: readonly (readonly [string, string])[],
): { service: ServiceInput; instances: InstanceInput[] } {
  return {
    service: {
      hostname: host(name),
      ports: [{ name: 'http', port: 9080, protocol: 'http' }],
      labels: { app: name },
      addresses: [vip],
    },
    instances: instances.map(([address, version]) => ({
      address,
      port: 9080,
      portName: 'http',
      labels: { app: name, version },
    })),
  };
}

export interface RulesMeshOptions {
  readonly defaults?: RouteDefaults;
}

export class RulesMesh {
  private readonly registry = new Registry({ adapters: ['k8s'], ruleSources: [RULES_SOURCE] });
  private readonly platform = this.registry.sink('k8s');
  private readonly rules = this.registry.ruleSink(RULES_SOURCE);
  readonly renderer: Renderer;

  constructor(options: RulesMeshOptions = {}) {
    this.renderer = new Renderer({ ...(options.defaults && { defaults: options.defaults }) });
    for (const { service, instances } of BOOKINFO) this.platform.upsertService(service, instances);
    this.platform.setStatus('ready');
    this.registry.flush();
  }

  /** Replaces the rules source with `yaml`; returns the problems of reading and of each rule. */
  apply(yaml: string): RuleProblem[] {
    const read = readRuleDocuments(yaml, RULES_SOURCE);
    this.rules.replace(read.inputs, read.problems);
    this.registry.flush();
    return [...read.problems, ...this.registry.ruleStatuses().rules.flatMap((status) => status.problems)];
  }

  /** The rule problems (errors and warnings) reported for one render target. */
  problemsFor(target: 'v1' | 'v3' | 'grpc'): RuleProblem[] {
    return this.registry
      .ruleStatuses()
      .rules.flatMap((status) => status.problems)
      .filter((problem) => problem.target === target);
  }

  upsertService(service: ServiceInput, instances: InstanceInput[]): void {
    this.platform.upsertService(service, instances);
    this.registry.flush();
  }

  removeService(hostname: string): void {
    this.platform.removeService(hostname);
    this.registry.flush();
  }

  snapshot(): Snapshot {
    const snapshot = this.registry.current();
    if (!snapshot) throw new Error('the test mesh did not publish a snapshot');
    return snapshot;
  }

  /** Everything a v1 sidecar gets, checked (see V1Proxy). */
  v1(proxy: string = PRODUCTPAGE): V1Proxy {
    return new V1Proxy(this.renderer, this.snapshot(), proxy);
  }

  /** The v3 route configuration `name` (a port) a sidecar gets, as proto3 JSON. */
  v3Routes(port = '9080', proxy: string = PRODUCTPAGE): unknown {
    const resource = this.renderer.v3
      .resourceSet(this.snapshot(), ROUTE_TYPE, { proxy: parseProxyIdentity(proxy), kind: 'ads' })
      .get(port);
    if (!resource) throw new Error(`no v3 route configuration ${port}`);
    return JSON.parse(resource.json());
  }

  /** A request routed by the v3 route configuration of its port. */
  sendV3(request: SimRequest, proxy: string = PRODUCTPAGE): SimOutcome {
    return simulateV3(this.v3Routes(portOf(request), proxy), request);
  }

  close(): void {
    this.registry.close();
  }
}

/**
 * The v1 answers one sidecar gets from one snapshot: LDS, CDS, and RDS for every route
 * configuration its listeners name. Each passes Envoy v1's schema checks, and every cluster a
 * route (weighted or not, shadow included) or a listener's fault filter names is in its CDS.
 */
export class V1Proxy {
  readonly lds: LdsResponse;
  readonly cds: CdsResponse;
  private readonly routeConfigs = new Map<string, RouteConfiguration>();
  private readonly identity;

  constructor(
    private readonly renderer: Renderer,
    private readonly snapshot: Snapshot,
    proxy: string,
  ) {
    this.identity = parseProxyIdentity(proxy);
    this.lds = checked('lds', bodyText(renderer.v1.lds(snapshot, this.identity))) as LdsResponse;
    this.cds = checked('cds', bodyText(renderer.v1.cds(snapshot, this.identity))) as CdsResponse;
    const clusters = new Set(this.cds.clusters.map((c) => c.name));
    const missing: string[] = [];
    for (const listener of this.lds.listeners) {
      const manager = listener.filters[0];
      if (manager?.name !== 'http_connection_manager') continue;
      for (const filter of manager.config.filters) {
        const upstream = filter.config.upstream_cluster;
        if (filter.name === 'fault' && typeof upstream === 'string' && !clusters.has(upstream))
          missing.push(`${listener.name} fault filter → ${upstream}`);
      }
      const name = manager.config.rds?.route_config_name;
      if (name === undefined) continue;
      const rds = checked(
        'rds',
        bodyText(renderer.v1.rds(snapshot, name, this.identity)),
      ) as RouteConfiguration;
      this.routeConfigs.set(name, rds);
      for (const vhost of rds.virtual_hosts) {
        for (const [index, route] of vhost.routes.entries()) {
          const named = [
            ...(route.cluster !== undefined ? [route.cluster] : []),
            ...(route.weighted_clusters?.clusters.map((c) => c.name) ?? []),
            ...(route.shadow ? [route.shadow.cluster] : []),
          ];
          for (const cluster of named)
            if (!clusters.has(cluster)) missing.push(`${vhost.name} route ${index} → ${cluster}`);
        }
      }
    }
    expect(missing).toEqual([]);
  }

  rds(port = '9080'): RouteConfiguration {
    const rds = this.routeConfigs.get(port);
    if (!rds) throw new Error(`LDS names no route configuration ${port}`);
    return rds;
  }

  /** The outbound HTTP listener for a port (the one that carries its fault filters). */
  listener(port = '9080'): V1Listener {
    const listener = this.lds.listeners.find((l) => l.name === `http_0.0.0.0_${port}`);
    if (!listener) throw new Error(`no outbound HTTP listener for ${port}`);
    return listener;
  }

  /** A request routed as Envoy v1 would: RDS of its port, with the fault filters of the port's listener. */
  send(request: SimRequest): SimOutcome {
    const port = portOf(request);
    return simulateV1(this.rds(port), request, { listener: this.listener(port) });
  }

  cluster(name: string): V1Cluster | undefined {
    return this.cds.clusters.find((c) => c.name === name);
  }

  /** The `ip:port` of every host SDS answers for a CDS cluster's service_name. */
  endpoints(clusterName: string): string[] {
    const cluster = this.cluster(clusterName);
    if (!cluster?.service_name) throw new Error(`CDS has no sds cluster ${clusterName}`);
    const sds = checked(
      'sds',
      bodyText(this.renderer.v1.sds(this.snapshot, parseServiceKey(cluster.service_name))),
    ) as SdsResponse;
    return sds.hosts.map((h) => `${h.ip_address}:${h.port}`);
  }
}

/** A GET for `authority` (`reviews:9080`) and `path`, with headers. */
export function get(authority: string, path = '/', headers: Record<string, string> = {}): SimRequest {
  return { authority, path, headers };
}

function portOf(request: SimRequest): string {
  const port = /:(\d+)$/.exec(request.authority)?.[1];
  if (port === undefined) throw new Error(`give the port in the authority: ${request.authority}`);
  return port;
}

function checked(api: 'lds' | 'cds' | 'rds' | 'sds', text: string): unknown {
  const body: unknown = JSON.parse(text);
  expect(envoyV1Problems(api, body)).toEqual([]);
  return body;
}

/** A YAML text from lines. */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}
