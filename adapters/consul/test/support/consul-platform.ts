import type { ConformancePlatform, ConformanceService } from '@sextant/testkit';
import { FakeConsul, type FakeInstanceRef } from '@sextant/testkit/consul';
import type { ConsulAdapterOptions } from '../../src';

/**
 * The conformance platform of the consul adapter: a fake Consul agent in dc1. Services are
 * registered as agents register them (one node per address, a passing service check each);
 * breaking it stops the agent (connections refused), repairing starts it again on the same port.
 */
export async function startConsulPlatform(): Promise<ConformancePlatform<ConsulAdapterOptions>> {
  const fake = await FakeConsul.start();
  let registered = new Map<string, FakeInstanceRef>();
  const key = (service: string, address: string, port: number) => `${service} ${address}:${port}`;
  return {
    options: () => ({ address: fake.url, wait: '2s' }),
    hostname: (name) => `${name}.service.dc1.consul`,
    async setServices(services: readonly ConformanceService[]) {
      const next = new Map<string, FakeInstanceRef>();
      for (const service of services) {
        for (const { address, port } of service.instances) {
          const id = key(service.name, address, port);
          next.set(id, registered.get(id) ?? fake.addInstance({ service: service.name, address, port }));
        }
      }
      for (const [id, ref] of registered) if (!next.has(id)) fake.removeInstance(ref);
      registered = next;
    },
    breakPlatform: () => fake.stop(),
    repairPlatform: () => fake.start(),
    close: () => fake.close(),
  };
}
