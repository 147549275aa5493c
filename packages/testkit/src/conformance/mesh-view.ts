import type { Snapshot } from '@sextant/core';
import type { ConformancePlatform, ConformanceService } from './subject';

/**
 * What the suite compares: for each hostname, its endpoints as `address:port health`, sorted and
 * deduplicated (an adapter may report one instance per port), or `absent`. This is what every
 * platform can express; port names, labels and protocols are the adapter's own business.
 */
export type MeshView = Record<string, readonly string[] | 'absent'>;

/** The view the platform's services should produce, plus `absent` for each name in `gone`. */
export function expectedView<O>(
  platform: ConformancePlatform<O>,
  services: readonly ConformanceService[],
  gone: readonly string[] = [],
): MeshView {
  const view: MeshView = {};
  for (const service of services) {
    view[platform.hostname(service.name)] = sortedUnique(
      service.instances.map((instance) => `${instance.address}:${instance.port} healthy`),
    );
  }
  for (const name of gone) view[platform.hostname(name)] = 'absent';
  return view;
}

/** The same hostnames as `like`, as `snapshot` shows them. */
export function snapshotView(snapshot: Snapshot | undefined, like: MeshView): MeshView {
  const view: MeshView = {};
  for (const hostname of Object.keys(like)) {
    const entry = snapshot?.services.get(hostname);
    view[hostname] = entry
      ? sortedUnique(
          entry.instances.map((instance) => `${instance.address}:${instance.port} ${instance.health}`),
        )
      : 'absent';
  }
  return view;
}

/** Views of the same hostnames in the same order (snapshotView follows `like`), compared by content. */
export function sameView(a: MeshView, b: MeshView): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sortedUnique(items: readonly string[]): string[] {
  return [...new Set(items)].sort();
}
