import type { AdapterState, HostedInstanceInput, ServiceInput } from '@sextant/core';
import type { InstanceSpec, ServiceSpec, ServicesFile } from './services-file-schema';

// Objects are written out field by field, always the same fields in the same order, and without
// closures: a mesh has hundreds of thousands of instances, and objects of one shape are what the
// registry reads fastest.

/** One checked service as the adapter reports it: upsertService's arguments, or its part of a resync. */
export interface ServiceReport {
  readonly service: ServiceInput;
  /** One instance input per port served. */
  readonly instances: readonly HostedInstanceInput[];
}

/** Maps a checked services file to what the adapter reports. */
export function toAdapterState(file: ServicesFile): AdapterState {
  return reportsToAdapterState(file.services.map(toServiceReport));
}

/** The reports of every service of a file as one resync. */
export function reportsToAdapterState(reports: readonly ServiceReport[]): AdapterState {
  const services: ServiceInput[] = [];
  const instances: HostedInstanceInput[] = [];
  for (const report of reports) {
    services.push(report.service);
    for (const instance of report.instances) instances.push(instance);
  }
  return { services, instances };
}

/** One checked service as the adapter reports it. */
export function toServiceReport(spec: ServiceSpec): ServiceReport {
  const instances: HostedInstanceInput[] = [];
  const { hostname } = spec;
  for (const instance of spec.instances ?? []) {
    if (instance.ports) {
      for (const portName of Object.keys(instance.ports)) {
        instances.push(hosted(hostname, instance, portName, instance.ports[portName] as number));
      }
    } else if (instance.port !== undefined) {
      // With `port`, the service has exactly one port (checked before mapping).
      instances.push(hosted(hostname, instance, firstPortName(spec), instance.port));
    } else {
      for (const port of spec.ports) instances.push(hosted(hostname, instance, port.name, port.port));
    }
  }
  return { service: toServiceInput(spec), instances };
}

function toServiceInput(service: ServiceSpec): ServiceInput {
  return {
    hostname: service.hostname,
    ports: service.ports.map((port) => ({
      name: port.name,
      port: port.port,
      protocol: port.protocol ?? 'http',
    })),
    labels: service.labels,
    addresses: service.addresses,
  };
}

function hosted(
  hostname: string,
  instance: InstanceSpec,
  portName: string,
  port: number,
): HostedInstanceInput {
  return {
    hostname,
    address: instance.address,
    port,
    portName,
    labels: instance.labels,
    locality: instance.locality,
    weight: instance.weight ?? 1,
    health: instance.health ?? 'healthy',
  };
}

function firstPortName(service: ServiceSpec): string {
  return (service.ports[0] as { name: string }).name;
}
