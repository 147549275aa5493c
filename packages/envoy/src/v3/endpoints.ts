import {
  formatServiceKey,
  labelsMatch,
  type Health,
  type Locality,
  type ServiceEntry,
  type ServiceInstance,
  type ServiceKey,
} from '@sextant/core';
import { socketAddress } from './building-blocks';
import type { EncodedResource } from './encoded-resource';
import { cachedResource, encode, type V3Scope } from './render-scope';
import { ENDPOINT_TYPE } from './type-urls';
import type { LbEndpoint, LocalityLbEndpoints } from './wire-types';

const HEALTH_STATUS: Readonly<Record<Health, 'HEALTHY' | 'UNHEALTHY' | 'DRAINING'>> = {
  healthy: 'HEALTHY',
  unhealthy: 'UNHEALTHY',
  draining: 'DRAINING',
};

const UINT32_MAX = 4294967295;

/**
 * The ClusterLoadAssignment named by a service key (`<hostname>|<port name>[|<labels>]`, the EDS
 * service name of the outbound clusters): the instances of that port (narrowed to the subset's
 * labels), grouped by locality. Cached by the entry's version and the key: a change to another
 * service keeps it.
 */
export function clusterLoadAssignment(scope: V3Scope, entry: ServiceEntry, key: ServiceKey): EncodedResource {
  const name = formatServiceKey(key);
  const instances = entry.instances.filter(
    (i) => i.portName === key.portName && labelsMatch(key.labels, i.labels),
  );
  // A subset that selects nothing costs little to render and may be a name a client made up:
  // it is not kept, so inventing subset names cannot fill the cache.
  const transient = instances.length === 0 && Object.keys(key.labels).length > 0;
  const render = () =>
    encode(
      scope,
      ENDPOINT_TYPE,
      name,
      { cluster_name: name, endpoints: localityGroups(instances) },
      transient,
    );
  return transient ? render() : cachedResource(scope, `eds ${entry.version} ${name}`, render);
}

/**
 * One LocalityLbEndpoints per locality, in locality order. Every group carries a `locality`
 * (gRPC clients reject a group without one, even an empty one) and a weight: the sum of the
 * weights of its endpoints that take traffic (healthy ones; draining endpoints finish their
 * requests but get no new ones). gRPC clients split traffic between localities by these weights
 * as given, so counting endpoints that take none would send a half-unhealthy zone more than its
 * share. Envoy uses them only with locality-weighted balancing. Health is reported, not filtered.
 *
 * A locality with no healthy endpoint gets weight 1, not 0: the field's validation rule is
 * `uint32 >= 1` (Envoy NACKs 0), and gRPC treats a locality without a weight as absent. Weight 1
 * sends it nothing anyway: gRPC drops a locality with no HEALTHY/UNKNOWN endpoint before
 * weighting, and Envoy scales a locality's weight by the share of its hosts that are healthy.
 */
function localityGroups(instances: readonly ServiceInstance[]): LocalityLbEndpoints[] {
  const weights = fitWeights(instances.map((i) => i.weight));
  const groups = new Map<string, { locality: Locality; endpoints: LbEndpoint[]; weight: number }>();
  instances.forEach((instance, index) => {
    const { region = '', zone = '', subzone = '' } = instance.locality;
    const id = `${region}/${zone}/${subzone}`;
    let group = groups.get(id);
    if (!group) {
      group = { locality: instance.locality, endpoints: [], weight: 0 };
      groups.set(id, group);
    }
    const weight = weights[index] ?? 1;
    if (instance.health === 'healthy') group.weight += weight;
    group.endpoints.push({
      endpoint: { address: socketAddress(instance.address, instance.port) },
      health_status: HEALTH_STATUS[instance.health],
      load_balancing_weight: { value: weight },
    });
  });
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, group]) => ({
      locality: localityOf(group.locality),
      lb_endpoints: group.endpoints,
      load_balancing_weight: { value: Math.max(group.weight, 1) },
    }));
}

function localityOf({ region, zone, subzone }: Locality): LocalityLbEndpoints['locality'] {
  return {
    ...(region ? { region } : {}),
    ...(zone ? { zone } : {}),
    ...(subzone ? { sub_zone: subzone } : {}),
  };
}

/**
 * Envoy and gRPC refuse an assignment whose weights add up to more than a uint32. Weights that
 * would are scaled down proportionally (each at least 1); ordinary weights are left as they are.
 */
function fitWeights(weights: readonly number[]): number[] {
  const total = weights.reduce((sum, w) => sum + w, 0);
  if (total <= UINT32_MAX) return [...weights];
  const factor = (UINT32_MAX - weights.length) / total;
  return weights.map((w) => Math.max(1, Math.floor(w * factor)));
}
