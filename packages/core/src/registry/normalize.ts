import { isIP } from 'node:net';
import type { InstanceInput, ServiceInput } from '../adapter';
import {
  HEALTH_STATES,
  MAX_INSTANCE_WEIGHT,
  PROTOCOLS,
  type Service,
  type ServiceInstance,
  type ServicePort,
} from '../model';
import { isValidHostname, isValidPortName } from '../naming/service-key';
import { SharedValues } from './shared-values';

/**
 * Turns what an adapter reported into model data: defaults filled, origin stamped, and
 * anything a renderer could not use rejected here, with a reason, instead of breaking a
 * response later. Third-party adapters make mistakes; one bad instance costs only itself.
 */
export interface Normalized {
  readonly service?: Service;
  readonly instances: readonly ServiceInstance[];
  /** Why parts of the input were dropped. */
  readonly rejected: readonly string[];
}

/** `shared`: labels and localities already seen in the same report, to share rather than copy. */
export function normalizeService(
  input: ServiceInput,
  instances: readonly InstanceInput[],
  origin: string,
  shared = new SharedValues(),
): Normalized {
  const rejected: string[] = [];
  const hostname = typeof input?.hostname === 'string' ? input.hostname : '';
  if (!isValidHostname(hostname)) {
    return {
      instances: [],
      rejected: [`service "${String(input?.hostname)}": hostname is not a valid DNS name`],
    };
  }
  const ports = normalizePorts(hostname, input.ports, rejected);
  const service: Service = {
    hostname,
    ports,
    labels: shared.labelsOf(() => `service ${hostname}`, input.labels, rejected),
    addresses: normalizeAddresses(hostname, input.addresses, rejected),
    origin,
  };
  const portNames = new Set(ports.map((p) => p.name));
  const normalized: ServiceInstance[] = [];
  for (const instance of Array.isArray(instances) ? instances : []) {
    const result = normalizeInstance(hostname, portNames, instance, origin, shared);
    if (typeof result === 'string') rejected.push(result);
    else normalized.push(result);
  }
  return { service, instances: normalized, rejected };
}

function normalizePorts(hostname: string, ports: unknown, rejected: string[]): ServicePort[] {
  const result: ServicePort[] = [];
  const names = new Set<string>();
  const numbers = new Set<number>();
  for (const port of Array.isArray(ports) ? (ports as Partial<ServicePort>[]) : []) {
    // Only a rejection needs it: not built for each of a mesh's ports.
    const where = () => `service ${hostname} port ${JSON.stringify(port?.name ?? port?.port)}`;
    if (typeof port?.name !== 'string' || !isValidPortName(port.name)) {
      rejected.push(`${where()}: name is not a valid port name`);
    } else if (!isPortNumber(port.port)) {
      rejected.push(`${where()}: port must be an integer from 1 to 65535`);
    } else if (!PROTOCOLS.includes(port.protocol as ServicePort['protocol'])) {
      rejected.push(`${where()}: protocol must be one of ${PROTOCOLS.join(', ')}`);
    } else if (names.has(port.name) || numbers.has(port.port)) {
      rejected.push(`${where()}: duplicate port name or number`);
    } else {
      names.add(port.name);
      numbers.add(port.port);
      result.push({ name: port.name, port: port.port, protocol: port.protocol as ServicePort['protocol'] });
    }
  }
  return result.sort((a, b) => a.port - b.port);
}

function normalizeInstance(
  hostname: string,
  portNames: ReadonlySet<string>,
  input: InstanceInput,
  origin: string,
  shared: SharedValues,
): ServiceInstance | string {
  // Only a rejection needs it: not built for each of a mesh's instances.
  const where = () => `service ${hostname} instance ${String(input?.address)}:${String(input?.port)}`;
  if (typeof input?.address !== 'string' || isIP(input.address) === 0)
    return `${where()}: address is not an IP literal`;
  if (!isPortNumber(input.port)) return `${where()}: port must be an integer from 1 to 65535`;
  if (typeof input.portName !== 'string' || !portNames.has(input.portName)) {
    return `${where()}: portName "${String(input.portName)}" is not a port of the service`;
  }
  const health = input.health ?? 'healthy';
  if (!HEALTH_STATES.includes(health)) return `${where()}: health must be one of ${HEALTH_STATES.join(', ')}`;
  const weight = input.weight ?? 1;
  if (!Number.isInteger(weight) || weight < 1 || weight > MAX_INSTANCE_WEIGHT) {
    return `${where()}: weight must be an integer from 1 to ${MAX_INSTANCE_WEIGHT}`;
  }
  // Label problems drop the label, not the instance, and are not counted as rejections.
  const dropped: string[] = [];
  return {
    hostname,
    address: input.address,
    port: input.port,
    portName: input.portName,
    labels: shared.labelsOf(where, input.labels, dropped),
    locality: shared.localityOf(input.locality),
    weight,
    health,
    origin,
  };
}

function normalizeAddresses(hostname: string, addresses: unknown, rejected: string[]): string[] {
  if (addresses === undefined) return [];
  const result: string[] = [];
  for (const address of Array.isArray(addresses) ? (addresses as unknown[]) : []) {
    if (typeof address === 'string' && isIP(address) !== 0) {
      if (!result.includes(address)) result.push(address);
    } else {
      rejected.push(`service ${hostname}: address ${JSON.stringify(address)} is not an IP literal`);
    }
  }
  return result;
}

function isPortNumber(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** Canonical instance order, so equal sets hash equal whatever order the platform listed them in. */
export function compareInstances(a: ServiceInstance, b: ServiceInstance): number {
  return (
    compare(a.portName, b.portName) ||
    compare(a.address, b.address) ||
    a.port - b.port ||
    compare(a.origin, b.origin)
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
