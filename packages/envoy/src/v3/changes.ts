import { isHttpProtocol, type ServiceEntry, type Snapshot } from '@sextant/core';
import { VIRTUAL_OUTBOUND_LISTENER } from './listeners';
import { serviceShape } from './service-shape';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, type ResourceTypeUrl } from './type-urls';

/**
 * Which named resources a snapshot may have changed, without rendering anything. Every resource
 * name maps to a dependency: the service it is built from (`host:<hostname>`), the port whose
 * services it lists (`port:<port>`), nothing that ever changes (`static`), or `any` when the
 * name alone does not tell. A snapshot change lists the dependencies it touched, so a server
 * can find the subscriptions concerned through an index instead of asking every stream.
 */
export type Dependency = `host:${string}` | `port:${number}` | 'static' | 'any';

export function resourceDependency(typeUrl: ResourceTypeUrl, name: string): Dependency {
  switch (typeUrl) {
    case CLUSTER_TYPE: {
      const cluster = /^(?:outbound|inbound)\|\d+\|[^|]*\|(.+)$/.exec(name);
      return cluster ? `host:${cluster[1]}` : 'static';
    }
    case ENDPOINT_TYPE: {
      const bar = name.indexOf('|');
      return bar > 0 ? `host:${name.slice(0, bar)}` : 'static';
    }
    case LISTENER_TYPE: {
      if (name === VIRTUAL_OUTBOUND_LISTENER) return 'static';
      const outbound = /^0\.0\.0\.0_(\d+)$/.exec(name);
      if (outbound) return `port:${Number(outbound[1])}`;
      // Inbound and VIP listeners (`<ip>_<port>`) depend on which service holds the address.
      if (/^(?:\[[0-9a-fA-F:.]+\]|[0-9.]+)_\d+$/.test(name)) return 'any';
      const apiTarget = /^(.+):\d+$/.exec(name);
      return `host:${apiTarget ? apiTarget[1] : name}`;
    }
    case ROUTE_TYPE:
      return /^\d{1,5}$/.test(name) ? `port:${Number(name)}` : 'static';
  }
}

export interface SnapshotChange {
  /** The snapshots are unrelated (none before, or one was skipped): anything may differ. */
  readonly everything: boolean;
  /** Dependencies whose resources may differ. */
  readonly dependencies: ReadonlySet<Dependency>;
  /** IPs of instances that changed: the own (inbound) resources of proxies at them may differ. */
  readonly addresses: ReadonlySet<string>;
}

/** What `next` may have changed since `previous`, from `next.changed` alone. */
export function snapshotChange(previous: Snapshot | undefined, next: Snapshot): SnapshotChange {
  const dependencies = new Set<Dependency>();
  const addresses = new Set<string>();
  const related = previous !== undefined && next.previousVersion === previous.version;
  if (!related) return { everything: true, dependencies, addresses };
  for (const hostname of next.changed) {
    const before = previous.services.get(hostname);
    const after = next.services.get(hostname);
    dependencies.add(`host:${hostname}`);
    // Route tables and outbound HTTP listeners list services by port; instances do not matter to them.
    if (!before || !after || serviceShape(before.service) !== serviceShape(after.service)) {
      for (const entry of [before, after])
        for (const port of httpPortNumbers(entry)) dependencies.add(`port:${port}`);
    }
    for (const entry of [before, after])
      for (const instance of entry?.instances ?? []) addresses.add(instance.address);
  }
  return { everything: false, dependencies, addresses };
}

function httpPortNumbers(entry: ServiceEntry | undefined): number[] {
  return (entry?.service.ports ?? []).filter((p) => isHttpProtocol(p.protocol)).map((p) => p.port);
}
