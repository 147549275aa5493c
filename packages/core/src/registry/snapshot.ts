import { canonicalJson, contentVersion, sha256Hex } from '../hash';
import type { ConfigResource, Service, ServiceInstance } from '../model';

/** One service as the mesh sees it: merged across adapters, with its instances. */
export interface ServiceEntry {
  readonly service: Service;
  /** Every instance of every port, in canonical order. */
  readonly instances: readonly ServiceInstance[];
  /** Digest of the entry's content; equal content, equal version, in any process. */
  readonly version: string;
  /**
   * Digest of what route tables and listeners are built from: the service's hostname, ports and
   * VIPs, not its instances or labels. Equal shapes, equal routes.
   */
  readonly shape: string;
}

/**
 * An immutable picture of the mesh. Entries that did not change are the same objects as in
 * the previous snapshot, so renderers can memoise per entry and work only on what changed.
 */
export interface Snapshot {
  /** Derived from content only: replicas that see the same platforms serve the same versions. */
  readonly version: string;
  /** By hostname. */
  readonly services: ReadonlyMap<string, ServiceEntry>;
  /** Hostnames added, changed or removed since the previous snapshot (all of them in the first). */
  readonly changed: ReadonlySet<string>;
  /**
   * Version of the snapshot this one follows (undefined for the first). Derived state kept for
   * that version can be brought up to date by applying `changed` alone.
   */
  readonly previousVersion?: string;
  /** Traffic rules reported by adapters, in adapter order. */
  readonly config: readonly ConfigResource[];
  /** When it was published (ms since epoch); not part of the version. */
  readonly createdAt: number;
}

export function serviceShape(service: Service): string {
  return contentVersion([service.hostname, service.ports, service.addresses]);
}

export function entryVersion(service: Service, instances: readonly ServiceInstance[]): string {
  return contentVersion({ service, instances });
}

/** The snapshot version: a digest over (hostname, entry version) pairs in name order, and the rules. */
export function snapshotVersion(
  services: ReadonlyMap<string, ServiceEntry>,
  config: readonly ConfigResource[],
): string {
  const names = [...services.keys()].sort();
  const lines = names.map((name) => `${name} ${services.get(name)?.version ?? ''}`);
  lines.push(`config ${canonicalJson(config)}`);
  return sha256Hex(lines.join('\n')).slice(0, 16);
}
