import {
  formatRuleProblem,
  parseProxyIdentity,
  readRuleDocuments,
  Registry,
  type InstanceInput,
  type ProxyIdentity,
  type ServiceInput,
  type Snapshot,
} from '@sextant/core';
import type { SimRequest } from '@sextant/testkit/routing';
import {
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  envoyProtos,
  LISTENER_TYPE,
  messageName,
  parseMessage,
  printAnyBytes,
  Renderer,
  ROUTE_TYPE,
  type EncodedResource,
  type RendererOptions,
  type ResourceTypeUrl,
} from '../src';
import { pgvViolations } from './v3-pgv';

/**
 * A bookinfo-like mesh with Istio rules applied, rendered for a sidecar and for a proxyless gRPC
 * client, for tests that state routing outcomes and check them with @sextant/testkit/routing.
 * Every resource these helpers hand out has first been checked as a client would decode it:
 * only fields its message defines, protoc-gen-validate rules, and a proto3 JSON round trip.
 */

export type Json = Record<string, unknown>;

export const NS = 'default.svc.cluster.local';
export const REVIEWS = `reviews.${NS}`;
export const RATINGS = `ratings.${NS}`;
export const DETAILS = `details.${NS}`;
export const PRODUCTPAGE = `productpage.${NS}`;
export const HTTPBIN = `httpbin.${NS}`;
/** A gRPC service (helloworld's greeter), versions v1 and v2. */
export const GREETER = `greeter.${NS}`;

/** The bookinfo ports. */
export const BOOKINFO_PORT = 9080;
export const HTTPBIN_PORT = 8000;
export const GREETER_PORT = 50051;

/** `outbound|<port>|<subset>|<host>`. */
export function cluster(host: string, subset = '', port = portOf(host)): string {
  return `outbound|${port}|${subset}|${host}`;
}

function portOf(host: string): number {
  if (host === HTTPBIN) return HTTPBIN_PORT;
  if (host === GREETER) return GREETER_PORT;
  return BOOKINFO_PORT;
}

/** Productpage v1's sidecar (its workload labelled app=productpage, version=v1). */
export const PRODUCTPAGE_SIDECAR = parseProxyIdentity(`sidecar~10.0.4.41~productpage-v1-6b7f.default~${NS}`);
/** Reviews v2's sidecar (labelled app=reviews, version=v2): it calls ratings. */
export const REVIEWS_V2_SIDECAR = parseProxyIdentity(`sidecar~10.0.1.12~reviews-v2-5d8c.default~${NS}`);
/** Reviews v3's sidecar (labelled app=reviews, version=v3). */
export const REVIEWS_V3_SIDECAR = parseProxyIdentity(`sidecar~10.0.1.13~reviews-v3-77f1.default~${NS}`);
/** A proxyless gRPC client of the greeter, in the mesh (labelled app=greeter-client). */
export const GRPC_CLIENT = parseProxyIdentity(`sidecar~10.0.6.61~greeter-client-8c2a.default~${NS}`);

const instance = (address: string, port: number, portName: string, labels: Record<string, string>) =>
  ({ address, port, portName, labels, locality: { region: 'r1', zone: 'z1' } }) satisfies InstanceInput;

interface Workload {
  readonly service: ServiceInput;
  readonly instances: readonly InstanceInput[];
}

/** The services of the mesh; `without` leaves some out (a host that disappeared). */
export function bookinfoServices(without: readonly string[] = []): Workload[] {
  const http = (name: string, port: number) => [{ name, port, protocol: 'http' as const }];
  const workloads: Workload[] = [
    {
      service: { hostname: PRODUCTPAGE, ports: http('http', BOOKINFO_PORT), addresses: ['10.0.0.40'] },
      instances: [instance('10.0.4.41', 9080, 'http', { app: 'productpage', version: 'v1' })],
    },
    {
      service: { hostname: REVIEWS, ports: http('http', BOOKINFO_PORT), addresses: ['10.0.0.31'] },
      instances: ['v1', 'v2', 'v3'].map((version, i) =>
        instance(`10.0.1.1${i + 1}`, 9080, 'http', { app: 'reviews', version }),
      ),
    },
    {
      service: { hostname: RATINGS, ports: http('http', BOOKINFO_PORT), addresses: ['10.0.0.32'] },
      instances: ['v1', 'v2'].map((version, i) =>
        instance(`10.0.2.2${i + 1}`, 9080, 'http', { app: 'ratings', version }),
      ),
    },
    {
      service: { hostname: DETAILS, ports: http('http', BOOKINFO_PORT), addresses: ['10.0.0.33'] },
      instances: [instance('10.0.3.31', 9080, 'http', { app: 'details', version: 'v1' })],
    },
    {
      service: { hostname: HTTPBIN, ports: http('http', HTTPBIN_PORT) },
      instances: [instance('10.0.7.71', 8000, 'http', { app: 'httpbin', version: 'v1' })],
    },
    {
      service: {
        hostname: GREETER,
        ports: [{ name: 'grpc', port: GREETER_PORT, protocol: 'grpc' }],
        addresses: ['10.0.0.50'],
      },
      instances: ['v1', 'v2'].map((version, i) =>
        instance(`10.0.5.5${i + 1}`, GREETER_PORT, 'grpc', { app: 'greeter', version }),
      ),
    },
    {
      service: { hostname: `greeter-client.${NS}`, ports: http('http', 8080) },
      instances: [instance('10.0.6.61', 8080, 'http', { app: 'greeter-client', version: 'v1' })],
    },
  ];
  return workloads.filter((w) => !without.includes(w.service.hostname));
}

/** A registry holding the mesh's services and one rules file, whose snapshots the tests render. */
export class RulesMesh {
  private readonly registry = new Registry({ adapters: ['k8s'], ruleSources: ['rules.yaml'] });

  constructor(rules: string, services = bookinfoServices()) {
    this.setServices(services);
    this.registry.sink('k8s').setStatus('ready');
    this.setRules(rules);
  }

  /**
   * Replaces the rules file's content; every resource in it must be applied without errors, but
   * for errors of the `tolerated` codes (a change a test makes on purpose).
   */
  setRules(text: string, tolerated: readonly string[] = []): this {
    const read = readRuleDocuments(text, 'rules.yaml');
    this.registry.ruleSink('rules.yaml').replace(read.inputs, read.problems);
    this.registry.flush();
    // Problems for one render target (what a kind of client is not sent) are what tests look at.
    const { rules, sources } = this.registry.ruleStatuses();
    const wrong = [
      ...sources.flatMap((s) => s.problems).filter((p) => p.severity === 'error'),
      ...rules.flatMap((r) =>
        r.problems.filter(
          (p) =>
            r.state !== 'applied' || (p.severity === 'error' && !p.target && !tolerated.includes(p.code)),
        ),
      ),
    ];
    const notApplied = rules
      .filter((r) => r.state !== 'applied')
      .map((r) => `${r.identity.name}: ${r.state}`);
    if (wrong.length > 0 || notApplied.length > 0)
      throw new Error(`rules not applied:\n${[...notApplied, ...wrong.map(formatRuleProblem)].join('\n')}`);
    return this;
  }

  /** Makes the adapter report exactly these services. */
  setServices(workloads: readonly Workload[]): this {
    this.registry.sink('k8s').replaceAll({
      services: workloads.map((w) => w.service),
      instances: workloads.flatMap((w) => w.instances.map((i) => ({ ...i, hostname: w.service.hostname }))),
    });
    this.registry.flush();
    return this;
  }

  get snapshot(): Snapshot {
    const snapshot = this.registry.current();
    if (!snapshot) throw new Error('the mesh did not sync');
    return snapshot;
  }

  /** Rendered by a fresh renderer (with `options`), as the daemon renders this snapshot. */
  render(options: RendererOptions = {}): Rendered {
    return new Rendered(this.snapshot, new Renderer({ ...options, keepRendered: true }));
  }
}

/** A mesh with these rules (every change is flushed at once: no timer is left behind). */
export function meshWith(rules: string, services?: Workload[]): RulesMesh {
  return new RulesMesh(rules, services);
}

/** What one snapshot renders to, for one requester at a time; every resource checked on the way out. */
export class Rendered {
  constructor(
    readonly snapshot: Snapshot,
    private readonly renderer: Renderer,
  ) {}

  private set(typeUrl: ResourceTypeUrl, proxy: ProxyIdentity, target: 'v3' | 'grpc') {
    return this.renderer.v3.resourceSet(this.snapshot, typeUrl, { proxy, kind: 'ads', target });
  }

  private named(
    typeUrl: ResourceTypeUrl,
    name: string,
    proxy: ProxyIdentity,
    target: 'v3' | 'grpc',
  ): Json | undefined {
    const resource = this.set(typeUrl, proxy, target).get(name);
    return resource && checked(resource);
  }

  /** The sidecar's RDS route configuration for an outbound port. */
  routes(port: number, proxy: ProxyIdentity = PRODUCTPAGE_SIDECAR): Json {
    const routes = this.named(ROUTE_TYPE, String(port), proxy, 'v3');
    if (!routes) throw new Error(`no route configuration ${port}`);
    return routes;
  }

  /** The HTTP filters of the sidecar's outbound listener on `port` (whose routes come by RDS). */
  httpFilters(port: number, proxy: ProxyIdentity = PRODUCTPAGE_SIDECAR): Json[] {
    const listener = this.named(LISTENER_TYPE, `0.0.0.0_${port}`, proxy, 'v3');
    const chains = listener?.filter_chains as { filters: { typed_config: Json }[] }[] | undefined;
    const manager = chains?.[0]?.filters[0]?.typed_config;
    if (!manager) throw new Error(`no outbound listener on ${port}`);
    return manager.http_filters as Json[];
  }

  /** Every cluster a wildcard CDS subscription of this requester receives. */
  clusters(proxy: ProxyIdentity = PRODUCTPAGE_SIDECAR, target: 'v3' | 'grpc' = 'v3'): Json[] {
    return [...this.set(CLUSTER_TYPE, proxy, target).wildcard().resources()].map(checked);
  }

  /** One cluster, asked for by name (as a gRPC client asks for what its routes name). */
  cluster(name: string, proxy: ProxyIdentity = PRODUCTPAGE_SIDECAR, target: 'v3' | 'grpc' = 'v3'): Json {
    const found = this.named(CLUSTER_TYPE, name, proxy, target);
    if (!found) throw new Error(`no cluster ${name} for ${target}`);
    return found;
  }

  /** Whether a cluster of this name exists for this requester. */
  hasCluster(name: string, proxy: ProxyIdentity, target: 'v3' | 'grpc'): boolean {
    return this.named(CLUSTER_TYPE, name, proxy, target) !== undefined;
  }

  /** The ClusterLoadAssignment an EDS cluster names, as `address:port` of its endpoints. */
  endpointsOf(clusterJson: Json): string[] {
    const config = clusterJson.eds_cluster_config as { service_name: string };
    const assignment = this.named(ENDPOINT_TYPE, config.service_name, PRODUCTPAGE_SIDECAR, 'v3');
    const groups = (assignment?.endpoints ?? []) as {
      lb_endpoints: { endpoint: { address: { socket_address: { address: string; port_value: number } } } }[];
    }[];
    return groups
      .flatMap((g) => g.lb_endpoints)
      .map(
        ({ endpoint }) =>
          `${endpoint.address.socket_address.address}:${endpoint.address.socket_address.port_value}`,
      )
      .sort();
  }

  /**
   * Every resource a requester of this kind can be sent, each checked on the way out: what wildcard
   * LDS and CDS subscriptions receive (for a gRPC client, every api listener it could dial), the
   * route configurations its listeners name and the endpoints its clusters name.
   */
  everything(proxy: ProxyIdentity, target: 'v3' | 'grpc'): Everything {
    const listeners =
      target === 'v3'
        ? [...this.set(LISTENER_TYPE, proxy, target).wildcard().resources()].map(checked)
        : this.apiListenerNames().map((name) => this.grpcListener(name, proxy));
    const routeNames = listeners.flatMap((listener) =>
      managers(listener).flatMap((manager) => {
        const rds = manager.rds as { route_config_name: string } | undefined;
        return rds ? [rds.route_config_name] : [];
      }),
    );
    const routes = [...new Set(routeNames)].map((name) => {
      const found = this.named(ROUTE_TYPE, name, proxy, target);
      if (!found) throw new Error(`listener names route configuration ${name}, which does not exist`);
      return found;
    });
    const clusters = [...this.set(CLUSTER_TYPE, proxy, target).wildcard().resources()].map(checked);
    const endpoints = clusters.flatMap((c) => {
      const config = c.eds_cluster_config as { service_name: string } | undefined;
      const found = config && this.named(ENDPOINT_TYPE, config.service_name, proxy, target);
      return found ? [found] : [];
    });
    return { listeners, routes, clusters, endpoints };
  }

  /** `<hostname>:<port>` for every HTTP port of every service, and `<hostname>` for a service with one port. */
  private apiListenerNames(): string[] {
    return [...this.snapshot.services.values()]
      .flatMap(({ service }) => [
        ...service.ports.map((port) => `${service.hostname}:${port.port}`),
        ...(service.ports.length === 1 ? [service.hostname] : []),
      ])
      .filter((name) => this.set(LISTENER_TYPE, GRPC_CLIENT, 'grpc').get(name) !== undefined);
  }

  /** The listener a proxyless gRPC server (XdsServer) asking for `name` gets, if any. */
  grpcServerListener(name: string, server: ProxyIdentity): EncodedResource | undefined {
    return this.set(LISTENER_TYPE, server, 'grpc').get(name);
  }

  /** The api_listener a proxyless client dialling `xds:///<name>` gets. */
  grpcListener(name: string, client: ProxyIdentity = GRPC_CLIENT): Json {
    const listener = this.named(LISTENER_TYPE, name, client, 'grpc');
    if (!listener) throw new Error(`no api_listener ${name}`);
    return listener;
  }
}

/** What one requester can be sent, by type. */
export interface Everything {
  readonly listeners: readonly Json[];
  readonly routes: readonly Json[];
  readonly clusters: readonly Json[];
  readonly endpoints: readonly Json[];
}

/** The HTTP connection managers of a listener: its filter chains' and its api_listener's. */
export function managers(listener: Json): Json[] {
  const api = listener.api_listener as { api_listener: Json } | undefined;
  if (api) return [api.api_listener];
  const chains = (listener.filter_chains ?? []) as { filters?: { typed_config?: Json }[] }[];
  return chains.flatMap((chain) =>
    (chain.filters ?? []).flatMap((f) =>
      f.typed_config?.['@type'] ===
      'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'
        ? [f.typed_config]
        : [],
    ),
  );
}

/** Every cluster the routes of these route configurations name: route targets and mirrors. */
export function clustersNamedBy(routeConfigurations: readonly Json[]): Set<string> {
  const names = new Set<string>();
  type Action = {
    cluster?: string;
    weighted_clusters?: { clusters: { name: string }[] };
    request_mirror_policies?: { cluster: string }[];
  };
  for (const config of routeConfigurations) {
    for (const host of (config.virtual_hosts ?? []) as { routes?: { route?: Action }[] }[]) {
      for (const { route } of host.routes ?? []) {
        if (!route) continue;
        if (route.cluster) names.add(route.cluster);
        for (const c of route.weighted_clusters?.clusters ?? []) names.add(c.name);
        for (const m of route.request_mirror_policies ?? []) names.add(m.cluster);
      }
    }
  }
  return names;
}

/** The resource as its client decodes it, after the checks a client applies to what it is sent. */
export function checked(resource: EncodedResource): Json {
  const rendered = resource.rendered;
  if (!rendered) throw new Error(`${resource.name} was rendered without keeping what was rendered`);
  const problems = pgvViolations(messageName(resource.typeUrl), rendered);
  if (problems.length > 0) throw new Error(`${resource.name} fails validation:\n${problems.join('\n')}`);
  const { root, any } = envoyProtos();
  const json = printAnyBytes(root, resource.anyBytes());
  const reparsed = any.encode(any.fromObject(parseMessage(any, json))).finish();
  const again = printAnyBytes(root, reparsed);
  if (JSON.stringify(again) !== JSON.stringify(json))
    throw new Error(`${resource.name} does not round-trip through proto3 JSON`);
  return JSON.parse(resource.json()) as Json;
}

/** An HTTP request from a bookinfo client for `host` (short name and port, as bookinfo calls it). */
export function http(
  host: string,
  request: Partial<SimRequest> & { readonly port?: number } = {},
): SimRequest {
  const { port = portOf(host), ...rest } = request;
  return { authority: `${host.split('.')[0]}:${port}`, path: '/', ...rest };
}

/** An RPC of a proxyless client that dialled `xds:///<host>:<port>`. */
export function rpc(host: string, request: Partial<SimRequest> = {}): SimRequest {
  return { authority: `${host}:${portOf(host)}`, path: '/helloworld.Greeter/SayHello', ...request };
}

/** Istio YAML from lines. */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** A rules file holding these resources (JSON documents, which the YAML reader reads). */
export function rules(...resources: object[]): string {
  return resources.map((r) => JSON.stringify(r)).join('\n---\n');
}

export function virtualService(name: string, spec: object): object {
  return { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name }, spec };
}

export function destinationRule(name: string, spec: object): object {
  return { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name }, spec };
}

/** A DestinationRule for `host` with a subset per version, selected by the `version` label. */
export function versions(host: string, names: readonly string[], trafficPolicy?: object): object {
  return destinationRule(host.split('.')[0] ?? host, {
    host,
    subsets: names.map((name) => ({ name, labels: { version: name } })),
    ...(trafficPolicy && { trafficPolicy }),
  });
}

/** `{ destination: { host, subset }, weight }`. */
export function to(host: string, subset?: string, weight?: number): object {
  return {
    destination: { host, ...(subset !== undefined && { subset }) },
    ...(weight !== undefined && { weight }),
  };
}
