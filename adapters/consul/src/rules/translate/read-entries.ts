import { entrySource, EntryFields, type EntryProblem } from './entry-problems';
import { readFilterExpression } from './filter-expression';

/**
 * Consul's L7 config entries (hashicorp/consul api/config_entry_discoverychain.go, api/config_entry.go)
 * read into the pieces of Istio's language they become. Reading checks everything translation
 * needs, so that an entry either reads (possibly with warnings for fields left out) or is refused
 * whole with errors naming the field.
 */
export const CONFIG_ENTRY_KINDS = [
  'service-router',
  'service-splitter',
  'service-resolver',
  'service-defaults',
] as const;
export type ConfigEntryKind = (typeof CONFIG_ENTRY_KINDS)[number];

type Json = Record<string, unknown>;

/** Where a route, a split or a router's catch-all sends requests, before the chain is followed. */
export interface DestinationSpec {
  /** Empty: the entry's own service. */
  readonly service?: string;
  readonly subset?: string;
}

export interface RouteSpec {
  /** Istio match blocks (OR); empty for a route matching everything. */
  readonly matches: readonly Json[];
  readonly destination: DestinationSpec;
  /** HTTPRoute fields: rewrite, timeout, retries, headers. */
  readonly action: Json;
}

export interface RouterEntry {
  readonly kind: 'service-router';
  readonly name: string;
  readonly routes: readonly RouteSpec[];
}

export interface SplitSpec {
  /** In hundredths of a percent (Consul's resolution): an integer, so shares survive exactly. */
  readonly weight: number;
  readonly destination: DestinationSpec;
  /** Per-destination header operations. */
  readonly headers?: Json;
}

export interface SplitterEntry {
  readonly kind: 'service-splitter';
  readonly name: string;
  readonly splits: readonly SplitSpec[];
}

export interface ResolverEntry {
  readonly kind: 'service-resolver';
  readonly name: string;
  readonly defaultSubset?: string;
  readonly subsets: readonly { readonly name: string; readonly labels: Readonly<Record<string, string>> }[];
  /** DestinationRule trafficPolicy parts: connectionPool.tcp.connectTimeout, loadBalancer. */
  readonly trafficPolicy: Json;
  readonly requestTimeout?: string;
}

export interface DefaultsEntry {
  readonly kind: 'service-defaults';
  readonly name: string;
  /** Traffic policies this service's proxies use towards named upstreams (UpstreamConfig.Overrides). */
  readonly upstreams: readonly {
    readonly service: string;
    readonly trafficPolicy: Json;
    readonly field: string;
  }[];
}

export type ConfigEntry = RouterEntry | SplitterEntry | ResolverEntry | DefaultsEntry;

export interface EntryReading {
  /** `service-router/web`. */
  readonly key: string;
  /** Undefined when the entry is refused (an error among `problems`). */
  readonly entry?: ConfigEntry;
  readonly problems: readonly EntryProblem[];
}

/** Reads one entry of `kind` as Consul listed it. */
export function readConfigEntry(kind: ConfigEntryKind, raw: unknown, index: number): EntryReading {
  const name =
    typeof raw === 'object' && raw !== null && typeof (raw as Json).Name === 'string'
      ? ((raw as Json).Name as string)
      : `#${index}`;
  const source = entrySource(kind, name);
  const problems: EntryProblem[] = [];
  const report = (field: string, message: string, severity: 'error' | 'warning' = 'error') =>
    problems.push({ entry: source, field, message, severity });
  const fields = EntryFields.of(raw, '', report);
  if (!fields || !fields.string('Name')) {
    if (fields) report('Name', 'missing');
    return { key: `${kind}/${name}`, problems };
  }
  refuseOtherTenancy(fields);
  const entry = READERS[kind](fields, name);
  const refused = problems.some((p) => p.severity === 'error');
  return { key: `${kind}/${name}`, ...(!refused && { entry }), problems };
}

const READERS: Record<ConfigEntryKind, (fields: EntryFields, name: string) => ConfigEntry> = {
  'service-router': readRouter,
  'service-splitter': readSplitter,
  'service-resolver': readResolver,
  'service-defaults': readDefaults,
};

/** Admin partitions and namespaces are Consul Enterprise; Sextant's hosts know neither. */
function refuseOtherTenancy(fields: EntryFields): void {
  for (const field of ['Namespace', 'Partition']) {
    const value = fields.string(field);
    if (value !== undefined && value !== 'default') {
      fields.error(field, `"${value}": only the default ${field.toLowerCase()} is supported`);
    }
  }
}

function readRouter(fields: EntryFields, name: string): RouterEntry {
  const routes = fields.objects('Routes').map((route) => {
    const http = route.object('Match')?.object('HTTP');
    const matches = http ? readHttpMatch(http) : [];
    const destination = route.object('Destination');
    return {
      matches,
      destination: destination ? readDestination(destination) : {},
      action: destination ? readRouteAction(destination, http) : { retries: { attempts: 0 } },
    };
  });
  return { kind: 'service-router', name, routes };
}

/** One Istio match block, or one per method (Istio matches one method per block). */
function readHttpMatch(http: EntryFields): Json[] {
  const block: Json = {};
  const paths = ['PathExact', 'PathPrefix', 'PathRegex'].filter((f) => http.has(f));
  if (paths.length > 1) http.error(paths[1] as string, `only one of ${paths.join(', ')} may be set`);
  const exact = http.string('PathExact');
  const prefix = http.string('PathPrefix');
  const regex = http.string('PathRegex');
  if (exact !== undefined) block.uri = { exact };
  else if (prefix !== undefined) block.uri = { prefix };
  else if (regex !== undefined) block.uri = { regex };
  const headers: Json = {};
  const without: Json = {};
  for (const header of http.objects('Header')) {
    const headerName = header.string('Name');
    if (headerName === undefined) {
      header.error('Name', 'missing');
      continue;
    }
    const key = headerName.toLowerCase();
    const target = header.boolean('Invert') ? without : headers;
    if (key in target) {
      header.error('Name', `"${headerName}" is matched twice: Istio matches a header once per block`);
      continue;
    }
    const match = stringMatch(header, ['Present', 'Exact', 'Prefix', 'Suffix', 'Regex']);
    if (match) target[key] = match;
  }
  const query: Json = {};
  for (const param of http.objects('QueryParam')) {
    const paramName = param.string('Name');
    if (paramName === undefined) {
      param.error('Name', 'missing');
      continue;
    }
    if (paramName in query) {
      param.error('Name', `"${paramName}" is matched twice: Istio matches a parameter once per block`);
      continue;
    }
    const match = stringMatch(param, ['Present', 'Exact', 'Regex']);
    if (match) query[paramName] = match;
  }
  if (Object.keys(headers).length > 0) block.headers = headers;
  if (Object.keys(without).length > 0) block.withoutHeaders = without;
  if (Object.keys(query).length > 0) block.queryParams = query;
  const methods = http.strings('Methods');
  if (methods.length === 0) return Object.keys(block).length > 0 ? [block] : [];
  return [...new Set(methods.map((m) => m.toUpperCase()))].map((method) => ({
    ...block,
    method: { exact: method },
  }));
}

/** Consul's Present/Exact/Prefix/Suffix/Regex (one of) as an Istio StringMatch; `{}` is presence. */
function stringMatch(fields: EntryFields, allowed: readonly string[]): Json | undefined {
  const given = allowed.filter((f) => (f === 'Present' ? fields.boolean(f) : fields.has(f)));
  if (given.length > 1) {
    fields.error(given[1] as string, `only one of ${given.join(', ')} may be set`);
    return undefined;
  }
  const exact = fields.string('Exact');
  const prefix = fields.string('Prefix');
  const suffix = fields.string('Suffix');
  const regex = fields.string('Regex');
  if (exact !== undefined) return { exact };
  if (prefix !== undefined) return { prefix };
  if (suffix !== undefined) return { regex: `.*${escapeRegex(suffix)}` };
  if (regex !== undefined) return { regex };
  if (given[0] === 'Present') return {};
  fields.error('', `needs one of ${allowed.join(', ')}`);
  return undefined;
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

function readDestination(destination: EntryFields): DestinationSpec {
  refuseOtherTenancy(destination);
  const service = destination.string('Service');
  const subset = destination.string('ServiceSubset');
  return { ...(service !== undefined && { service }), ...(subset !== undefined && { subset }) };
}

/** A route's rewrite, timeout, retries and header operations. */
function readRouteAction(destination: EntryFields, http: EntryFields | undefined): Json {
  const action: Json = {};
  const rewrite = destination.string('PrefixRewrite');
  if (rewrite !== undefined) {
    if (!http?.has('PathPrefix') && !http?.has('PathExact')) {
      destination.error('PrefixRewrite', 'needs Match.HTTP.PathPrefix or PathExact (as Consul requires)');
    }
    action.rewrite = { uri: rewrite };
  }
  const timeout = destination.string('RequestTimeout');
  if (timeout !== undefined) action.timeout = timeout;
  if (destination.has('IdleTimeout'))
    destination.warn('IdleTimeout', 'per-route idle timeouts are not supported');
  action.retries = readRetries(destination);
  const headers = {
    ...readHeaderOps(destination, 'RequestHeaders', 'request'),
    ...readHeaderOps(destination, 'ResponseHeaders', 'response'),
  };
  if (Object.keys(headers).length > 0) action.headers = headers;
  return action;
}

/**
 * Consul's retry fields as Istio's HTTPRetry. Consul configures no retries unless asked, so a route
 * without them gets `attempts: 0` (not the daemon's default policy); `NumRetries` 0 with a
 * condition is Envoy's default of one retry.
 */
function readRetries(destination: EntryFields): Json {
  const count = destination.number('NumRetries');
  const onConnect = destination.boolean('RetryOnConnectFailure');
  const codes = destination.list('RetryOnStatusCodes').flatMap(({ value }, index) => {
    if (Number.isInteger(value) && (value as number) >= 100 && (value as number) <= 599)
      return [String(value)];
    destination.error(`RetryOnStatusCodes[${index}]`, `${String(value)} is not an HTTP status`);
    return [];
  });
  const on = destination.strings('RetryOn');
  const retryOn = [...(onConnect ? ['connect-failure'] : []), ...on, ...codes];
  if ((count ?? 0) <= 0 && retryOn.length === 0) return { attempts: 0 };
  if (count !== undefined && (!Number.isInteger(count) || count < 0))
    destination.error('NumRetries', 'not a count');
  return {
    attempts: count && count > 0 ? count : 1,
    ...(retryOn.length > 0 && { retryOn: [...new Set(retryOn)].join(',') }),
  };
}

function readHeaderOps(fields: EntryFields, field: string, direction: 'request' | 'response'): Json {
  const ops = fields.object(field);
  if (!ops) return {};
  const add = ops.stringMap('Add');
  const set = ops.stringMap('Set');
  const remove = ops.strings('Remove');
  const out = { ...(add && { add }), ...(set && { set }), ...(remove.length > 0 && { remove }) };
  return Object.keys(out).length > 0 ? { [direction]: out } : {};
}

function readSplitter(fields: EntryFields, name: string): SplitterEntry {
  const splits = fields.objects('Splits').map((split) => {
    const weight = split.number('Weight') ?? 0;
    if (weight < 0 || weight > 100) split.error('Weight', `${weight} is not a percentage`);
    const headers = {
      ...readHeaderOps(split, 'RequestHeaders', 'request'),
      ...readHeaderOps(split, 'ResponseHeaders', 'response'),
    };
    return {
      weight: Math.round(weight * 100),
      destination: readDestination(split),
      ...(Object.keys(headers).length > 0 && { headers }),
    };
  });
  if (splits.length === 0) fields.error('Splits', 'no splits');
  const total = splits.reduce((sum, s) => sum + s.weight, 0);
  if (splits.length > 0 && total !== 10_000) {
    fields.error('Splits', `the weights total ${(total / 100).toFixed(2)}, not 100`);
  }
  return { kind: 'service-splitter', name, splits };
}

const LB_POLICIES: Record<string, string> = {
  round_robin: 'ROUND_ROBIN',
  least_request: 'LEAST_REQUEST',
  random: 'RANDOM',
};

function readResolver(fields: EntryFields, name: string): ResolverEntry {
  const declared = fields.entries('Subsets');
  const subsets = declared.flatMap(({ key, fields: subset }) => {
    const filter = subset.string('Filter') ?? '';
    const reading = readFilterExpression(filter);
    if ('problem' in reading) {
      subset.error('Filter', `cannot translate "${filter}" to a label selector: ${reading.problem}`);
      return [];
    }
    return [{ name: key, labels: reading.labels }];
  });
  const defaultSubset = fields.string('DefaultSubset');
  if (defaultSubset !== undefined && !declared.some((s) => s.key === defaultSubset)) {
    fields.error('DefaultSubset', `"${defaultSubset}" is not one of Subsets`);
  }
  if (fields.has('Redirect'))
    fields.error('Redirect', 'redirecting to another service or datacenter is not supported');
  if (fields.has('Failover')) {
    fields.warn(
      'Failover',
      'failover to other services or datacenters is not supported: requests stay on the primary targets',
    );
  }
  const trafficPolicy: Json = {};
  const connectTimeout = fields.string('ConnectTimeout');
  if (connectTimeout !== undefined) trafficPolicy.connectionPool = { tcp: { connectTimeout } };
  const lb = readLoadBalancer(fields);
  if (lb) trafficPolicy.loadBalancer = lb;
  const requestTimeout = fields.string('RequestTimeout');
  return {
    kind: 'service-resolver',
    name,
    ...(defaultSubset !== undefined && { defaultSubset }),
    subsets,
    trafficPolicy,
    ...(requestTimeout !== undefined && { requestTimeout }),
  };
}

function readLoadBalancer(resolver: EntryFields): Json | undefined {
  const lb = resolver.object('LoadBalancer');
  if (!lb) return undefined;
  const policy = lb.string('Policy');
  if (policy === undefined) return undefined;
  const simple = LB_POLICIES[policy];
  if (simple) return { simple };
  if (policy !== 'ring_hash' && policy !== 'maglev') {
    lb.error('Policy', `"${policy}" is not a load balancing policy Sextant knows`);
    return undefined;
  }
  const hashes = lb.objects('HashPolicies');
  const first = hashes[0];
  if (!first) {
    lb.error('HashPolicies', `${policy} needs a hash policy Sextant can express`);
    return undefined;
  }
  if (hashes.length > 1) lb.warn('HashPolicies', 'only the first hash policy is used');
  const hash: Json = {};
  const field = first.string('Field');
  const value = first.string('FieldValue');
  if (first.boolean('SourceIP')) hash.useSourceIp = true;
  else if (field === 'header' && value) hash.httpHeaderName = value;
  else if (field === 'query_parameter' && value) hash.httpQueryParameterName = value;
  else if (field === 'cookie' && value) {
    const cookie = first.object('CookieConfig');
    const path = cookie?.string('Path');
    const ttl = cookie?.string('TTL');
    if (cookie?.boolean('Session')) first.warn('CookieConfig.Session', 'session cookies are not supported');
    hash.httpCookie = { name: value, ...(path && { path }), ...(ttl && { ttl }) };
  } else {
    first.error(
      'Field',
      `${field ?? '(none)'} with FieldValue "${value ?? ''}" is not a hash Sextant can express`,
    );
    return undefined;
  }
  if (policy === 'maglev') hash.maglev = {};
  else {
    const size = lb.object('RingHashConfig')?.number('MinimumRingSize');
    hash.ringHash = size !== undefined ? { minimumRingSize: size } : {};
  }
  return { consistentHash: hash };
}

/**
 * service-defaults: what this service's proxies use towards its upstreams. Only per-upstream
 * `UpstreamConfig.Overrides[]` translate (to the upstream's DestinationRule); `Defaults` apply to
 * every upstream of one client, which a per-destination policy cannot say.
 */
function readDefaults(fields: EntryFields, name: string): DefaultsEntry {
  const upstream = fields.object('UpstreamConfig');
  if (upstream?.has('Defaults')) {
    upstream.warn(
      'Defaults',
      "defaults for every upstream of one client are not supported (Sextant's policies belong to the destination): use Overrides",
    );
  }
  const upstreams = (upstream?.objects('Overrides') ?? []).flatMap((override) => {
    refuseOtherTenancy(override);
    const service = override.string('Name');
    if (service === undefined) {
      override.error('Name', 'missing');
      return [];
    }
    return [{ service, trafficPolicy: upstreamPolicy(override), field: override.path }];
  });
  return { kind: 'service-defaults', name, upstreams };
}

/** ConnectTimeoutMs, Limits and PassiveHealthCheck as connectionPool and outlierDetection. */
function upstreamPolicy(config: EntryFields): Json {
  const tcp: Json = {};
  const http: Json = {};
  const connectMs = config.number('ConnectTimeoutMs');
  if (connectMs !== undefined && connectMs > 0) tcp.connectTimeout = `${Math.round(connectMs)}ms`;
  const limits = config.object('Limits');
  const maxConnections = limits?.number('MaxConnections');
  const maxPending = limits?.number('MaxPendingRequests');
  const maxConcurrent = limits?.number('MaxConcurrentRequests');
  if (maxConnections !== undefined) tcp.maxConnections = maxConnections;
  if (maxPending !== undefined) http.http1MaxPendingRequests = maxPending;
  if (maxConcurrent !== undefined) http.http2MaxRequests = maxConcurrent;
  const policy: Json = {};
  if (Object.keys(tcp).length > 0 || Object.keys(http).length > 0) {
    policy.connectionPool = {
      ...(Object.keys(tcp).length > 0 && { tcp }),
      ...(Object.keys(http).length > 0 && { http }),
    };
  }
  const check = config.object('PassiveHealthCheck');
  if (check) {
    const outlier: Json = {};
    const interval = check.string('Interval');
    const failures = check.number('MaxFailures');
    const maxEjection = check.number('MaxEjectionPercent');
    const baseEjection = check.string('BaseEjectionTime');
    const enforcing = check.number('EnforcingConsecutive5xx');
    if (interval !== undefined) outlier.interval = interval;
    if (failures !== undefined) outlier.consecutive5xxErrors = failures;
    if (maxEjection !== undefined) outlier.maxEjectionPercent = maxEjection;
    if (baseEjection !== undefined) outlier.baseEjectionTime = baseEjection;
    if (enforcing !== undefined && enforcing !== 100) {
      check.warn(
        'EnforcingConsecutive5xx',
        'enforcing a share of ejections is not supported: every ejection is enforced',
      );
    }
    if (Object.keys(outlier).length > 0) policy.outlierDetection = outlier;
  }
  for (const field of [
    'Protocol',
    'MeshGateway',
    'EnvoyListenerJSON',
    'EnvoyClusterJSON',
    'BalanceOutboundConnections',
  ]) {
    if (config.has(field)) config.warn(field, 'not translated');
  }
  return policy;
}
