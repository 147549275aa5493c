import type { ProxyIdentity, Snapshot } from '@sextant/core';
import type { MeshIndexes } from '../mesh-index';
import { NO_SOURCE, type ProxySource } from './route-plan';

/**
 * What a proxy is, for routes that apply only to some clients: the labels and services of its
 * own workload (its instances at its IP) and its namespace (Istio's node id names the workload as
 * `<name>.<namespace>`; else the first label of its domain).
 */
export function proxySource(mesh: MeshIndexes, snapshot: Snapshot, proxy: ProxyIdentity): ProxySource {
  const instances = proxy.ip === undefined ? [] : mesh.instancesAt(snapshot, proxy.ip);
  const dot = proxy.id.indexOf('.');
  const namespace = dot > 0 ? proxy.id.slice(dot + 1) : proxy.domain.split('.')[0] || undefined;
  if (instances.length === 0 && namespace === undefined) return NO_SOURCE;
  const labels: Record<string, string> = {};
  for (const instance of instances) Object.assign(labels, instance.labels);
  return {
    labels,
    ...(namespace !== undefined && { namespace }),
    services: new Set(instances.map((i) => i.hostname)),
  };
}

/**
 * What of a proxy its route tables depend on, as a cache key: nothing while no route in the mesh
 * selects clients, else its source (so proxies of one workload share tables).
 */
export function sourceKey(mesh: MeshIndexes, snapshot: Snapshot, source: ProxySource): string {
  if (!mesh.hasSourceSelectors(snapshot)) return '';
  const labels = Object.keys(source.labels)
    .sort()
    .map((k) => `${k}=${source.labels[k] ?? ''}`);
  // A namespace no selector names decides nothing: a client inventing one shares the others' tables.
  const namespace =
    source.namespace !== undefined && mesh.isSelectorNamespace(snapshot, source.namespace)
      ? source.namespace
      : '';
  return `${namespace}|${labels.join(',')}|${[...source.services].sort().join(',')}`;
}
