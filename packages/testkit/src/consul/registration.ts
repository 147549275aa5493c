import type { ConsulWorld } from './consul-routes';
import type { DatacenterState } from './datacenter-state';
import { ConsulHttpError } from './request-params';
import type { CheckStatus, FakeCheckInput, FakeServiceInput } from './types';

type Json = Record<string, unknown>;

const STATUSES = new Set<CheckStatus>(['passing', 'warning', 'critical']);

/**
 * `PUT /v1/catalog/register` (the body the `consul` client's catalog.register sends): a node,
 * optionally a service on it and checks. Returns the datacenter written to.
 */
export function applyRegistration(world: ConsulWorld, body: unknown): string {
  const record = asRecord(body);
  const dc = targetDatacenter(world, record);
  const node = stringField(record, 'Node');
  const address = stringField(record, 'Address');
  if (node === '') throw new ConsulHttpError(400, 'Must provide node');
  if (address === '' && !dc.node(node))
    throw new ConsulHttpError(400, 'Must provide address if SkipNodeUpdate is not set');
  if (record.SkipNodeUpdate !== true || !dc.node(node)) {
    dc.registerNode({
      node,
      address: address || (dc.node(node)?.address ?? ''),
      ...(typeof record.ID === 'string' && record.ID !== '' && { id: record.ID }),
      ...(isStringMap(record.NodeMeta) && { meta: record.NodeMeta }),
      // Catalog registrations describe external nodes: no agent, so no serfHealth.
      serfHealth: false,
    });
  }
  const checks = [
    ...(Array.isArray(record.Checks) ? record.Checks : []),
    ...(record.Check ? [record.Check] : []),
  ].map((check) => checkInput(asRecord(check)));
  const service = record.Service === undefined ? undefined : serviceInput(asRecord(record.Service));
  if (service) dc.registerService(node, service, checks);
  else for (const check of checks) dc.setCheck(node, check);
  return dc.name;
}

/** `PUT /v1/catalog/deregister`: a check, a service instance, or a whole node. */
export function applyDeregistration(world: ConsulWorld, body: unknown): string {
  const record = asRecord(body);
  const dc = targetDatacenter(world, record);
  const node = stringField(record, 'Node');
  if (node === '') throw new ConsulHttpError(400, 'Must provide node');
  if (!dc.node(node)) return dc.name; // Consul answers true for what is already gone
  const serviceId = stringField(record, 'ServiceID');
  const checkId = stringField(record, 'CheckID');
  if (serviceId !== '') {
    if (dc.instance(node, serviceId)) dc.deregisterService(node, serviceId);
  } else if (checkId !== '') {
    try {
      dc.removeCheck(node, checkId);
    } catch {
      // already gone
    }
  } else {
    dc.deregisterNode(node);
  }
  return dc.name;
}

function targetDatacenter(world: ConsulWorld, record: Json): DatacenterState {
  const name = stringField(record, 'Datacenter') || world.localDatacenter;
  const dc = world.datacenters.get(name);
  if (!dc) throw new ConsulHttpError(500, 'No path to datacenter');
  return dc;
}

function serviceInput(service: Json): FakeServiceInput {
  const name = stringField(service, 'Service');
  if (name === '') throw new ConsulHttpError(400, 'Must provide service name with ID');
  const weights = (
    typeof service.Weights === 'object' && service.Weights !== null ? service.Weights : {}
  ) as Json;
  return {
    service: name,
    ...(stringField(service, 'ID') !== '' && { id: stringField(service, 'ID') }),
    ...(Array.isArray(service.Tags) && {
      tags: service.Tags.filter((t): t is string => typeof t === 'string'),
    }),
    ...(typeof service.Address === 'string' && { address: service.Address }),
    ...(typeof service.Port === 'number' && { port: service.Port }),
    ...(isStringMap(service.Meta) && { meta: service.Meta }),
    ...(typeof weights.Passing === 'number' && {
      weights: {
        passing: weights.Passing,
        warning: typeof weights.Warning === 'number' ? weights.Warning : 1,
      },
    }),
    ...(stringField(service, 'Kind') !== '' && { kind: stringField(service, 'Kind') }),
  };
}

function checkInput(check: Json): FakeCheckInput {
  const checkId = stringField(check, 'CheckID') || stringField(check, 'Name');
  if (checkId === '') throw new ConsulHttpError(400, 'Missing check ID');
  const status = (stringField(check, 'Status') || 'critical') as CheckStatus;
  if (!STATUSES.has(status)) throw new ConsulHttpError(400, `Invalid check status: "${status}"`);
  return {
    checkId,
    status,
    ...(stringField(check, 'Name') !== '' && { name: stringField(check, 'Name') }),
    ...(stringField(check, 'ServiceID') !== '' && { serviceId: stringField(check, 'ServiceID') }),
    ...(stringField(check, 'Output') !== '' && { output: stringField(check, 'Output') }),
    ...(stringField(check, 'Notes') !== '' && { notes: stringField(check, 'Notes') }),
  };
}

function asRecord(value: unknown): Json {
  if (value instanceof ConsulHttpError) throw value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConsulHttpError(400, 'Request decode failed: expected a JSON object');
  }
  return value as Json;
}

function stringField(record: Json, name: string): string {
  const value = record[name];
  return typeof value === 'string' ? value : '';
}

function isStringMap(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}
