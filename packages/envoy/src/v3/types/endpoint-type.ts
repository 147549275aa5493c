import { parseServiceKey, ServiceKeyError } from '@sextant/core';
import { clusterLoadAssignment } from '../endpoints';
import { cachedGroup } from '../render-scope';
import { ENDPOINT_TYPE } from '../type-urls';
import type { ResourceType } from './resource-type';

/**
 * EDS: a ClusterLoadAssignment per service key (`<hostname>|<port name>[|<labels>]`), the same
 * for every requester. The wildcard group holds one per service port; subsets are had by name.
 */
export const endpointType: ResourceType = {
  typeUrl: ENDPOINT_TYPE,
  shortName: 'eds',
  wholeState: false,
  sharedKey: () => '',
  ownKey: () => '',
  shared: (scope, snapshot) =>
    cachedGroup(scope, `eds shared ${snapshot.version}`, () =>
      scope.mesh.sortedEntries(snapshot).flatMap((entry) =>
        entry.service.ports.map((port) =>
          clusterLoadAssignment(scope, entry, {
            hostname: entry.service.hostname,
            portName: port.name,
            labels: {},
          }),
        ),
      ),
    ),
  own: () => [],
  find: (scope, snapshot, _requester, name) => {
    let key;
    try {
      key = parseServiceKey(name);
    } catch (error) {
      if (error instanceof ServiceKeyError) return undefined;
      throw error;
    }
    const entry = snapshot.services.get(key.hostname);
    if (!entry?.service.ports.some((p) => p.name === key.portName)) return undefined;
    return clusterLoadAssignment(scope, entry, key);
  },
  dependency: (name) => {
    const bar = name.indexOf('|');
    return bar > 0 ? `host:${name.slice(0, bar)}` : 'static';
  },
};
