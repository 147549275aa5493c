import type { ServiceInput, ServicePort } from '@sextant/core';
import { portProtocol } from './port-protocol';
import type { ServicePortView, ServiceView } from './projections';

/** `<name>.<namespace>.svc.<clusterDomain>`: the name pods resolve the Service by. */
export function serviceHostname(namespace: string, name: string, clusterDomain: string): string {
  return `${name}.${namespace}.svc.${clusterDomain}`;
}

/** The model's name for a Service port: its own, or its number for a single unnamed port (`80`). */
export function servicePortName(port: Pick<ServicePortView, 'name' | 'port'>): string {
  return port.name === '' ? String(port.port) : port.name;
}

/**
 * A Service as the model's service: its hostname, its TCP ports with their protocols, its labels,
 * and its ClusterIPs as VIPs (none for a headless service). ExternalName services are DNS aliases
 * with no endpoints to balance over: undefined.
 */
export function toServiceInput(service: ServiceView, clusterDomain: string): ServiceInput | undefined {
  if (service.type === 'ExternalName') return undefined;
  const ports: ServicePort[] = [];
  for (const port of service.ports) {
    const protocol = portProtocol(port);
    if (protocol !== undefined) ports.push({ name: servicePortName(port), port: port.port, protocol });
  }
  return {
    hostname: serviceHostname(service.namespace, service.name, clusterDomain),
    ports,
    labels: service.labels,
    addresses: service.clusterIPs,
  };
}
