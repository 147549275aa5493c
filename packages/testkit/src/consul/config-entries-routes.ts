import type { IncomingMessage } from 'node:http';
import { permissionDenied, type ReadRights } from './acl';
import type { DatacenterState } from './datacenter-state';
import { ConsulHttpError } from './request-params';

/** The answer of a read, as consul-routes sends it. */
export interface ConfigAnswer {
  readonly body: unknown;
  readonly index?: number;
  readonly filteredByAcl?: boolean;
}

/** The parts of consul-routes the config routes answer through (passed in, so neither imports the other). */
export interface ConfigRouteKit {
  /** A blocking read of the request's datacenter, answered with `read` once its index moves. */
  blockingRead(
    read: (dc: DatacenterState, rights: ReadRights) => ConfigAnswer,
    index: (dc: DatacenterState) => number,
  ): void;
  /** A write: the body read, then `write` run (its errors answered as Consul answers them), its result sent as JSON. */
  write(withBody: boolean, write: (dc: DatacenterState, rights: ReadRights, body: unknown) => unknown): void;
}

const KIND_OR_NAME = 'Must provide either a kind or both kind and name';

/**
 * `/v1/config` as a Consul agent serves it (agent/config_endpoint.go): `GET /v1/config/:kind`
 * lists (a JSON array, `[]` when none), `GET /v1/config/:kind/:name` reads one (404 `Config entry
 * not found for "<kind>" / "<name>"`), both blocking on the config-entries index; `PUT /v1/config`
 * upserts the entry in the body (`?cas=` compare-and-set, answering `true`/`false`); `DELETE
 * /v1/config/:kind/:name` deletes (`{}`, or `true`/`false` with `?cas=`). ACLs: reading or writing
 * an entry needs the token to cover its name (the fake's service prefixes stand for service:read
 * and service:write); lists leave out what the token cannot read.
 */
export function routeConfigEntries(
  request: IncomingMessage,
  url: URL,
  path: readonly string[],
  kit: ConfigRouteKit,
): void {
  const method = request.method ?? 'GET';
  const [kind, name, ...rest] = path;
  if (rest.length > 0) throw new ConsulHttpError(404, KIND_OR_NAME);
  if (method === 'PUT' && kind === undefined) {
    const cas = readCas(url);
    return kit.write(true, (dc, rights, body) => {
      const entryName = (body as { Name?: unknown } | undefined)?.Name;
      if (typeof entryName === 'string' && !rights.canReadService(entryName)) {
        throw permissionDenied(rights, 'service:write', entryName);
      }
      return dc.configEntries.apply(body, cas);
    });
  }
  if (kind === undefined || kind === '') {
    if (method !== 'GET' && method !== 'DELETE' && method !== 'PUT') {
      throw new ConsulHttpError(405, `method ${method} not allowed`, { Allow: 'GET,PUT,DELETE' });
    }
    throw new ConsulHttpError(404, KIND_OR_NAME);
  }
  if (method === 'DELETE') {
    if (name === undefined || name === '') throw new ConsulHttpError(404, KIND_OR_NAME);
    const cas = readCas(url);
    return kit.write(false, (dc, rights) => {
      if (!rights.canReadService(name)) throw permissionDenied(rights, 'service:write', name);
      const deleted = dc.configEntries.delete(kind, name, cas);
      return cas === undefined ? {} : deleted;
    });
  }
  if (method !== 'GET') {
    throw new ConsulHttpError(405, `method ${method} not allowed`, { Allow: 'GET,PUT,DELETE' });
  }
  if (name === undefined || name === '') {
    return kit.blockingRead(
      (dc, rights) => {
        const all = dc.configEntries.list(kind);
        const body = all.filter((entry) => rights.canReadService(entry.Name));
        return { body, index: dc.configEntries.index, filteredByAcl: body.length < all.length };
      },
      (dc) => dc.configEntries.index,
    );
  }
  return kit.blockingRead(
    (dc, rights) => {
      if (!rights.canReadService(name)) throw permissionDenied(rights, 'service:read', name);
      const entry = dc.configEntries.get(kind, name);
      if (!entry) throw new ConsulHttpError(404, `Config entry not found for "${kind}" / "${name}"`);
      return { body: entry, index: dc.configEntries.index };
    },
    (dc) => dc.configEntries.index,
  );
}

/** `?cas=`: an unsigned integer (Consul's strconv.ParseUint error otherwise). */
function readCas(url: URL): bigint | undefined {
  const text = url.searchParams.get('cas');
  if (text === null || text === '') return undefined;
  if (!/^\d+$/.test(text))
    throw new ConsulHttpError(400, `strconv.ParseUint: parsing "${text}": invalid syntax`);
  return BigInt(text);
}
