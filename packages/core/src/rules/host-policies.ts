import { formatRuleIdentity, type RuleIdentity } from './resource';
import { hostPolicy, isEmptyPolicy, type HostPolicy } from './host-policy';
import type {
  DestinationRuleRule,
  HttpRoute,
  MeshParent,
  ParsedRule,
  PeerAuthenticationRule,
  SourceSelector,
  Subset,
  VirtualServiceRule,
} from './model';
import { compareSpecificity } from './parse/gateway/specificity';
import type { ActiveRule } from './rule-book';

/**
 * Which rules concern which hostname, and the policy each hostname gets from them:
 *
 * - Routes: the VirtualService naming the host exactly, else the one whose wildcard matches it
 *   most specifically (`*.default.svc.cluster.local` before `*.svc.cluster.local`); with several
 *   for the same host name, the first by namespace then name wins (the others are reported as
 *   shadowed). Legacy RouteRules for a host apply only when no VirtualService does: they are
 *   ordered by precedence (highest first), then namespace and name, evaluation stops at the first
 *   catch-all, and otherwise the host's default route is appended (Pilot's semantics).
 *   Gateway API HTTPRoutes attached to a Service apply unless a VirtualService names its host
 *   exactly (they beat a wildcard one); the routes of all of them merge in the Gateway API's
 *   precedence (meshRoutes).
 *   Only rules bound to the mesh (no `gateways`, or `mesh` among them) route sidecars and
 *   proxyless clients.
 * - Subsets and traffic policy: the DestinationRules for the host, in namespace/name order:
 *   subsets concatenated (a repeated name: the first wins), the traffic policy of the first that
 *   has one (Istio's merge). A subset a route in force still names after its DestinationRule
 *   dropped it is kept, as last defined, until no route names it (make-before-break).
 * - Peer authentication: every PeerAuthentication in force, in namespace/name order, on every
 *   host. Which one applies depends on the workload a proxy runs (its namespace and labels),
 *   which only the renderers know; carried by each host, a change re-renders what it may change.
 *
 * Kept up to date by the registry: `update` with the rules that changed returns the hostnames
 * whose policy may have changed, so only those entries are re-merged and re-rendered.
 */
export class HostPolicies {
  private readonly routesByHost = new Map<string, VirtualServiceRule[]>();
  private readonly wildcardRoutes = new Set<VirtualServiceRule>();
  private readonly destinationRules = new Map<string, DestinationRuleRule[]>();
  /** Hosts the routes of each rule send traffic to (their subsets may be kept). */
  private readonly referencedBy = new Map<string, Set<VirtualServiceRule>>();
  /** Subsets as last defined by a DestinationRule, per host, for routes that still name them. */
  private readonly lastDefined = new Map<string, Map<string, Subset>>();
  private readonly policies = new Map<string, HostPolicy | undefined>();
  private readonly peerAuthentications = new Map<string, PeerAuthenticationRule>();
  /** The PeerAuthentications in force in namespace/name order (one array shared by every policy). */
  private peerAuthenticationList: readonly PeerAuthenticationRule[] = [];

  /**
   * Applies a change of the rules in force (`before` → `after`, for the rules keyed in `changed`)
   * and returns the hostnames whose policy may differ. `hostnames` lists the mesh's services, for
   * wildcard hosts.
   */
  update(
    changed: readonly string[],
    before: ReadonlyMap<string, ActiveRule>,
    after: ReadonlyMap<string, ActiveRule>,
    hostnames: () => Iterable<string>,
  ): Set<string> {
    const touched = new Set<string>();
    let wildcards = false;
    let peers = false;
    for (const key of changed) {
      const old = before.get(key)?.rule;
      const now = after.get(key)?.rule;
      if (old?.kind === 'PeerAuthentication' || now?.kind === 'PeerAuthentication') {
        peers = true;
        if (now?.kind === 'PeerAuthentication') this.peerAuthentications.set(key, now);
        else this.peerAuthentications.delete(key);
        continue;
      }
      if (old) wildcards = this.forget(old, touched) || wildcards;
      if (now) wildcards = this.remember(now, touched) || wildcards;
    }
    if (peers) {
      this.peerAuthenticationList = byName([...this.peerAuthentications.values()]);
      for (const hostname of hostnames()) touched.add(hostname);
    }
    if (wildcards)
      for (const hostname of hostnames()) if (this.matchesWildcard(hostname)) touched.add(hostname);
    for (const hostname of touched) this.policies.delete(hostname);
    return touched;
  }

  /** The policy of a hostname; undefined when no rule concerns it. */
  policyFor(hostname: string): HostPolicy | undefined {
    if (this.policies.has(hostname)) return this.policies.get(hostname);
    const policy = this.compute(hostname);
    this.policies.set(hostname, policy);
    return policy;
  }

  /** A hostname appeared or went: its cached policy (computed while it was unknown) is dropped. */
  forgetHost(hostname: string): void {
    this.policies.delete(hostname);
  }

  private remember(rule: ParsedRule, touched: Set<string>): boolean {
    let wildcard = false;
    if (rule.kind === 'VirtualService') {
      for (const host of rule.hosts) {
        if (host.startsWith('*')) {
          this.wildcardRoutes.add(rule);
          wildcard = true;
        } else {
          add(this.routesByHost, host, rule);
          touched.add(host);
        }
      }
      for (const host of destinationHosts(rule)) {
        let rules = this.referencedBy.get(host);
        if (!rules) this.referencedBy.set(host, (rules = new Set()));
        rules.add(rule);
        touched.add(host);
      }
    } else if (rule.kind === 'DestinationRule') {
      add(this.destinationRules, rule.host, rule);
      touched.add(rule.host);
    } else if (rule.kind === 'ServiceEntry') {
      for (const host of rule.hosts) touched.add(host);
    }
    return wildcard;
  }

  private forget(rule: ParsedRule, touched: Set<string>): boolean {
    let wildcard = false;
    if (rule.kind === 'VirtualService') {
      for (const host of rule.hosts) {
        if (host.startsWith('*')) {
          this.wildcardRoutes.delete(rule);
          wildcard = true;
        } else {
          remove(this.routesByHost, host, rule);
          touched.add(host);
        }
      }
      for (const host of destinationHosts(rule)) {
        const rules = this.referencedBy.get(host);
        rules?.delete(rule);
        if (rules?.size === 0) this.referencedBy.delete(host);
        touched.add(host);
      }
    } else if (rule.kind === 'DestinationRule') {
      remove(this.destinationRules, rule.host, rule);
      touched.add(rule.host);
    } else if (rule.kind === 'ServiceEntry') {
      for (const host of rule.hosts) touched.add(host);
    }
    return wildcard;
  }

  private matchesWildcard(hostname: string): boolean {
    for (const rule of this.wildcardRoutes)
      if (rule.hosts.some((h) => wildcardMatches(h, hostname))) return true;
    return false;
  }

  private compute(hostname: string): HostPolicy | undefined {
    // The common case of a large mesh: most hosts no rule names. Telling so costs four lookups,
    // not the merge (which allocates a policy only to find it empty).
    if (this.concernsNoRule(hostname)) return undefined;
    const routes = this.routesFor(hostname);
    const destinationRules = byName(this.destinationRules.get(hostname) ?? []);
    const subsets = this.subsetsFor(hostname, destinationRules);
    const trafficPolicy = destinationRules.find((r) => r.trafficPolicy)?.trafficPolicy;
    const peerAuthentications = this.peerAuthenticationList;
    const content = {
      ...routes,
      subsets,
      ...(trafficPolicy && { trafficPolicy }),
      ...(peerAuthentications.length > 0 && { peerAuthentications }),
      rules: [...(routes.rules ?? []), ...destinationRules.map((r) => r.identity)],
    };
    if (isEmptyPolicy(content)) return undefined;
    return hostPolicy(content);
  }

  private concernsNoRule(hostname: string): boolean {
    return (
      this.wildcardRoutes.size === 0 &&
      this.peerAuthenticationList.length === 0 &&
      !this.routesByHost.has(hostname) &&
      !this.destinationRules.has(hostname) &&
      !this.referencedBy.has(hostname) &&
      !this.lastDefined.has(hostname)
    );
  }

  private routesFor(hostname: string): {
    http?: readonly HttpRoute[];
    tcp?: VirtualServiceRule['tcp'];
    appendDefaultRoute: boolean;
    rules?: RuleIdentity[];
  } {
    const exact = (this.routesByHost.get(hostname) ?? []).filter(boundToMesh);
    const istio = byName(exact.filter((r) => r.precedence === undefined && !r.attachment));
    // An HTTPRoute attached to the Service names it exactly: it beats a wildcard VirtualService.
    const attached = istio.length === 0 ? exact.filter((r) => r.attachment) : [];
    if (attached.length > 0) {
      return {
        http: meshRoutes(hostname, attached),
        appendDefaultRoute: false,
        rules: byName(attached).map((r) => r.identity),
      };
    }
    const winner = istio[0] ?? this.wildcardWinner(hostname);
    if (winner) {
      return {
        ...(winner.http.length > 0 && { http: winner.http }),
        ...(winner.tcp.length > 0 && { tcp: winner.tcp }),
        appendDefaultRoute: winner.appendDefaultRoute,
        rules: [winner.identity],
      };
    }
    const legacy = exact
      .filter((r) => r.precedence !== undefined)
      .sort((a, b) => (b.precedence ?? 0) - (a.precedence ?? 0) || compareIdentity(a.identity, b.identity));
    if (legacy.length === 0) return { appendDefaultRoute: false };
    const http: HttpRoute[] = [];
    let catchAll = false;
    for (const rule of legacy) {
      for (const route of rule.http) {
        if (catchAll) break;
        http.push(route);
        catchAll = route.matches.length === 0;
      }
    }
    return { http, appendDefaultRoute: !catchAll, rules: legacy.map((r) => r.identity) };
  }

  /** The mesh-bound VirtualService whose wildcard matches `hostname` most specifically. */
  private wildcardWinner(hostname: string): VirtualServiceRule | undefined {
    let best: { rule: VirtualServiceRule; length: number } | undefined;
    for (const rule of byName([...this.wildcardRoutes].filter(boundToMesh))) {
      for (const host of rule.hosts) {
        if (wildcardMatches(host, hostname) && (!best || host.length > best.length))
          best = { rule, length: host.length };
      }
    }
    return best?.rule;
  }

  private subsetsFor(hostname: string, destinationRules: readonly DestinationRuleRule[]): Subset[] {
    const defined = new Map<string, Subset>();
    for (const rule of destinationRules) {
      for (const subset of rule.subsets) if (!defined.has(subset.name)) defined.set(subset.name, subset);
    }
    const memory = this.lastDefined.get(hostname) ?? new Map<string, Subset>();
    for (const [name, subset] of defined) memory.set(name, subset);
    const named = this.namedSubsets(hostname);
    const subsets = [...defined.values()];
    for (const [name, labeled] of named) {
      if (defined.has(name)) continue;
      // A legacy route names its subset by labels: that is the subset, no DestinationRule needed.
      const kept = labeled ?? memory.get(name);
      if (kept) subsets.push(kept);
    }
    // Remember only what is defined or still named, so the memory does not outlive the routes.
    for (const name of [...memory.keys()]) if (!defined.has(name) && !named.has(name)) memory.delete(name);
    if (memory.size > 0) this.lastDefined.set(hostname, memory);
    else this.lastDefined.delete(hostname);
    return subsets;
  }

  /**
   * Subsets of `hostname` that the routes in force name, with the subset itself when a route
   * defines it by labels (legacy RouteRules).
   */
  private namedSubsets(hostname: string): Map<string, Subset | undefined> {
    const names = new Map<string, Subset | undefined>();
    for (const rule of this.referencedBy.get(hostname) ?? []) {
      for (const destination of destinations(rule)) {
        if (destination.host !== hostname || !destination.subset) continue;
        const labels = destination.subsetLabels;
        names.set(
          destination.subset,
          labels
            ? { name: destination.subset, labels, origin: { rule: rule.identity, path: 'spec.route' } }
            : names.get(destination.subset),
        );
      }
    }
    return names;
  }
}

/**
 * The routes of the Gateway API HTTPRoutes attached to `hostname`, merged as GAMMA says. A
 * producer route (in the Service's namespace) applies to every client; a consumer route (in
 * another namespace) only to clients in its namespace, which then follow their namespace's
 * consumer routes and no producer route. Within each group, matches are ordered by the spec's
 * precedence across every rule of every route: specificity, then the oldest route, then
 * namespace/name, then the order written. A route attached to one port of the Service applies
 * to that port only. Requests no route matches get 404 (no default route follows).
 */
function meshRoutes(hostname: string, rules: readonly VirtualServiceRule[]): HttpRoute[] {
  interface Entry {
    readonly rule: VirtualServiceRule;
    readonly parent: MeshParent;
    readonly route: HttpRoute;
    readonly index: number;
  }
  const producers: Entry[] = [];
  const consumers = new Map<string, Entry[]>();
  for (const rule of rules) {
    for (const parent of rule.attachment?.parents ?? []) {
      if (parent.host !== hostname) continue;
      const namespace = rule.identity.namespace;
      const group = namespace === parent.namespace ? producers : listIn(consumers, namespace);
      for (const [index, route] of rule.http.entries()) group.push({ rule, parent, route, index });
    }
  }
  const precedence = (a: Entry, b: Entry): number =>
    (a.route.specificity &&
      b.route.specificity &&
      compareSpecificity(a.route.specificity, b.route.specificity)) ||
    (a.rule.attachment?.createdAt ?? Infinity) - (b.rule.attachment?.createdAt ?? Infinity) ||
    compareIdentity(a.rule.identity, b.rule.identity) ||
    a.index - b.index;
  const scoped = (entries: Entry[], source: SourceSelector | undefined): HttpRoute[] =>
    entries.sort(precedence).map(({ route, parent }) => ({
      ...route,
      matches: route.matches.map((match) => ({
        ...match,
        ...(parent.port !== undefined && { port: parent.port }),
        ...(source && { source }),
      })),
    }));
  const namespaces = [...consumers.keys()].sort();
  return [
    ...namespaces.flatMap((namespace) => scoped(consumers.get(namespace) ?? [], { namespace })),
    ...scoped(producers, namespaces.length > 0 ? { excludedNamespaces: namespaces } : undefined),
  ];
}

function listIn<T>(map: Map<string, T[]>, key: string): T[] {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  return list;
}

/** Every destination a VirtualService's routes, mirrors and TCP routes name. */
function destinations(rule: VirtualServiceRule) {
  const list = [];
  for (const route of rule.http) {
    if (route.action.kind === 'route') list.push(...route.action.destinations);
    for (const mirror of route.mirrors) list.push(mirror.destination);
  }
  for (const route of rule.tcp) list.push(...route.destinations);
  return list;
}

function destinationHosts(rule: VirtualServiceRule): Set<string> {
  return new Set(destinations(rule).map((d) => d.host));
}

function boundToMesh(rule: VirtualServiceRule): boolean {
  return rule.gateways.length === 0 || rule.gateways.includes('mesh');
}

/** `*.example.com` matches `a.example.com` and `a.b.example.com`; `*-v2.example.com` a label prefix; `*` everything. */
export function wildcardMatches(pattern: string, hostname: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.startsWith('*')) return pattern === hostname;
  return hostname.endsWith(pattern.slice(1)) && hostname.length > pattern.length - 1;
}

function byName<R extends { identity: RuleIdentity }>(rules: readonly R[]): R[] {
  return [...rules].sort((a, b) => compareIdentity(a.identity, b.identity));
}

function compareIdentity(a: RuleIdentity, b: RuleIdentity): number {
  const x = formatRuleIdentity(a);
  const y = formatRuleIdentity(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function add<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function remove<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key)?.filter((v) => v !== value);
  if (list && list.length > 0) map.set(key, list);
  else map.delete(key);
}
