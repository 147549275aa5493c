import { NomadError } from './nomad-error';

/**
 * Nomad's answers, checked and put in canonical form. Nomad builds `/v1/services` from hash maps,
 * so namespaces, services and tags come in a different order on every call; registrations carry
 * their tags as the job wrote them (and `null` for none). Canonical form sorts all of it, so two
 * answers that mean the same compare equal as strings, and CreateIndex/ModifyIndex, which change
 * on an idempotent re-registration, are left out.
 */

/** One service name in one namespace, with the union of its registrations' tags. */
export interface ServiceStub {
  readonly namespace: string;
  readonly name: string;
  /** Sorted, unique. */
  readonly tags: readonly string[];
}

/** One registration: one service of one allocation. */
export interface Registration {
  readonly id: string;
  readonly service: string;
  readonly namespace: string;
  readonly nodeId: string;
  readonly datacenter: string;
  readonly jobId: string;
  readonly allocId: string;
  /** Sorted, unique. */
  readonly tags: readonly string[];
  readonly address: string;
  readonly port: number;
}

/** `GET /v1/services`: the stubs, sorted by namespace and name. */
export function parseServiceList(body: unknown): ServiceStub[] {
  const stubs: ServiceStub[] = [];
  for (const [i, group] of array(body, '').entries()) {
    const namespace = string(field(group, 'Namespace', `[${i}]`), `[${i}].Namespace`);
    for (const [j, service] of array(field(group, 'Services', `[${i}]`), `[${i}].Services`).entries()) {
      const at = `[${i}].Services[${j}]`;
      stubs.push({
        namespace,
        name: string(field(service, 'ServiceName', at), `${at}.ServiceName`),
        tags: tags(field(service, 'Tags', at), `${at}.Tags`),
      });
    }
  }
  return stubs.sort((a, b) => compare(a.namespace, b.namespace) || compare(a.name, b.name));
}

/** One event of the event stream's `Service` topic: a registration written or deleted. */
export interface ServiceEvent {
  readonly type: 'ServiceRegistration' | 'ServiceDeregistration';
  readonly registration: Registration;
}

/** One line of `/v1/event/stream`: the index of one write and its `Service` events. */
export interface EventBatch {
  readonly index: number;
  readonly events: readonly ServiceEvent[];
}

/**
 * One line of `/v1/event/stream`, or undefined for a heartbeat (`{}`). Events of other topics
 * and types are left out; a line that is not what Nomad sends is an `invalid` error.
 */
export function parseEventLine(line: string): EventBatch | undefined {
  if (line.trim() === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(line);
  } catch {
    throw new NomadError(
      'invalid',
      `Nomad's event stream sent a line that is not JSON (${JSON.stringify(line.slice(0, 60))})`,
    );
  }
  const index = field(body, 'Index', '');
  if (index === undefined) return undefined;
  const events: ServiceEvent[] = [];
  for (const [i, event] of array(field(body, 'Events', ''), 'Events').entries()) {
    const at = `Events[${i}]`;
    const type = field(event, 'Type', at);
    if (field(event, 'Topic', at) !== 'Service') continue;
    if (type !== 'ServiceRegistration' && type !== 'ServiceDeregistration') continue;
    const payload = field(field(event, 'Payload', at), 'Service', `${at}.Payload`);
    events.push({ type, registration: registration(payload, `${at}.Payload.Service`) });
  }
  return { index: number(index, 'Index'), events };
}

/** `GET /v1/service/:name`: the registrations, sorted by ID. */
export function parseRegistrations(body: unknown): Registration[] {
  return array(body, '')
    .map((item, i) => registration(item, `[${i}]`))
    .sort((a, b) => compare(a.id, b.id));
}

function registration(item: unknown, at: string): Registration {
  return {
    id: string(field(item, 'ID', at), `${at}.ID`),
    service: string(field(item, 'ServiceName', at), `${at}.ServiceName`),
    namespace: string(field(item, 'Namespace', at), `${at}.Namespace`),
    nodeId: string(field(item, 'NodeID', at), `${at}.NodeID`),
    datacenter: string(field(item, 'Datacenter', at), `${at}.Datacenter`),
    jobId: string(field(item, 'JobID', at), `${at}.JobID`),
    allocId: string(field(item, 'AllocID', at), `${at}.AllocID`),
    tags: tags(field(item, 'Tags', at), `${at}.Tags`),
    address: string(field(item, 'Address', at), `${at}.Address`),
    port: number(field(item, 'Port', at), `${at}.Port`),
  };
}

function invalid(at: string, message: string): NomadError {
  return new NomadError('invalid', `Nomad sent an unexpected answer: ${at || 'body'}: ${message}`);
}

function array(value: unknown, at: string): readonly unknown[] {
  if (!Array.isArray(value)) throw invalid(at, `expected an array, got ${kind(value)}`);
  return value;
}

function field(value: unknown, name: string, at: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(at, `expected an object, got ${kind(value)}`);
  }
  return (value as Record<string, unknown>)[name];
}

function string(value: unknown, at: string): string {
  if (typeof value !== 'string') throw invalid(at, `expected a string, got ${kind(value)}`);
  return value;
}

function number(value: unknown, at: string): number {
  if (typeof value !== 'number') throw invalid(at, `expected a number, got ${kind(value)}`);
  return value;
}

/** Tags sorted and de-duplicated; Go writes a nil slice as `null`. */
function tags(value: unknown, at: string): string[] {
  if (value === null || value === undefined) return [];
  const list = array(value, at).map((tag, k) => string(tag, `${at}[${k}]`));
  return [...new Set(list)].sort(compare);
}

function kind(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
