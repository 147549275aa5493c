import type { ResourceTypeUrl } from '../type-urls';
import { clusterType } from './cluster-type';
import { endpointType } from './endpoint-type';
import { listenerType } from './listener-type';
import type { ResourceType } from './resource-type';
import { routeType } from './route-type';

export type { Dependency, RequesterParts, ResourceRequester, ResourceType } from './resource-type';

/**
 * Every type Sextant serves, in make-before-break order (the xDS spec's eventual-consistency
 * rules): clusters before the endpoints they name, both before the listeners that route to them,
 * listeners before their route configurations. Removals go the other way round.
 */
export const RESOURCE_TYPE_LIST: readonly ResourceType[] = [
  clusterType,
  endpointType,
  listenerType,
  routeType,
];

const byUrl = new Map<string, ResourceType>(RESOURCE_TYPE_LIST.map((t) => [t.typeUrl, t]));

export function resourceType(typeUrl: ResourceTypeUrl): ResourceType {
  return byUrl.get(typeUrl) as ResourceType;
}
