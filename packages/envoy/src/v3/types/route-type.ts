import { proxySource, sourceKey } from '../../plan/proxy-source';
import { routeConfigPort } from '../../route-domains';
import { cachedGroup } from '../render-scope';
import { routeConfiguration } from '../routes';
import { ROUTE_TYPE } from '../type-urls';
import type { ResourceType } from './resource-type';

/**
 * RDS: a route configuration per port that carries HTTP services, named by the port (`"9080"`),
 * as the outbound HTTP listeners name them. It depends on the proxy's (effective) domain, and on
 * its source (workload labels, namespace) only while some route selects clients.
 */
export const routeType: ResourceType = {
  typeUrl: ROUTE_TYPE,
  shortName: 'rds',
  wholeState: false,
  sharedKey: (scope, snapshot, { proxy }) =>
    `${scope.mesh.effectiveDomain(snapshot, proxy.domain)} ${sourceKey(scope.mesh, snapshot, proxySource(scope.mesh, snapshot, proxy))}`,
  ownKey: () => '',
  shared: (scope, snapshot, { proxy }) => {
    const domain = scope.mesh.effectiveDomain(snapshot, proxy.domain);
    const source = proxySource(scope.mesh, snapshot, proxy);
    const key = sourceKey(scope.mesh, snapshot, source);
    return cachedGroup(scope, `rds shared ${snapshot.version} ${domain} ${key}`, () =>
      scope.mesh
        .httpPorts(snapshot)
        .map((port) => routeConfiguration(scope, snapshot, port, domain, source, key)),
    );
  },
  own: () => [],
  find: (scope, snapshot, { proxy }, name) => {
    const port = routeConfigPort(name);
    if (port === undefined || scope.mesh.httpEntriesOnPort(snapshot, port).length === 0) return undefined;
    const source = proxySource(scope.mesh, snapshot, proxy);
    return routeConfiguration(
      scope,
      snapshot,
      port,
      proxy.domain,
      source,
      sourceKey(scope.mesh, snapshot, source),
    );
  },
  dependency: (name) => {
    const port = routeConfigPort(name);
    return port === undefined ? 'static' : `port:${port}`;
  },
};
