import { contentVersion, type Service } from '@sextant/core';

const shapes = new WeakMap<Service, string>();

/**
 * A digest of what route tables and listeners are built from: a service's hostname, ports and
 * VIPs, not its instances or labels. Equal shapes, equal routes.
 */
export function serviceShape(service: Service): string {
  let shape = shapes.get(service);
  if (shape === undefined) {
    shape = contentVersion([service.hostname, service.ports, service.addresses]);
    shapes.set(service, shape);
  }
  return shape;
}
