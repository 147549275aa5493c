import type { AdapterState, HostedInstanceInput, InstanceInput, ServiceInput } from '@sextant/core';
import type { InstanceSpec, ServiceSpec, ServicesFile } from './services-file-schema';

// Objects are written out field by field, always the same fields in the same order, and without
// closures: a mesh has hundreds of thousands of instances, and objects of one shape are what the
// registry reads fastest.

/** Maps a checked services file to what the adapter reports: one instance input per port served. */
export function toAdapterState(file: ServicesFile): AdapterState {
  const services: ServiceInput[] = [];
  const instances: HostedInstanceInput[] = [];
  for (const spec of file.services) {
    services.push(toServiceInput(spec));
    for (const instance of spec.instances ?? []) {
      if (instance.ports) {
        for (const portName of Object.keys(instance.ports)) {
          instances.push(hosted(spec.hostname, instance, portName, instance.ports[portName] as number));
        }
      } else if (instance.port !== undefined) {
        // With `port`, the service has exactly one port (checked before mapping).
        instances.push(hosted(spec.hostname, instance, firstPortName(spec), instance.port));
      } else {
        for (const port of spec.ports) instances.push(hosted(spec.hostname, instance, port.name, port.port));
      }
    }
  }
  return { services, instances };
}

/** One checked service as upsertService takes it. */
export function toServiceReport(spec: ServiceSpec): { service: ServiceInput; instances: InstanceInput[] } {
  const instances: InstanceInput[] = [];
  for (const instance of spec.instances ?? []) {
    if (instance.ports) {
      for (const portName of Object.keys(instance.ports)) {
        instances.push(unhosted(instance, portName, instance.ports[portName] as number));
      }
    } else if (instance.port !== undefined) {
      instances.push(unhosted(instance, firstPortName(spec), instance.port));
    } else {
      for (const port of spec.ports) instances.push(unhosted(instance, port.name, port.port));
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

function unhosted(instance: InstanceSpec, portName: string, port: number): InstanceInput {
  return {
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
