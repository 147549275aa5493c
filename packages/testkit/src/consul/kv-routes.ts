import type { IncomingMessage, ServerResponse } from 'node:http';
import { permissionDenied, type ReadRights } from './acl';
import { datacenter, sendError, sendJson, type Answer, type ConsulWorld } from './consul-routes';
import type { DatacenterState } from './datacenter-state';
import { KV_MAX_VALUE_SIZE, type KvEntry } from './kv-store';
import { ConsulHttpError, readParams } from './request-params';

/**
 * `/v1/kv/<key>` as a Consul agent serves it (hashicorp/consul `agent/kvs_endpoint.go`):
 * - GET a key (`?raw` for its bare value), every key under a prefix (`?recurse`), or their names
 *   (`?keys`, `?separator`): a JSON array, or 404 with the index when nothing is there; blocking
 *   with `?index=&wait=` like the catalog;
 * - PUT the request body as the value (`?flags`, `?cas`: `true` or `false`); a body over
 *   kv_max_value_size is a 413;
 * - DELETE a key or a prefix (`?recurse`, `?cas`).
 * ACLs: reads drop keys the token may not read (a single key it may not read is a 403); writes
 * need `key:write`.
 */
export function handleKvRequest(
  world: ConsulWorld,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  key: string,
): void {
  const method = request.method ?? 'GET';
  const query = url.searchParams;
  if (method === 'GET') return kvRead(world, request, response, url, key);
  if (method !== 'PUT' && method !== 'DELETE') {
    throw new ConsulHttpError(405, `method ${method} not allowed`, { Allow: 'GET,PUT,DELETE' });
  }
  const params = readParams(request, query);
  const rights = world.acl.resolve(params.token);
  const dc = datacenter(world, params);
  if (key === '' && !(method === 'DELETE' && query.has('recurse'))) {
    throw new ConsulHttpError(400, 'Missing key name');
  }
  for (const unsupported of ['acquire', 'release']) {
    if (query.has(unsupported))
      throw new ConsulHttpError(400, `the fake Consul does not support ?${unsupported} (sessions)`);
  }
  if (!rights.canWriteKey(key)) throw permissionDenied(rights, 'key:write', key);
  const cas = readUint(query, 'cas', 'Invalid CAS index');
  if (method === 'DELETE') {
    const deleted = dc.kv.delete(key, {
      ...(cas !== undefined && { cas }),
      recurse: query.has('recurse'),
    });
    world.wrote(dc.name);
    return sendJson(world, response, url, { body: deleted }, params);
  }
  const flags = readUint(query, 'flags', 'Invalid flags');
  const declared = Number(request.headers['content-length'] ?? '0');
  if (declared > KV_MAX_VALUE_SIZE) throw tooLarge(declared);
  readCappedBody(request, (body, size) => {
    try {
      if (body === undefined) throw tooLarge(size);
      const written = dc.kv.put(key, body.length === 0 ? null : body, {
        ...(cas !== undefined && { cas }),
        ...(flags !== undefined && { flags }),
      });
      world.wrote(dc.name);
      sendJson(world, response, url, { body: written }, params);
    } catch (error) {
      sendError(world, response, error);
    }
  });
}

function kvRead(
  world: ConsulWorld,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  key: string,
): void {
  const query = url.searchParams;
  const params = readParams(request, query);
  const rights = world.acl.resolve(params.token);
  const dc = datacenter(world, params);
  const listing = query.has('recurse') || query.has('keys');
  // A list answers with the newest index under its prefix; a single key with the store's.
  const currentIndex = () => (listing ? dc.kv.indexOf(key) : dc.kv.indexOf(''));
  world.blocking.run(
    dc.name,
    params.index,
    params.waitMs,
    currentIndex,
    () => {
      try {
        const answer = read(dc, rights, key, query, currentIndex());
        if (answer.raw) {
          if (response.destroyed || response.headersSent) return;
          response.setHeader('X-Consul-Index', String(Math.max(1, answer.index ?? 1)));
          response.end(answer.raw);
          return;
        }
        sendJson(world, response, url, answer, params);
      } catch (error) {
        sendError(world, response, error);
      }
    },
    (release) => response.once('close', release),
  );
}

function read(
  dc: DatacenterState,
  rights: ReadRights,
  key: string,
  query: URLSearchParams,
  index: number,
): Answer & { raw?: Buffer } {
  const notFound = { body: undefined, status: 404, index };
  if (query.has('keys')) {
    const separator = query.get('separator') ?? '';
    const names = new Set<string>();
    let filtered = false;
    for (const entry of dc.kv.list(key)) {
      if (!rights.canReadKey(entry.key)) {
        filtered = true;
        continue;
      }
      const rest = entry.key.slice(key.length);
      const cut = separator === '' ? -1 : rest.indexOf(separator);
      names.add(cut < 0 ? entry.key : entry.key.slice(0, key.length + cut + separator.length));
    }
    if (names.size === 0) return { ...notFound, filteredByAcl: filtered };
    return { body: [...names], index, filteredByAcl: filtered };
  }
  if (query.has('recurse')) {
    const entries = dc.kv.list(key);
    const readable = entries.filter((entry) => rights.canReadKey(entry.key));
    const filtered = readable.length < entries.length;
    if (readable.length === 0) return { ...notFound, filteredByAcl: filtered };
    return { body: readable.map(entryJson), index, filteredByAcl: filtered };
  }
  const entry = dc.kv.get(key);
  if (!entry) return notFound;
  if (!rights.canReadKey(key)) throw permissionDenied(rights, 'key:read', key);
  if (query.has('raw')) return { body: undefined, index, raw: entry.value ?? Buffer.alloc(0) };
  return { body: [entryJson(entry)], index };
}

/** An entry as Consul writes it (structs.DirEntry: Session only when held, Value base64 or null). */
function entryJson(entry: KvEntry): object {
  return {
    LockIndex: entry.lockIndex,
    Key: entry.key,
    Flags: entry.flags,
    Value: entry.value === null ? null : entry.value.toString('base64'),
    ...(entry.session !== undefined && { Session: entry.session }),
    CreateIndex: entry.createIndex,
    ModifyIndex: entry.modifyIndex,
  };
}

function readUint(query: URLSearchParams, name: string, message: string): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  if (!/^\d+$/.test(text)) throw new ConsulHttpError(400, message);
  return Number(text);
}

function tooLarge(size: number): ConsulHttpError {
  return new ConsulHttpError(
    413,
    `Request body(${size} bytes) too large, max size: ${KV_MAX_VALUE_SIZE} bytes. See ` +
      'https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size.',
  );
}

/** The body, or undefined once it passed the value cap (the rest is read and dropped, so memory stays bounded). */
function readCappedBody(
  request: IncomingMessage,
  then: (body: Buffer | undefined, size: number) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= KV_MAX_VALUE_SIZE) chunks.push(chunk);
    else chunks.length = 0;
  });
  request.on('end', () => then(size <= KV_MAX_VALUE_SIZE ? Buffer.concat(chunks) : undefined, size));
}
