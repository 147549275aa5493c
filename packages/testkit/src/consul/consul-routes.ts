import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendGoRedirect } from '../go-redirect';
import { permissionDenied, type AclTable, type ReadRights } from './acl';
import type { BlockingQueries } from './blocking-queries';
import { routeConfigEntries, type ConfigRouteKit } from './config-entries-routes';
import type { DatacenterState, HealthEntry } from './datacenter-state';
import type { FaultPlan } from './fault-plan';
import { handleKvRequest } from './kv-routes';
import { checkJson, healthEntryJson } from './payloads';
import { ConsulHttpError, readParams, readPassing, requestToken, type ReadParams } from './request-params';
import { applyDeregistration, applyRegistration } from './registration';

/** What the routes read and write: the fake's state, shared with its test-facing API. */
export interface ConsulWorld {
  readonly datacenters: ReadonlyMap<string, DatacenterState>;
  /** The agent's own datacenter (the first configured). */
  readonly localDatacenter: string;
  readonly agentNode: string;
  readonly acl: AclTable;
  readonly faults: FaultPlan;
  readonly blocking: BlockingQueries;
  /** Wakes the blocked queries of `datacenter` after a write. */
  wrote(datacenter: string): void;
}

/** A successful read: the body and, for blocking endpoints, the index it answers with. */
export interface Answer {
  readonly body: unknown;
  /** Default 200; KV reads answer 404 (with their index) when nothing is there. */
  readonly status?: number;
  readonly index?: number;
  readonly filteredByAcl?: boolean;
}

const NOT_FOUND = 'Invalid URL path: not a recognized HTTP API endpoint';
const CHECK_STATES = new Set(['any', 'passing', 'warning', 'critical']);

/**
 * Serves one request the way a Consul agent does for the endpoints sextant uses
 * (platform-apis.md §1): validation errors and ACL refusals as plain text, blocking reads held
 * until their index moves or their wait elapses, and the response headers clients read.
 */
export function handleConsulRequest(
  world: ConsulWorld,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  const url = new URL(request.url ?? '/', 'http://consul');
  const path = url.pathname;
  const fault = world.faults.decide({ path, token: requestToken(request, url.searchParams) });
  if (fault?.kind === 'hang') return; // read, never answered: the socket stays open until someone gives up
  if (fault?.kind === 'redirect')
    return sendGoRedirect(response, fault.status, new URL(request.url ?? '/', fault.to));
  try {
    if (fault?.kind === 'error') throw new ConsulHttpError(fault.status, fault.body);
    route(world, request, response, url);
  } catch (error) {
    sendError(world, response, error);
  }
}

function route(world: ConsulWorld, request: IncomingMessage, response: ServerResponse, url: URL): void {
  const path = url.pathname;
  const method = request.method ?? 'GET';
  const segments = path.split('/').slice(1).map(decodeURIComponent);
  const [version, group, name, ...rest] = segments;
  if (version !== 'v1') throw new ConsulHttpError(404, NOT_FOUND);
  const key = `${group ?? ''}/${name ?? ''}`;
  const only = (allowed: string) => {
    if (method !== allowed) {
      throw new ConsulHttpError(405, `method ${method} not allowed`, { Allow: allowed });
    }
  };
  switch (key) {
    case 'catalog/register':
    case 'catalog/deregister':
      only('PUT');
      readBody(request, (body) => {
        try {
          const params = readParams(request, url.searchParams);
          world.acl.resolve(params.token);
          const dc =
            key === 'catalog/register' ? applyRegistration(world, body) : applyDeregistration(world, body);
          world.wrote(dc);
          sendJson(world, response, url, { body: true }, params);
        } catch (error) {
          sendError(world, response, error);
        }
      });
      return;
    case 'catalog/services':
      only('GET');
      return blockingRead(
        world,
        request,
        response,
        url,
        (dc, rights) => catalogServices(dc, rights),
        (dc) => dc.catalogIndex(),
      );
    case 'catalog/datacenters':
      only('GET');
      return sendJson(
        world,
        response,
        url,
        { body: [...world.datacenters.keys()] },
        readParams(request, url.searchParams),
      );
    case 'status/leader': {
      only('GET');
      const leader = world.faults.knownLeader ? '127.0.0.1:8300' : '';
      return sendJson(world, response, url, { body: leader }, readParams(request, url.searchParams));
    }
    case 'agent/self': {
      only('GET');
      const params = readParams(request, url.searchParams);
      const rights = world.acl.resolve(params.token);
      if (!rights.agentRead) throw permissionDenied(rights, 'agent:read', world.agentNode);
      return sendJson(world, response, url, { body: agentSelf(world) }, params);
    }
    default:
      break;
  }
  if (group === 'health' && name === 'service' && rest.length === 1) {
    only('GET');
    const service = rest[0] as string;
    if (service === '') throw new ConsulHttpError(400, 'Missing service name');
    const passing = readPassing(url.searchParams);
    const tags = url.searchParams.getAll('tag');
    return blockingRead(
      world,
      request,
      response,
      url,
      (dc, rights) => healthService(dc, rights, service, passing, tags),
      (dc) => dc.healthServiceIndex(service),
    );
  }
  if (group === 'health' && name === 'state' && rest.length === 1) {
    only('GET');
    const state = rest[0] as string;
    if (!CHECK_STATES.has(state)) throw new ConsulHttpError(400, `Invalid check state: ${state}`);
    return blockingRead(
      world,
      request,
      response,
      url,
      (dc, rights) => healthState(dc, rights, state),
      (dc) => dc.checksIndex(),
    );
  }
  if (group === 'health' && name === 'service') throw new ConsulHttpError(400, 'Missing service name');
  if (group === 'kv') return handleKvRequest(world, request, response, url, segments.slice(2).join('/'));
  if (group === 'config')
    return routeConfigEntries(request, url, segments.slice(2), configKit(world, request, response, url));
  throw new ConsulHttpError(404, NOT_FOUND);
}

/** How the config-entry routes read and write through this file's helpers. */
function configKit(
  world: ConsulWorld,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): ConfigRouteKit {
  return {
    blockingRead: (read, index) => blockingRead(world, request, response, url, read, index),
    write: (withBody, write) => {
      const apply = (body: unknown) => {
        try {
          if (body instanceof ConsulHttpError) throw body;
          const params = readParams(request, url.searchParams);
          const dc = datacenter(world, params);
          const result = write(dc, world.acl.resolve(params.token), body);
          world.wrote(dc.name);
          sendJson(world, response, url, { body: result }, params);
        } catch (error) {
          sendError(world, response, error);
        }
      };
      if (withBody) readBody(request, apply);
      else apply(undefined);
    },
  };
}

/** A read that blocks on `index` (platform-apis.md §1.5): answered when the index moves or the wait ends. */
function blockingRead(
  world: ConsulWorld,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  read: (dc: DatacenterState, rights: ReadRights) => Answer,
  currentIndex: (dc: DatacenterState) => number,
): void {
  const params = readParams(request, url.searchParams);
  if (url.searchParams.has('filter')) {
    throw new ConsulHttpError(400, 'the fake Consul does not evaluate ?filter expressions');
  }
  const rights = world.acl.resolve(params.token);
  const dc = datacenter(world, params);
  world.blocking.run(
    dc.name,
    params.index,
    params.waitMs,
    () => currentIndex(dc),
    () => {
      try {
        sendJson(world, response, url, read(dc, rights), params);
      } catch (error) {
        sendError(world, response, error);
      }
    },
    (release) => response.once('close', release),
  );
}

export function datacenter(world: ConsulWorld, params: ReadParams): DatacenterState {
  const name = params.datacenter ?? world.localDatacenter;
  const dc = world.datacenters.get(name);
  if (!dc) throw new ConsulHttpError(500, 'No path to datacenter');
  return dc;
}

function catalogServices(dc: DatacenterState, rights: ReadRights): Answer {
  const { index, services } = dc.catalogServices();
  const body: Record<string, string[]> = {};
  let filtered = false;
  for (const [name, tags] of services) {
    if (rights.canReadService(name)) body[name] = tags;
    else filtered = true;
  }
  return { body, index, filteredByAcl: filtered };
}

function healthService(
  dc: DatacenterState,
  rights: ReadRights,
  service: string,
  passing: boolean,
  tags: readonly string[],
): Answer {
  const { index, entries } = dc.healthService(service);
  if (!rights.canReadService(service)) return { body: [], index, filteredByAcl: entries.length > 0 };
  // Filtering happens after the wake-up decision: the index moves even when the filtered body does not.
  const kept = entries.filter(
    (entry) =>
      tags.every((tag) => entry.service.input.tags?.includes(tag)) && (!passing || allPassing(entry)),
  );
  return { body: kept.map((entry) => healthEntryJson(entry, dc.name)), index };
}

/** `?passing`: every check, node and service, exactly `passing`; no checks at all counts as passing. */
function allPassing(entry: HealthEntry): boolean {
  return entry.checks.every((check) => check.input.status === 'passing');
}

function healthState(dc: DatacenterState, rights: ReadRights, state: string): Answer {
  const { index, checks } = dc.healthState();
  let filtered = false;
  const body = checks
    .filter(({ check }) => state === 'any' || check.input.status === state)
    .filter(({ service }) => {
      const readable = !service || rights.canReadService(service.input.service);
      if (!readable) filtered = true;
      return readable;
    })
    .map(({ check, service }) => checkJson(check, service));
  return { body, index, filteredByAcl: filtered };
}

function agentSelf(world: ConsulWorld): object {
  return {
    Config: {
      Datacenter: world.localDatacenter,
      PrimaryDatacenter: world.localDatacenter,
      NodeName: world.agentNode,
      Server: true,
      Version: '1.19.2',
    },
    Member: { Name: world.agentNode, Addr: '127.0.0.1', Port: 8301, Status: 1 },
  };
}

function commonHeaders(world: ConsulWorld, response: ServerResponse): void {
  response.setHeader('X-Consul-Default-ACL-Policy', world.acl.enabled ? world.acl.defaultPolicy : 'allow');
}

export function sendJson(
  world: ConsulWorld,
  response: ServerResponse,
  url: URL,
  answer: Answer,
  params: ReadParams,
): void {
  if (response.destroyed || response.headersSent) return;
  commonHeaders(world, response);
  if (answer.index !== undefined) {
    const index = world.faults.takeZeroIndex(url.pathname) ? 0 : Math.max(1, answer.index);
    response.setHeader('X-Consul-Index', String(index));
    response.setHeader('X-Consul-KnownLeader', String(world.faults.knownLeader));
    response.setHeader('X-Consul-LastContact', '0');
    response.setHeader('X-Consul-Effective-Consistency', params.consistency);
    response.setHeader('X-Consul-Query-Backend', 'blocking-query');
    if (answer.filteredByAcl && params.token !== undefined) {
      response.setHeader('X-Consul-Results-Filtered-By-ACLs', 'true');
    }
  }
  const text = url.searchParams.has('pretty')
    ? JSON.stringify(answer.body, null, 4)
    : JSON.stringify(answer.body);
  if (answer.status !== undefined) response.statusCode = answer.status;
  if (answer.body === undefined) return void response.end();
  response.setHeader('Content-Type', 'application/json');
  response.end(text);
}

export function sendError(world: ConsulWorld, response: ServerResponse, error: unknown): void {
  if (response.destroyed || response.headersSent) return;
  const known =
    error instanceof ConsulHttpError
      ? error
      : new ConsulHttpError(500, String((error as Error)?.message ?? error));
  commonHeaders(world, response);
  for (const [name, value] of Object.entries(known.headers)) response.setHeader(name, value);
  response.statusCode = known.status;
  response.setHeader('Content-Type', 'text/plain; charset=utf-8');
  response.end(known.text);
}

function readBody(request: IncomingMessage, then: (body: unknown) => void): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      body = new ConsulHttpError(400, 'Request decode failed: invalid character');
    }
    then(body);
  });
}
