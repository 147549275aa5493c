import { isHttpProtocol, type ServiceEntry, type Snapshot } from '@sextant/core';
import type { ResourceTypeUrl } from './type-urls';
import { resourceType, type Dependency } from './types';

/** Which model change concerns a named resource (see ResourceType.dependency). */
export function resourceDependency(typeUrl: ResourceTypeUrl, name: string): Dependency {
  return resourceType(typeUrl).dependency(name);
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
    if (before?.shape !== after?.shape) {
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
