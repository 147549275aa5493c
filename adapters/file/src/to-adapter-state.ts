import type { AdapterState, HostedInstanceInput, ServiceInput } from '@sextant/core';
import type { InstanceSpec, ServiceSpec, ServicesFile } from './services-file-schema';

/** Maps a checked services file to what the adapter reports: one instance input per port served. */
export function toAdapterState(file: ServicesFile): AdapterState {
  return {
    services: file.services.map(toServiceInput),
    instances: file.services.flatMap((service) =>
      (service.instances ?? []).flatMap((instance) => toInstanceInputs(service, instance)),
    ),
  };
}

function toServiceInput(service: ServiceSpec): ServiceInput {
  return {
    hostname: service.hostname,
    ports: service.ports.map((port) => ({
      name: port.name,
      port: port.port,
      protocol: port.protocol ?? 'http',
    })),
    ...(service.labels && { labels: service.labels }),
    ...(service.addresses && { addresses: service.addresses }),
  };
}

function toInstanceInputs(service: ServiceSpec, instance: InstanceSpec): HostedInstanceInput[] {
  const common = {
    hostname: service.hostname,
    address: instance.address,
    ...(instance.labels && { labels: instance.labels }),
    ...(instance.locality && { locality: instance.locality }),
    weight: instance.weight ?? 1,
    health: instance.health ?? 'healthy',
  };
  return servedPorts(service, instance).map(([portName, port]) => ({ ...common, portName, port }));
}

/** (port name, port the instance listens on) for each service port the instance serves. */
function servedPorts(service: ServiceSpec, instance: InstanceSpec): [string, number][] {
  if (instance.ports) return Object.entries(instance.ports);
  const { port } = instance;
  // With `port`, the service has exactly one port (checked before mapping).
  if (port !== undefined) return service.ports.slice(0, 1).map(({ name }) => [name, port]);
  return service.ports.map(({ name, port: servicePort }) => [name, servicePort]);
}
