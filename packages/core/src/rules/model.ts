import type { Labels } from '../model';
import type { RuleIdentity } from './resource';

/**
 * The traffic-rule model: what every rule language (Istio's networking API, Pilot's legacy Rules
 * API, Gateway API routes, Consul's config entries) is parsed and converted into. Plain,
 * immutable, validated data: hosts are resolved to FQDNs, durations are milliseconds, defaults
 * are explicit, and each part remembers where it came from (`origin`) so problems and debug views
 * can name the rule and field path that produced it.
 */

/** Which rule and which field produced a part of the model: `VirtualService default/reviews`, `spec.http[1]`. */
export interface Origin {
  readonly rule: RuleIdentity;
  /** Field path in Istio's style, from the resource root: `spec.http[1].route[0]`. */
  readonly path: string;
}

// ---------------------------------------------------------------- matching

/** Exactly one of the three. Regexes are RE2 (validated at load), matched against the whole value. */
export type StringMatch =
  { readonly exact: string } | { readonly prefix: string } | { readonly regex: string };

/** A header condition: a value match, or presence when `match` is absent. */
export interface HeaderCondition {
  /** Lower-case header name; `:method`, `:authority`, `:scheme` for the pseudo-headers. */
  readonly name: string;
  readonly match?: StringMatch;
  /** The header must NOT match (Istio `withoutHeaders`). */
  readonly invert: boolean;
}

export interface QueryCondition {
  readonly name: string;
  /** Absent: the parameter is present (with any value). */
  readonly match?: StringMatch;
}

/** Which clients a route applies to (a selector on the client, not a request condition). */
export interface SourceSelector {
  /** The client's workload labels must include these. */
  readonly labels?: Labels;
  /** The client's namespace. */
  readonly namespace?: string;
  /** Legacy RouteRule `match.source`: the client must be an instance of this service. */
  readonly service?: string;
  /**
   * The client's namespace must NOT be one of these (a Gateway API producer route: clients in a
   * namespace with consumer routes for the Service follow those instead).
   */
  readonly excludedNamespaces?: readonly string[];
}

/** One match block: every condition holds (AND). A route matches when any of its blocks does (OR). */
export interface HttpMatch {
  readonly name?: string;
  readonly uri?: StringMatch;
  readonly ignoreUriCase: boolean;
  readonly headers: readonly HeaderCondition[];
  readonly queryParams: readonly QueryCondition[];
  /** Only traffic to this port of the host. */
  readonly port?: number;
  readonly source?: SourceSelector;
  readonly origin: Origin;
}

// ---------------------------------------------------------------- actions

export interface Destination {
  /** FQDN of a service in the mesh (registry or ServiceEntry). */
  readonly host: string;
  readonly subset?: string;
  /** Needed when the host has several ports; else its only port (or the port the request came to). */
  readonly port?: number;
  /**
   * Legacy RouteRule `route[].labels`: the subset is these labels themselves (no DestinationRule
   * needs to define it); `subset` is then the name istioctl gave it (`version-v1`).
   */
  readonly subsetLabels?: Labels;
}

export interface WeightedDestination extends Destination {
  /** Relative weight as written (≥ 0); normalised to integers summing to 100 at render time. */
  readonly weight: number;
  readonly headers?: HeaderOperations;
  readonly origin: Origin;
}

export interface HeaderOperations {
  readonly request?: HeaderEdits;
  readonly response?: HeaderEdits;
}

export interface HeaderEdits {
  readonly set: Readonly<Record<string, string>>;
  readonly add: Readonly<Record<string, string>>;
  readonly remove: readonly string[];
}

export interface RetryPolicy {
  /** 0 disables retries. */
  readonly attempts: number;
  readonly perTryTimeoutMs?: number;
  /** Envoy `retry_on` tokens and HTTP status codes (`5xx`, `connect-failure`, `503`, `unavailable`…). */
  readonly retryOn: readonly string[];
  readonly backoffMs?: number;
  readonly origin: Origin;
}

export interface FaultInjection {
  readonly delay?: { readonly fixedDelayMs: number; readonly percent: number };
  readonly abort?: {
    /** One of the two. */
    readonly httpStatus?: number;
    /** A gRPC status code name: `UNAVAILABLE`. */
    readonly grpcStatus?: string;
    readonly percent: number;
  };
  readonly origin: Origin;
}

export interface Mirror {
  readonly destination: Destination;
  /** 0–100 (fractions allowed). */
  readonly percent: number;
  /** Where it was written (`spec.http[0].mirror`, `spec.http[0].mirrors[1]`), for problems about it. */
  readonly origin?: Origin;
}

export interface Redirect {
  readonly uri?: string;
  readonly authority?: string;
  readonly scheme?: 'http' | 'https';
  readonly port?: number;
  /** 301 unless given; 301, 302, 303, 307, 308. */
  readonly code: number;
}

export interface Rewrite {
  /** Replaces the matched prefix (or the whole path for exact matches). */
  readonly uri?: string;
  readonly authority?: string;
  readonly uriRegex?: { readonly match: string; readonly rewrite: string };
}

export interface CorsPolicy {
  readonly allowOrigins: readonly StringMatch[];
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAgeSeconds?: number;
  readonly allowCredentials?: boolean;
}

export type HttpAction =
  | { readonly kind: 'route'; readonly destinations: readonly WeightedDestination[] }
  | { readonly kind: 'redirect'; readonly redirect: Redirect }
  | { readonly kind: 'direct'; readonly status: number; readonly body?: string };

/** One HTTP route of a host: first matching route wins (its position in `HostRoutes.http`). */
export interface HttpRoute {
  readonly name?: string;
  /** Empty: matches every request (a catch-all). */
  readonly matches: readonly HttpMatch[];
  readonly action: HttpAction;
  readonly rewrite?: Rewrite;
  /** Milliseconds; 0 disables the timeout; absent: the default (none). */
  readonly timeoutMs?: number;
  /** Absent: the daemon's default retry policy (`defaults.retries`). */
  readonly retries?: RetryPolicy;
  readonly fault?: FaultInjection;
  readonly mirrors: readonly Mirror[];
  readonly cors?: CorsPolicy;
  readonly headers?: HeaderOperations;
  /**
   * Legacy RouteRule `websocketUpgrade`: Envoy v1 upgrades a connection to WebSocket only on
   * routes with `use_websocket: true`; v3 Envoys on listeners whose upgrade configs allow it.
   */
  readonly websocketUpgrade?: boolean;
  /** Gateway API routes: how specific the match it came from is, to order routes of several HTTPRoutes. */
  readonly specificity?: MatchSpecificity;
  readonly origin: Origin;
}

/**
 * How specific a Gateway API match is (its place in the precedence the spec gives across every
 * rule of every route attached to a Service): path kind (exact, then regular expression, then
 * prefix), path length, whether it has a method, number of headers, number of query parameters;
 * then, for full ties, the route's age and name (compared by the merge) and the rule and match
 * index within the route.
 */
export interface MatchSpecificity {
  readonly path: 'exact' | 'regex' | 'prefix';
  readonly pathLength: number;
  readonly method: boolean;
  readonly headers: number;
  readonly queryParams: number;
  readonly rule: number;
  readonly match: number;
}

/** A Service a Gateway API route is attached to (a `parentRefs` entry of kind Service). */
export interface MeshParent {
  /** The Service's FQDN (`<name>.<namespace>.svc.cluster.local`). */
  readonly host: string;
  readonly namespace: string;
  /** Only traffic to this port of the Service. */
  readonly port?: number;
}

/**
 * What a Gateway API HTTPRoute adds to the VirtualService it is read into: the Services it is
 * attached to (its producer or consumer role follows from their namespaces) and its creation
 * time (older routes win ties).
 */
export interface MeshAttachment {
  readonly parents: readonly MeshParent[];
  /** `metadata.creationTimestamp` (RFC 3339) as milliseconds since the epoch, when given. */
  readonly createdAt?: number;
}

export interface TcpRoute {
  readonly match: readonly {
    readonly port?: number;
    readonly destinationSubnets: readonly string[];
    readonly source?: SourceSelector;
  }[];
  readonly destinations: readonly WeightedDestination[];
  readonly origin: Origin;
}

// ---------------------------------------------------------------- destination policy

export type LoadBalancerPolicy =
  | {
      readonly kind: 'simple';
      readonly algorithm: 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'PASSTHROUGH';
    }
  | {
      readonly kind: 'consistent-hash';
      readonly hashOn:
        | { readonly header: string }
        | { readonly cookie: { readonly name: string; readonly path?: string; readonly ttlMs?: number } }
        | { readonly sourceIp: true }
        | { readonly queryParameter: string };
      readonly ring:
        | { readonly kind: 'ring-hash'; readonly minimumRingSize?: number }
        | { readonly kind: 'maglev'; readonly tableSize?: number };
    };

export interface ConnectionPool {
  readonly maxConnections?: number;
  readonly connectTimeoutMs?: number;
  readonly http1MaxPendingRequests?: number;
  readonly http2MaxRequests?: number;
  readonly maxRequestsPerConnection?: number;
  readonly maxRetries?: number;
  readonly idleTimeoutMs?: number;
}

export interface OutlierDetection {
  readonly consecutive5xxErrors?: number;
  readonly consecutiveGatewayErrors?: number;
  readonly intervalMs?: number;
  readonly baseEjectionTimeMs?: number;
  readonly maxEjectionPercent?: number;
  readonly minHealthPercent?: number;
}

/** TLS to the upstream (DestinationRule `trafficPolicy.tls`). */
export interface UpstreamTls {
  /** DISABLE: plain text; SIMPLE: TLS; MUTUAL: TLS with the client certificate below; ISTIO_MUTUAL: mesh mTLS. */
  readonly mode: 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL';
  /** Files on the proxy's host (MUTUAL needs the first two). */
  readonly clientCertificate?: string;
  readonly privateKey?: string;
  readonly caCertificates?: string;
  /** Names the server certificate must carry (any one). */
  readonly subjectAltNames: readonly string[];
  readonly sni?: string;
}

export interface TrafficPolicy {
  readonly loadBalancer?: LoadBalancerPolicy;
  readonly connectionPool?: ConnectionPool;
  readonly outlierDetection?: OutlierDetection;
  readonly tls?: UpstreamTls;
  /** Per port overrides, merged over the rest for that port. */
  readonly portLevel: readonly ({ readonly port: number } & Omit<TrafficPolicy, 'portLevel'>)[];
  readonly origin: Origin;
}

export interface Subset {
  readonly name: string;
  readonly labels: Labels;
  /** Merged over the host's policy for traffic to this subset. */
  readonly trafficPolicy?: TrafficPolicy;
  readonly origin: Origin;
}

// ---------------------------------------------------------------- resources

/**
 * A VirtualService after parsing (legacy RouteRules are converted into one each): the routes for
 * its hosts. `precedence` and `appendDefaultRoute` carry the legacy Rules API's semantics: rules
 * for one host are ordered by precedence (highest first, then name) and, unless one is a
 * catch-all, the host's default route follows them. A VirtualService has neither: its order is
 * its list order and unmatched requests get 404.
 */
export interface VirtualServiceRule {
  readonly kind: 'VirtualService';
  readonly identity: RuleIdentity;
  /** FQDNs, or wildcards (`*.example.com`), resolved from short names in the rule's namespace. */
  readonly hosts: readonly string[];
  /** Empty or containing `mesh`: applies to sidecars and proxyless clients. Others are gateway names. */
  readonly gateways: readonly string[];
  readonly http: readonly HttpRoute[];
  readonly tcp: readonly TcpRoute[];
  readonly precedence?: number;
  readonly appendDefaultRoute: boolean;
  /** The language it was written in, for messages and /debug/rules. */
  readonly language: RuleLanguage;
  /** A Gateway API HTTPRoute (language `gateway-api`): the Services it routes, in GAMMA's mesh mode. */
  readonly attachment?: MeshAttachment;
}

export interface DestinationRuleRule {
  readonly kind: 'DestinationRule';
  readonly identity: RuleIdentity;
  readonly host: string;
  readonly subsets: readonly Subset[];
  readonly trafficPolicy?: TrafficPolicy;
  readonly language: RuleLanguage;
}

/** A port of a ServiceEntry host, as the model's ServicePort (protocol mapped) plus the endpoint port. */
export interface ServiceEntryPort {
  readonly name: string;
  readonly number: number;
  readonly protocol: 'http' | 'http2' | 'grpc' | 'tcp';
  /** The port endpoints listen on, when it differs. */
  readonly targetPort?: number;
}

export interface ServiceEntryEndpoint {
  readonly address: string;
  /** By port name; absent ports use the service port's number (or targetPort). */
  readonly ports: Readonly<Record<string, number>>;
  readonly labels: Labels;
  readonly locality?: { readonly region?: string; readonly zone?: string; readonly subzone?: string };
  readonly weight: number;
}

/** Services a rule adds to the mesh (external APIs, hosts no adapter knows), as an adapter would. */
export interface ServiceEntryRule {
  readonly kind: 'ServiceEntry';
  readonly identity: RuleIdentity;
  readonly hosts: readonly string[];
  readonly addresses: readonly string[];
  readonly ports: readonly ServiceEntryPort[];
  readonly location: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
  /** STATIC: the endpoints given; NONE: no endpoints (traffic passes through); DNS: the hostnames resolve. */
  readonly resolution: 'STATIC' | 'NONE' | 'DNS';
  readonly endpoints: readonly ServiceEntryEndpoint[];
  readonly language: RuleLanguage;
}

/**
 * How a workload's inbound ports take connections (PeerAuthentication `mtls.mode`): STRICT only
 * mutual TLS with a mesh certificate, PERMISSIVE mutual TLS or plain text, DISABLE plain text.
 */
export type PeerMtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

/**
 * A PeerAuthentication (security.istio.io): the mTLS mode of the workloads it selects. In the
 * mesh's root namespace without a selector it is mesh-wide; elsewhere without a selector it
 * covers its namespace; with `selector` the workloads of its namespace whose labels match.
 * `mode` absent (UNSET): inherited from the next wider one (PERMISSIVE when none says).
 */
export interface PeerAuthenticationRule {
  readonly kind: 'PeerAuthentication';
  readonly identity: RuleIdentity;
  /** `selector.matchLabels`; absent: every workload of the namespace. */
  readonly selector?: Labels;
  readonly mode?: PeerMtlsMode;
  /** `portLevelMtls`, by workload port (a port with UNSET inherits `mode`, as it is resolved). */
  readonly portLevel: readonly { readonly port: number; readonly mode?: PeerMtlsMode }[];
  readonly language: RuleLanguage;
}

export type ParsedRule = VirtualServiceRule | DestinationRuleRule | ServiceEntryRule | PeerAuthenticationRule;

/** `istio` (networking.istio.io), `legacy` (config.istio.io Rules API), `gateway-api`, `consul`. */
export type RuleLanguage = 'istio' | 'legacy' | 'gateway-api' | 'consul';
