import { answeredEarly } from '@sextant/adapter-kit';
import { formatDuration } from '@sextant/core';
import type { NomadAnswer, NomadClient } from '../nomad/nomad-client';
import { parseRegistrations, parseServiceList, type Registration, type ServiceStub } from '../nomad/wire';
import type { Gate } from './gate';
import type { RequestSlots, Standing } from './request-slots';
import type { WatchRead, WatchResult } from './watch-loop';

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
  return async (minIndex, signal, standing) => {
    const read = await readPages(
      context,
      '/v1/services',
      { namespace },
      { minIndex, signal, standing },
      parseServiceList,
    );
    return read.value ? { ...read, value: uniqueStubs(read.value) } : read;
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
  return async (minIndex, signal, standing) => {
    const read = await readPages(context, path, query, { minIndex, signal, standing }, parseRegistrations);
    return read.value ? { ...read, value: uniqueById(read.value) } : read;
  };
}

/** What one read asks: from which index, until when, and its standing in the line for slots. */
interface ReadRequest {
  readonly minIndex: number;
  readonly signal: AbortSignal;
  readonly standing: Standing | undefined;
}

/**
 * One read, following `X-Nomad-NextToken` through every page. The pages after the first do not
 * block; when one comes from a different index than the first, the table moved mid-way and the
 * pages may not fit together, so nothing is reported and the next read (from the first page's
 * index, hence at once) starts over. The read is early when its first page was.
 */
async function readPages<T>(
  context: ReadContext,
  path: string,
  query: Record<string, string | undefined>,
  request: ReadRequest,
  parse: (body: unknown) => T[],
): Promise<WatchResult<T[]>> {
  const first = await get(context, path, query, request);
  const items = parse(first.body);
  let token = first.nextToken;
  while (token !== undefined) {
    const page = await get(context, path, { ...query, next_token: token }, { ...request, minIndex: 0 });
    if (page.index !== first.index) return { index: first.index, early: first.early };
    items.push(...parse(page.body));
    token = page.nextToken;
  }
  return { index: first.index, value: items, early: first.early };
}

/**
 * One request in a slot: blocking from `minIndex` when it is above 0, immediate otherwise. A
 * blocking one that Nomad answered before its wait ran out is early (see answeredEarly).
 */
async function get(
  context: ReadContext,
  path: string,
  query: Record<string, string | undefined>,
  { minIndex, signal, standing }: ReadRequest,
): Promise<NomadAnswer & { readonly early: boolean }> {
  if (minIndex > 0) await context.blocking.wait(signal);
  const release = await context.slots.acquire(signal, standing);
  if (!release) throw signal.reason;
  try {
    if (minIndex === 0) {
      const answer = await context.client.get({ path, query, signal, timeoutMs: IMMEDIATE_DEADLINE_MS });
      return { ...answer, early: false };
    }
    const waitMs = context.slots.waitMs(context.waitMs);
    const sentAt = performance.now();
    const answer = await context.client.get({
      path,
      query: { ...query, index: String(minIndex), wait: formatDuration(waitMs) },
      signal,
      timeoutMs: waitMs + waitMs / 16 + DEADLINE_MARGIN_MS,
    });
    return { ...answer, early: answeredEarly(performance.now() - sentAt, waitMs) };
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
