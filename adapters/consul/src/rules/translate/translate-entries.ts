import type { RuleResource } from '@sextant/core';
import { entrySource, type EntryProblem } from './entry-problems';
import type {
  ConfigEntry,
  DefaultsEntry,
  DestinationSpec,
  ResolverEntry,
  RouterEntry,
  SplitterEntry,
} from './read-entries';

type Json = Record<string, unknown>;

/** The namespace of every rule translated from config entries: apart from rules files and KV. */
export const CONFIG_ENTRY_RULE_NAMESPACE = 'consul-config';

/**
 * Weighted destinations one route may get from nested splitters; past it, splitters are not
 * followed further (Consul refuses cycles on write; this bounds the work whatever comes).
 */
const MAX_DESTINATIONS = 256;
/** Weights are hundredths of a percent: Consul's 0.01 resolution, as integers. */
const WHOLE = 10_000;

export interface TranslationContext {
  /** The mesh hostname of a Consul service (the adapter's `hostname` template). */
  hostname(service: string): string;
}

export interface Translation {
  readonly rules: RuleResource[];
  /** Problems of the chain as a whole (two service-defaults disagreeing about one upstream). */
  readonly problems: EntryProblem[];
}

interface Weighted {
  readonly service: string;
  readonly subset: string | undefined;
  /** Share of the traffic, 0..1. */
  readonly share: number;
  readonly headers?: Json;
}

/**
 * Consul's discovery chain (router → splitter → resolver) as Istio resources: per service with a
 * router, a splitter or a resolver's default subset, a VirtualService whose routes are the
 * router's in order plus the implicit catch-all to the service itself; a destination naming a
 * service without a subset goes through that service's splitter (weighted destinations) or to its
 * resolver's DefaultSubset. Per service with a resolver or upstream settings, a DestinationRule.
 */
export function translateEntries(entries: readonly ConfigEntry[], context: TranslationContext): Translation {
  const chain = new Chain(entries, context);
  const services = new Set<string>([
    ...chain.routers.keys(),
    ...chain.splitters.keys(),
    ...[...chain.resolvers.values()].filter((r) => r.defaultSubset || r.requestTimeout).map((r) => r.name),
  ]);
  const rules: RuleResource[] = [];
  for (const service of [...services].sort()) rules.push(chain.virtualService(service));
  const policies = chain.upstreamPolicies();
  const withRules = new Set([
    ...[...chain.resolvers.values()]
      .filter((r) => r.subsets.length > 0 || Object.keys(r.trafficPolicy).length > 0)
      .map((r) => r.name),
    ...policies.byService.keys(),
  ]);
  for (const service of [...withRules].sort()) {
    const rule = chain.destinationRule(service, policies.byService.get(service));
    if (rule) rules.push(rule);
  }
  return { rules, problems: policies.problems };
}

class Chain {
  readonly routers = new Map<string, RouterEntry>();
  readonly splitters = new Map<string, SplitterEntry>();
  readonly resolvers = new Map<string, ResolverEntry>();
  readonly defaults: DefaultsEntry[] = [];

  constructor(
    entries: readonly ConfigEntry[],
    private readonly context: TranslationContext,
  ) {
    for (const entry of entries) {
      if (entry.kind === 'service-router') this.routers.set(entry.name, entry);
      else if (entry.kind === 'service-splitter') this.splitters.set(entry.name, entry);
      else if (entry.kind === 'service-resolver') this.resolvers.set(entry.name, entry);
      else this.defaults.push(entry);
    }
    this.defaults.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  virtualService(service: string): RuleResource {
    const router = this.routers.get(service);
    const http: Json[] = (router?.routes ?? []).map((route) => ({
      ...(route.matches.length > 0 && { match: route.matches }),
      route: this.destinations(route.destination, service),
      ...this.withResolverTimeout(route.action, route.destination, service),
    }));
    // Consul sends what no route matches to the service itself.
    if (!router?.routes.some((route) => route.matches.length === 0)) {
      http.push({
        route: this.destinations({}, service),
        ...this.withResolverTimeout({ retries: { attempts: 0 } }, {}, service),
      });
    }
    const kind = router
      ? 'service-router'
      : this.splitters.has(service)
        ? 'service-splitter'
        : 'service-resolver';
    return {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: service, namespace: CONFIG_ENTRY_RULE_NAMESPACE },
      spec: { hosts: [this.context.hostname(service)], http },
      source: entrySource(kind, service),
    };
  }

  destinationRule(service: string, upstream: Json | undefined): RuleResource | undefined {
    const resolver = this.resolvers.get(service);
    const trafficPolicy = mergePolicies(resolver?.trafficPolicy ?? {}, upstream ?? {});
    const subsets = (resolver?.subsets ?? []).map((s) => ({ name: s.name, labels: s.labels }));
    if (subsets.length === 0 && Object.keys(trafficPolicy).length === 0) return undefined;
    return {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: service, namespace: CONFIG_ENTRY_RULE_NAMESPACE },
      spec: {
        host: this.context.hostname(service),
        ...(Object.keys(trafficPolicy).length > 0 && { trafficPolicy }),
        ...(subsets.length > 0 && { subsets }),
      },
      source: resolver
        ? entrySource('service-resolver', service)
        : entrySource(
            'service-defaults',
            this.defaults.find((d) => d.upstreams.some((u) => u.service === service))?.name ?? service,
          ),
    };
  }

  /** Each upstream's policy from the service-defaults that name it (the first by name wins a disagreement). */
  upstreamPolicies(): { byService: Map<string, Json>; problems: EntryProblem[] } {
    const byService = new Map<string, Json>();
    const from = new Map<string, string>();
    const problems: EntryProblem[] = [];
    for (const defaults of this.defaults) {
      for (const upstream of defaults.upstreams) {
        if (Object.keys(upstream.trafficPolicy).length === 0) continue;
        const earlier = byService.get(upstream.service);
        if (earlier === undefined) {
          byService.set(upstream.service, upstream.trafficPolicy);
          from.set(upstream.service, defaults.name);
        } else if (JSON.stringify(earlier) !== JSON.stringify(upstream.trafficPolicy)) {
          problems.push({
            entry: entrySource('service-defaults', defaults.name),
            field: upstream.field,
            message: `settings for upstream ${upstream.service} differ from those of service-defaults/${from.get(upstream.service)}, which are used (a destination has one policy for every client)`,
            severity: 'warning',
          });
        }
      }
    }
    return { byService, problems };
  }

  /** A route's destinations: the chain followed from `spec` to subsets, as weighted Istio destinations. */
  private destinations(spec: DestinationSpec, routerService: string): Json[] {
    const weighted = this.follow(spec.service ?? routerService, spec.subset, undefined, 1);
    const merged = new Map<string, Weighted>();
    for (const w of weighted) {
      const key = JSON.stringify([w.service, w.subset ?? '', w.headers ?? null]);
      const before = merged.get(key);
      merged.set(key, before ? { ...w, share: before.share + w.share } : w);
    }
    const all = [...merged.values()];
    return all.map((w) => ({
      destination: {
        host: this.context.hostname(w.service),
        ...(w.subset !== undefined && { subset: w.subset }),
      },
      ...(all.length > 1 && { weight: Math.round(w.share * WHOLE) }),
      ...(w.headers && { headers: w.headers }),
    }));
  }

  /**
   * Where requests for `service` (and `subset`) end up: a subset named is final; otherwise the
   * service's splitter splits them (a split naming the splitter's own service goes to its
   * resolver, as in Consul); otherwise its resolver's DefaultSubset, or every instance.
   */
  private follow(
    service: string,
    subset: string | undefined,
    splitting: string | undefined,
    fanOut: number,
  ): Weighted[] {
    if (subset !== undefined) return [{ service, subset, share: 1 }];
    const splitter = service === splitting ? undefined : this.splitters.get(service);
    // Each level multiplies the destinations a path can end in; a product bounded by
    // MAX_DESTINATIONS bounds their total (and, with one split per level, the depth of a cycle).
    const splits = splitter?.splits.filter((split) => split.weight > 0) ?? [];
    if (splitter && fanOut * Math.max(2, splits.length) <= MAX_DESTINATIONS) {
      return splits.flatMap((split) =>
        this.follow(
          split.destination.service ?? service,
          split.destination.subset,
          service,
          fanOut * Math.max(2, splits.length),
        ).map((w) => ({
          ...w,
          share: (w.share * split.weight) / WHOLE,
          ...((split.headers ?? w.headers) && { headers: { ...w.headers, ...split.headers } }),
        })),
      );
    }
    return [{ service, subset: this.resolvers.get(service)?.defaultSubset, share: 1 }];
  }

  /** The destination service's resolver RequestTimeout, for a route that sets none itself. */
  private withResolverTimeout(action: Json, spec: DestinationSpec, routerService: string): Json {
    if (action.timeout !== undefined) return action;
    const timeout = this.resolvers.get(spec.service ?? routerService)?.requestTimeout;
    return timeout === undefined ? action : { ...action, timeout };
  }
}

/** A resolver's policy with an upstream override's: connection pool parts merged, the resolver's own fields first. */
function mergePolicies(resolver: Json, upstream: Json): Json {
  const pool = (p: Json, part: 'tcp' | 'http') =>
    ((p.connectionPool as Json | undefined)?.[part] as Json | undefined) ?? {};
  const tcp = { ...pool(upstream, 'tcp'), ...pool(resolver, 'tcp') };
  const http = { ...pool(upstream, 'http'), ...pool(resolver, 'http') };
  const merged: Json = { ...upstream, ...resolver };
  delete merged.connectionPool;
  if (Object.keys(tcp).length > 0 || Object.keys(http).length > 0) {
    merged.connectionPool = {
      ...(Object.keys(tcp).length > 0 && { tcp }),
      ...(Object.keys(http).length > 0 && { http }),
    };
  }
  return merged;
}
