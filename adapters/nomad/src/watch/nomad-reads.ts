import { formatDuration } from '@sextant/core';
import type { NomadAnswer, NomadClient } from '../nomad/nomad-client';
import { parseRegistrations, parseServiceList, type Registration, type ServiceStub } from '../nomad/wire';
import type { Gate } from './gate';
import type { RequestSlots } from './request-slots';
import type { WatchRead } from './watch-loop';

/** What the reads share: the client, the request slots, and the blocking settings. */
export interface ReadContext {
  readonly client: NomadClient;
  readonly slots: RequestSlots;
  /** The configured blocking wait; the slots may shorten it. */
  readonly waitMs: number;
  /** Page size for registrations; undefined asks for all at once. */
  readonly perPage: number | undefined;
  /** Opens at the first complete sync; blocking queries wait for it. */
  readonly blocking: Gate;
}

/** How long an answer may take beyond the wait: Nomad's stagger is up to wait/16, plus the network. */
const DEADLINE_MARGIN_MS = 10_000;
/** Deadline of a request that does not block. */
const IMMEDIATE_DEADLINE_MS = 30_000;

/** `GET /v1/services?namespace=<ns or *>`, blocking (and paged, should Nomad ever page it). */
export function serviceListRead(context: ReadContext, namespace: string): WatchRead<ServiceStub[]> {
  return async (minIndex, signal) => {
    const read = await readPages(context, '/v1/services', { namespace }, minIndex, signal, parseServiceList);
    return read.value ? { index: read.index, value: uniqueStubs(read.value) } : read;
  };
}

/** `GET /v1/service/<name>?namespace=<ns>`, blocking, in pages of `perPage` when set. */
export function registrationsRead(
  context: ReadContext,
  namespace: string,
  name: string,
): WatchRead<Registration[]> {
  const path = `/v1/service/${encodeURIComponent(name)}`;
  const query = { namespace, per_page: context.perPage === undefined ? undefined : String(context.perPage) };
  return async (minIndex, signal) => {
    const read = await readPages(context, path, query, minIndex, signal, parseRegistrations);
    return read.value ? { index: read.index, value: uniqueById(read.value) } : read;
  };
}

/**
 * One read, following `X-Nomad-NextToken` through every page. The pages after the first do not
 * block; when one comes from a different index than the first, the table moved mid-way and the
 * pages may not fit together, so nothing is reported and the next read (from the first page's
 * index, hence at once) starts over.
 */
async function readPages<T>(
  context: ReadContext,
  path: string,
  query: Record<string, string | undefined>,
  minIndex: number,
  signal: AbortSignal,
  parse: (body: unknown) => T[],
): Promise<{ index: number; value?: T[] }> {
  const first = await get(context, path, query, minIndex, signal);
  const items = parse(first.body);
  let token = first.nextToken;
  while (token !== undefined) {
    const page = await get(context, path, { ...query, next_token: token }, 0, signal);
    if (page.index !== first.index) return { index: first.index };
    items.push(...parse(page.body));
    token = page.nextToken;
  }
  return { index: first.index, value: items };
}

/** One request in a slot: blocking from `minIndex` when it is above 0, immediate otherwise. */
async function get(
  context: ReadContext,
  path: string,
  query: Record<string, string | undefined>,
  minIndex: number,
  signal: AbortSignal,
): Promise<NomadAnswer> {
  if (minIndex > 0) await context.blocking.wait(signal);
  const release = await context.slots.acquire(signal);
  if (!release) throw signal.reason;
  try {
    if (minIndex === 0) {
      return await context.client.get({ path, query, signal, timeoutMs: IMMEDIATE_DEADLINE_MS });
    }
    const waitMs = context.slots.waitMs(context.waitMs);
    return await context.client.get({
      path,
      query: { ...query, index: String(minIndex), wait: formatDuration(waitMs) },
      signal,
      timeoutMs: waitMs + waitMs / 16 + DEADLINE_MARGIN_MS,
    });
  } finally {
    release();
  }
}

function uniqueStubs(stubs: readonly ServiceStub[]): ServiceStub[] {
  const byKey = new Map(stubs.map((stub) => [`${stub.namespace}/${stub.name}`, stub]));
  return [...byKey.values()].sort((a, b) => compare(a.namespace, b.namespace) || compare(a.name, b.name));
}

function uniqueById(registrations: readonly Registration[]): Registration[] {
  const byId = new Map(registrations.map((r) => [r.id, r]));
  return [...byId.values()].sort((a, b) => compare(a.id, b.id));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
