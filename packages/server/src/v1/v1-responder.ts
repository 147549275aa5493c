import {
  parseProxyIdentity,
  parseServiceKey,
  ProxyIdentityError,
  ServiceKeyError,
  type ProxyIdentity,
  type ServiceKey,
  type Snapshot,
} from '@sextant/core';
import { UnknownRouteConfigError, type EncodedBody, type V1Renderer } from '@sextant/envoy';
import { HttpError, NOT_SYNCED_MESSAGE } from '../http-errors';
import type { MeshState } from '../mesh-state';

export type V1Api = 'sds' | 'cds' | 'rds' | 'lds' | 'registration';

/**
 * Answers the v1 REST APIs from the current snapshot with bodies the renderer caches by what
 * they depend on, served as the same bytes until that changes. Bad input becomes an HttpError,
 * never a 500.
 */
export class V1Responder {
  constructor(
    private readonly mesh: MeshState,
    private readonly renderer: V1Renderer,
  ) {}

  /** The version of the snapshot answers come from; undefined before the first sync. */
  version(): string | undefined {
    return this.mesh.current()?.version;
  }

  sds(serviceKey: string): EncodedBody {
    const key = parseKey(serviceKey);
    return this.renderer.sds(this.snapshot(), key);
  }

  cds(serviceNode: string): EncodedBody {
    const proxy = parseProxy(serviceNode);
    return this.renderer.cds(this.snapshot(), proxy);
  }

  rds(routeConfigName: string, serviceNode: string): EncodedBody {
    const proxy = parseProxy(serviceNode);
    const snapshot = this.snapshot();
    try {
      return this.renderer.rds(snapshot, routeConfigName, proxy);
    } catch (error) {
      if (error instanceof UnknownRouteConfigError) throw new HttpError(404, error.message);
      throw error;
    }
  }

  lds(serviceNode: string): EncodedBody {
    const proxy = parseProxy(serviceNode);
    return this.renderer.lds(this.snapshot(), proxy);
  }

  /** Every service key (one per service port) with its hosts, for people, as Pilot's /v1/registration. */
  registration(): EncodedBody {
    return this.renderer.registration(this.snapshot());
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
