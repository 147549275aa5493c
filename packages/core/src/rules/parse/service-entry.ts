import { isIP } from 'node:net';
import { showValue } from '../../schema/show-value';
import type { ServiceEntryEndpoint, ServiceEntryPort, ServiceEntryRule } from '../model';
import { isAddressOrCidr, isCidr } from './addresses';
import { checkedHost } from './destination';
import { Fields } from './fields';
import { readLabels } from './labels';
import { hostProblem, isDns1123Label, isWildcardHost } from './names';
import type { RuleContext } from './rule-context';

const SERVICE_ENTRY = {
  known: ['hosts', 'addresses', 'ports', 'location', 'resolution', 'endpoints'],
  unsupported: {
    workloadSelector:
      'selecting workloads as endpoints (workloadSelector) is not supported: list the endpoints',
    exportTo: 'exportTo is not supported: a ServiceEntry is visible to clients in every namespace',
    subjectAltNames:
      "a ServiceEntry's subjectAltNames are not supported: give them in a DestinationRule's tls",
  },
} as const;
const PORT = { known: ['number', 'protocol', 'name', 'targetPort'] } as const;
const ENDPOINT = {
  known: ['address', 'ports', 'labels', 'locality', 'weight'],
  unsupported: {
    network: 'multi-network endpoints (network) are not supported',
    serviceAccount: 'endpoint service accounts are not supported',
  },
} as const;

/**
 * Istio's port protocols and how Sextant carries each: HTTP-aware ones keep their protocol,
 * the rest (TLS, HTTPS passed through, databases) are proxied as TCP.
 */
const PROTOCOLS: Readonly<Record<string, ServiceEntryPort['protocol']>> = {
  HTTP: 'http',
  HTTP2: 'http2',
  GRPC: 'grpc',
  'GRPC-WEB': 'http',
  HTTPS: 'tcp',
  TLS: 'tcp',
  TCP: 'tcp',
  MONGO: 'tcp',
  REDIS: 'tcp',
  MYSQL: 'tcp',
};
/** Protocols whose traffic names its host (Host header, SNI), so one port can serve several hosts. */
const HOST_AWARE = ['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB', 'HTTPS', 'TLS'];

/** A ServiceEntry's spec. */
export function readServiceEntry(ctx: RuleContext, spec: unknown): ServiceEntryRule | undefined {
  const fields = Fields.read(ctx, spec, ['spec'], SERVICE_ENTRY);
  if (!fields) return undefined;
  const resolution =
    fields.oneOf(
      'resolution',
      ['NONE', 'STATIC', 'DNS'] as const,
      'resolution (DNS_ROUND_ROBIN and DYNAMIC_DNS are not)',
    ) ?? 'NONE';
  const location =
    fields.oneOf('location', ['MESH_EXTERNAL', 'MESH_INTERNAL'] as const, 'location') ?? 'MESH_EXTERNAL';
  const hosts: string[] = [];
  if (fields.require('hosts') && fields.isEmptyList('hosts')) {
    ctx.error(fields.at('hosts'), 'missing-field', 'a ServiceEntry needs at least one host');
  }
  for (const item of fields.strings('hosts')) {
    const host = checkedHost(ctx, item.value, item.path, { star: 'refused' });
    if (host === undefined) continue;
    if (hosts.includes(host)) ctx.error(item.path, 'duplicate-host', `${host} is given twice`);
    else hosts.push(host);
  }
  const addresses: string[] = [];
  for (const item of fields.strings('addresses')) {
    if (!isAddressOrCidr(item.value)) {
      ctx.error(item.path, 'invalid-address', `${showValue(item.value)} is not an IP address or CIDR block`);
    } else if (isCidr(item.value) && resolution === 'DNS') {
      ctx.error(item.path, 'invalid-address', 'CIDR addresses go with resolution NONE or STATIC, not DNS');
    } else {
      addresses.push(item.value);
    }
  }
  const { ports, protocols } = readPorts(fields);
  const endpoints = readEndpoints(fields, ports, resolution);
  if (resolution === 'DNS' && !fields.has('endpoints')) {
    const wildcard = hosts.find(isWildcardHost);
    if (wildcard) {
      ctx.error(
        fields.at('hosts'),
        'invalid-host',
        `resolution DNS without endpoints resolves the hosts themselves: ${wildcard} is a wildcard`,
      );
    }
  }
  if (hosts.length > 1 && resolution !== 'NONE') {
    const opaque = protocols.find((protocol) => !HOST_AWARE.includes(protocol));
    if (opaque) {
      ctx.error(
        fields.at('hosts'),
        'conflicting-fields',
        `multiple hosts provided with non-HTTP, non-TLS ports (${opaque}): give each host its own ServiceEntry`,
      );
    }
  }
  return {
    kind: 'ServiceEntry',
    identity: ctx.identity,
    hosts,
    addresses,
    ports,
    location,
    resolution,
    endpoints,
    language: 'istio',
  };
}

function readPorts(fields: Fields): { ports: ServiceEntryPort[]; protocols: string[] } {
  const ctx = fields.ctx;
  const ports: ServiceEntryPort[] = [];
  const protocols: string[] = [];
  if (fields.require('ports') && fields.isEmptyList('ports')) {
    ctx.error(fields.at('ports'), 'missing-field', 'a ServiceEntry needs at least one port');
  }
  for (const item of fields.list('ports')) {
    const port = Fields.read(ctx, item.value, item.path, PORT);
    if (!port) continue;
    const number = port.integer('number', { min: 1, max: 65535, required: true });
    const name = port.string('name', { required: true });
    const written = port.string('protocol', { required: true });
    const targetPort = port.integer('targetPort', { min: 1, max: 65535 });
    if (name !== undefined && !isDns1123Label(name)) {
      ctx.error(
        port.at('name'),
        'invalid-name',
        `${showValue(name)} is not a port name (lower-case letters, digits and "-", at most 63)`,
      );
    }
    const upper = written?.toUpperCase();
    const protocol = upper === undefined ? undefined : PROTOCOLS[upper];
    if (written !== undefined && protocol === undefined) {
      ctx.error(
        port.at('protocol'),
        'invalid-value',
        `${showValue(written)} is not a protocol Sextant supports (${Object.keys(PROTOCOLS).join(', ')})`,
      );
    }
    if (number === undefined || name === undefined || protocol === undefined || upper === undefined) continue;
    if (ports.some((other) => other.number === number)) {
      ctx.error(port.at('number'), 'duplicate-port', `port ${number} is given twice`);
      continue;
    }
    if (ports.some((other) => other.name === name)) {
      ctx.error(port.at('name'), 'duplicate-port', `the port name ${showValue(name)} is given twice`);
      continue;
    }
    ports.push({ name, number, protocol, ...(targetPort !== undefined && { targetPort }) });
    protocols.push(upper);
  }
  return { ports, protocols };
}

function readEndpoints(
  fields: Fields,
  ports: readonly ServiceEntryPort[],
  resolution: ServiceEntryRule['resolution'],
): ServiceEntryEndpoint[] {
  const ctx = fields.ctx;
  const items = fields.list('endpoints');
  if (resolution === 'NONE' && items.length > 0) {
    ctx.error(
      fields.at('endpoints'),
      'conflicting-fields',
      'no endpoints should be provided for resolution type NONE',
    );
    return [];
  }
  if (resolution === 'STATIC' && items.length === 0) {
    ctx.error(fields.at('endpoints'), 'missing-field', 'resolution STATIC needs endpoints');
  }
  const endpoints: ServiceEntryEndpoint[] = [];
  for (const item of items) {
    const endpoint = Fields.read(ctx, item.value, item.path, ENDPOINT);
    if (!endpoint) continue;
    const address = endpoint.string('address', { required: true });
    if (address !== undefined) {
      if (resolution === 'STATIC' && isIP(address) === 0) {
        ctx.error(
          endpoint.at('address'),
          'invalid-address',
          `resolution STATIC needs IP addresses (${showValue(address)} is not one)`,
        );
      } else if (resolution === 'DNS' && isIP(address) === 0 && hostProblem(address) !== undefined) {
        ctx.error(
          endpoint.at('address'),
          'invalid-address',
          `${showValue(address)} is neither an IP address nor a host name`,
        );
      }
    }
    const endpointPorts: [string, number][] = [];
    for (const entry of endpoint.map('ports')) {
      if (!ports.some((port) => port.name === entry.key)) {
        ctx.error(
          entry.path,
          'invalid-value',
          `no port is named ${showValue(entry.key)} (ports: ${ports.map((port) => port.name).join(', ')})`,
          {
            atKey: true,
          },
        );
      } else if (
        typeof entry.value !== 'number' ||
        !Number.isInteger(entry.value) ||
        entry.value < 1 ||
        entry.value > 65535
      ) {
        ctx.error(
          entry.path,
          'invalid-value',
          `expected a port number between 1 and 65535 (${showValue(entry.value)})`,
        );
      } else {
        endpointPorts.push([entry.key, entry.value]);
      }
    }
    const labels = readLabels(endpoint, 'labels') ?? {};
    const locality = readLocality(endpoint);
    const weight = endpoint.integer('weight', { min: 0, max: 2 ** 32 - 1 });
    if (address === undefined) continue;
    endpoints.push({
      address,
      ports: Object.fromEntries(endpointPorts),
      labels,
      ...(locality && { locality }),
      // 0 is proto's "unset": the endpoint gets the default weight.
      weight: weight === undefined || weight === 0 ? 1 : weight,
    });
  }
  return endpoints;
}

/** `region/zone/subzone`, any part may be empty or absent. */
function readLocality(endpoint: Fields): ServiceEntryEndpoint['locality'] | undefined {
  const text = endpoint.string('locality');
  if (text === undefined) return undefined;
  const parts = text.split('/');
  if (parts.length > 3) {
    endpoint.ctx.error(endpoint.at('locality'), 'invalid-value', 'a locality is region/zone/subzone');
    return undefined;
  }
  const [region, zone, subzone] = parts;
  return {
    ...(region && { region }),
    ...(zone && { zone }),
    ...(subzone && { subzone }),
  };
}
