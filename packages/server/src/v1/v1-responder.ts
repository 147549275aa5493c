import {
  formatServiceKey,
  parseProxyIdentity,
  parseServiceKey,
  ProxyIdentityError,
  ServiceKeyError,
  type ProxyIdentity,
  type ServiceKey,
  type Snapshot,
} from '@sextant/core';
import {
  cdsBody,
  DEFAULT_V1_OPTIONS,
  encodeJson,
  ldsBody,
  proxyRenderKey,
  rdsBody,
  renderSds,
  sdsBody,
  sortedEntries,
  UnknownRouteConfigError,
  type EncodedBody,
  type V1RenderOptions,
} from '@sextant/envoy';
import { HttpError, NOT_SYNCED_MESSAGE } from '../http-errors';
import type { MeshState } from '../mesh-state';
import { ResponseCache } from '../response-cache';

export type V1Api = 'sds' | 'cds' | 'rds' | 'lds' | 'registration';

/**
 * Answers the v1 REST APIs from the current snapshot with bodies encoded by @sextant/envoy,
 * each produced once per (proxy class, snapshot) and served as the same bytes until something
 * the answer depends on changes. Bad input becomes an HttpError, never a 500.
 */
export class V1Responder {
  constructor(
    private readonly mesh: MeshState,
    readonly cache = new ResponseCache(),
    private readonly options: V1RenderOptions = DEFAULT_V1_OPTIONS,
  ) {}

  sds(serviceKey: string): EncodedBody {
    const key = parseKey(serviceKey);
    const snapshot = this.snapshot();
    const text = formatServiceKey(key);
    // Valid for as long as this one service is unchanged, across snapshots.
    const validFor = snapshot.services.get(key.hostname)?.version ?? 'absent';
    return this.cache.get(`sds ${text}`, validFor, () => sdsBody(snapshot, key));
  }

  cds(serviceNode: string): EncodedBody {
    const proxy = parseProxy(serviceNode);
    const snapshot = this.snapshot();
    return this.cache.get(`cds ${proxyRenderKey(proxy)}`, snapshot.version, () =>
      cdsBody(snapshot, proxy, this.options),
    );
  }

  rds(routeConfigName: string, serviceNode: string): EncodedBody {
    const proxy = parseProxy(serviceNode);
    const snapshot = this.snapshot();
    try {
      return this.cache.get(`rds ${routeConfigName} ${proxy.domain}`, snapshot.version, () =>
        rdsBody(snapshot, routeConfigName, proxy),
      );
    } catch (error) {
      if (error instanceof UnknownRouteConfigError) throw new HttpError(404, error.message);
      throw error;
    }
  }

  lds(serviceNode: string): EncodedBody {
    const proxy = parseProxy(serviceNode);
    const snapshot = this.snapshot();
    return this.cache.get(`lds ${proxyRenderKey(proxy)}`, snapshot.version, () =>
      ldsBody(snapshot, proxy, this.options),
    );
  }

  /** Every service key (one per service port) with its hosts, for people, as Pilot's /v1/registration. */
  registration(): EncodedBody {
    const snapshot = this.snapshot();
    return this.cache.get('registration', snapshot.version, () =>
      encodeJson(
        sortedEntries(snapshot).flatMap(({ service }) =>
          service.ports.map((port) => {
            const key = { hostname: service.hostname, portName: port.name, labels: {} };
            return { 'service-key': formatServiceKey(key), hosts: renderSds(snapshot, key).hosts };
          }),
        ),
      ),
    );
  }

  private snapshot(): Snapshot {
    const snapshot = this.mesh.current();
    if (!snapshot) throw new HttpError(503, NOT_SYNCED_MESSAGE);
    return snapshot;
  }
}

function parseKey(text: string): ServiceKey {
  try {
    return parseServiceKey(text);
  } catch (error) {
    if (error instanceof ServiceKeyError) throw new HttpError(404, error.message);
    throw error;
  }
}

export function parseProxy(text: string): ProxyIdentity {
  try {
    return parseProxyIdentity(text);
  } catch (error) {
    if (error instanceof ProxyIdentityError) throw new HttpError(404, error.message);
    throw error;
  }
}
