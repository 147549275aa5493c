import { createHash } from 'node:crypto';
import { shortDigest } from '../hash';
import type { Labels, Service, ServiceInstance } from '../model';
import type { HostPolicy } from '../rules/host-policy';
import type { ShardedMap } from './sharded-map';

/** One service as the mesh sees it: merged across adapters, with its instances. */
export interface ServiceEntry {
  readonly service: Service;
  /** Every instance of every port, in canonical order. */
  readonly instances: readonly ServiceInstance[];
  /** Digest of the entry's content (its policy included); equal content, equal version, in any process. */
  readonly version: string;
  /**
   * Digest of what route tables and listeners are built from: the service's hostname, ports and
   * VIPs, not its instances or labels. Equal shapes, equal routes.
   */
  readonly shape: string;
  /** What the traffic rules say about this host (routes, subsets, traffic policy); absent when none do. */
  readonly policy?: HostPolicy;
}

/**
 * An immutable picture of the mesh. Entries that did not change are the same objects as in
 * the previous snapshot, so renderers can memoise per entry and work only on what changed.
 */
export interface Snapshot {
  /** Derived from content only: replicas that see the same platforms serve the same versions. */
  readonly version: string;
  /** By hostname; shards unchanged since the previous snapshot are shared with it. */
  readonly services: ShardedMap<ServiceEntry>;
  /** Hostnames added, changed or removed since the previous snapshot (all of them in the first). */
  readonly changed: ReadonlySet<string>;
  /**
   * Version of the snapshot this one follows (undefined for the first). Derived state kept for
   * that version can be brought up to date by applying `changed` alone.
   */
  readonly previousVersion?: string;
  /** When it was published (ms since epoch); not part of the version. */
  readonly createdAt: number;
  /**
   * When the earliest change it carries reached the registry (ms since epoch): `createdAt` minus
   * this is the time the change waited (debounce, first sync). Not part of the version.
   */
  readonly changedSince: number;
  /** Milliseconds spent merging and digesting it. Not part of the version. */
  readonly buildMs: number;
}

/**
 * An entry with the policy the rules give its host: its version and shape then cover the policy,
 * so renderers keyed on them see a rule change as a change of that host.
 */
export function withPolicy(entry: ServiceEntry, policy: HostPolicy | undefined): ServiceEntry {
  if (!policy) return entry;
  const mix = (digest: string) => shortDigest(`${digest} ${policy.version}`);
  return { ...entry, policy, version: mix(entry.version), shape: mix(entry.shape) };
}

/**
 * Normalised services and instances have fixed fields, so their canonical form is written field by
 * field (JSON arrays in a fixed order, labels sorted) straight into the hash, rather than through
 * a generic canonical JSON: digesting is most of what reporting a service costs.
 */
export function serviceShape(service: Service, shapeText = serviceShapeText(service)): string {
  return shortDigest(shapeText);
}

/**
 * `shapeText`: serviceShapeText(service), when the caller has it already.
 *
 * The digested text is written as one string, every free-form field after its length (`5:zone1`)
 * and every number before a `;`, so that no two entries write the same text: cheaper than a JSON
 * array of the fields, and digesting is much of what reporting a service costs.
 */
export function entryVersion(
  service: Service,
  instances: readonly ServiceInstance[],
  shapeText = serviceShapeText(service),
): string {
  let text = sized(shapeText) + labelsText(service.labels) + sized(service.origin);
  // Instances share labels (the registry shares equal ones): each is written once.
  let lastLabels: Labels | undefined;
  let lastText = '';
  for (const i of instances) {
    if (i.labels !== lastLabels) {
      lastLabels = i.labels;
      lastText = labelsText(i.labels);
    }
    const { region = '', zone = '', subzone = '' } = i.locality;
    text +=
      sized(i.address) +
      i.port +
      ';' +
      sized(i.portName) +
      lastText +
      sized(region) +
      sized(zone) +
      sized(subzone) +
      i.weight +
      ';' +
      sized(i.health) +
      sized(i.origin);
  }
  return shortDigest(text);
}

function sized(text: string): string {
  return text.length + ':' + text;
}

/** Labels in key order, their count first. */
function labelsText(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length > 1) keys.sort();
  let text = keys.length + '#';
  for (const key of keys) text += sized(key) + sized(labels[key] ?? '');
  return text;
}

/** What serviceShape digests. */
export function serviceShapeText(service: Service): string {
  return JSON.stringify([
    service.hostname,
    service.ports.map((p) => [p.name, p.port, p.protocol]),
    service.addresses,
  ]);
}

/**
 * The snapshot version: a digest over the digests of the service map's shards (each a digest of
 * its `hostname entry-version` lines in name order; entry versions cover each host's policy).
 * Content-derived (the same in every process for the same content), and kept up to date per shard:
 * a publish re-digests the shards that changed, not the mesh.
 */
export class SnapshotDigest {
  private shardDigests: string[] = [];

  /** Re-digests the given shards of `services` (all of them the first time). */
  update(services: ShardedMap<ServiceEntry>, shards: Iterable<number>): void {
    if (this.shardDigests.length !== services.shardCount) {
      this.shardDigests = Array.from({ length: services.shardCount }, (_, i) => shardDigest(services, i));
      return;
    }
    for (const index of shards) this.shardDigests[index] = shardDigest(services, index);
  }

  version(): string {
    const hasher = createHash('sha256');
    for (const digest of this.shardDigests) hasher.update(digest);
    return hasher.digest().toString('hex', 0, 8);
  }
}

/** The version of a snapshot's content computed from scratch (what SnapshotDigest keeps up to date). */
export function snapshotVersion(services: ShardedMap<ServiceEntry>): string {
  const digest = new SnapshotDigest();
  digest.update(services, []);
  return digest.version();
}

function shardDigest(services: ShardedMap<ServiceEntry>, index: number): string {
  const shard = services.shard(index);
  const names = [...shard.keys()].sort();
  let lines = '';
  for (const name of names) lines += `${name} ${shard.get(name)?.version ?? ''}\n`;
  return shortDigest(lines);
}
