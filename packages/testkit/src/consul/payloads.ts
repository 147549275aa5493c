import { isIP } from 'node:net';
import type { CheckRecord, HealthEntry, NodeRecord, ServiceRecord } from './datacenter-state';

/**
 * Wire shapes of Consul's catalog and health answers, field for field as in
 * ../shared/spec/fixtures/consul-*.json: `Port` omitted when 0, `Kind` omitted for normal services,
 * `Service.TaggedAddresses` omitted when the instance has no address of its own, `Meta` null when
 * never set, `ServiceTags` never null.
 */
export function healthEntryJson(entry: HealthEntry, datacenter: string): object {
  return {
    Node: nodeJson(entry.node, datacenter),
    Service: serviceJson(entry.service),
    Checks: entry.checks.map((check) => checkJson(check, entry.service)),
  };
}

function nodeJson(node: NodeRecord, datacenter: string): object {
  return {
    ID: node.id,
    Node: node.node,
    Address: node.address,
    Datacenter: datacenter,
    TaggedAddresses: {
      lan: node.address,
      [isIP(node.address) === 6 ? 'lan_ipv6' : 'lan_ipv4']: node.address,
      wan: node.address,
      [isIP(node.address) === 6 ? 'wan_ipv6' : 'wan_ipv4']: node.address,
    },
    Meta: node.meta,
    CreateIndex: node.createIndex,
    ModifyIndex: node.modifyIndex,
  };
}

function serviceJson(record: ServiceRecord): object {
  const input = record.input;
  const address = input.address ?? '';
  const port = input.port ?? 0;
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  return {
    ...(input.kind !== undefined && input.kind !== '' && { Kind: input.kind }),
    ID: record.id,
    Service: input.service,
    Tags: [...(input.tags ?? [])],
    Address: address,
    ...(address !== '' && {
      TaggedAddresses: {
        [`lan_${family}`]: { Address: address, Port: port },
        [`wan_${family}`]: { Address: address, Port: port },
      },
    }),
    Meta: input.meta ? { ...input.meta } : null,
    ...(port !== 0 && { Port: port }),
    Weights: { Passing: input.weights?.passing ?? 1, Warning: input.weights?.warning ?? 1 },
    EnableTagOverride: false,
    Proxy: { Mode: '', MeshGateway: {}, Expose: {} },
    Connect: {},
    PeerName: '',
    CreateIndex: record.createIndex,
    ModifyIndex: record.modifyIndex,
  };
}

/** A check; `service` is the instance a service check belongs to (for ServiceName and ServiceTags). */
export function checkJson(check: CheckRecord, service: ServiceRecord | undefined): object {
  const input = check.input;
  const own = input.serviceId !== undefined ? service : undefined;
  return {
    Node: check.node,
    CheckID: input.checkId,
    Name: input.name ?? (own ? `Service '${own.input.service}' check` : input.checkId),
    Status: input.status,
    Notes: input.notes ?? '',
    Output: input.output ?? '',
    ServiceID: input.serviceId ?? '',
    ServiceName: own?.input.service ?? '',
    ServiceTags: [...(own?.input.tags ?? [])],
    Type: input.type ?? (own ? 'http' : ''),
    Interval: own && (input.type ?? 'http') !== 'ttl' ? '10s' : '',
    Timeout: own && (input.type ?? 'http') !== 'ttl' ? '2s' : '',
    ExposedPort: 0,
    Definition: {},
    CreateIndex: check.createIndex,
    ModifyIndex: check.modifyIndex,
  };
}
