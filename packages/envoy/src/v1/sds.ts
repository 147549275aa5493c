import { labelsMatch, type ServiceKey, type Snapshot } from '@sextant/core';
import type { SdsHost, SdsResponse } from './types';

const V1_MAX_WEIGHT = 100;

/**
 * v1 SDS: the healthy instances of one service key. Instances that are unhealthy or draining
 * are left out (v1 has no health status per host); an unknown key answers an empty list, which
 * is what Envoy expects rather than an error.
 */
export function renderSds(snapshot: Snapshot, key: ServiceKey): SdsResponse {
  const entry = snapshot.services.get(key.hostname);
  if (!entry) return { hosts: [] };
  const hosts: SdsHost[] = [];
  for (const instance of entry.instances) {
    if (instance.portName !== key.portName || instance.health !== 'healthy') continue;
    if (!labelsMatch(key.labels, instance.labels)) continue;
    const weight = Math.min(V1_MAX_WEIGHT, Math.max(1, instance.weight));
    hosts.push({
      ip_address: instance.address,
      port: instance.port,
      tags: instance.locality.zone
        ? { az: instance.locality.zone, load_balancing_weight: weight }
        : { load_balancing_weight: weight },
    });
  }
  return { hosts };
}
