import {
  ShardedMap,
  type InstanceInput,
  type RegistrySink,
  type ServiceInput,
  type Snapshot,
} from '@sextant/core';

/** A synthetic fleet: `services` HTTP services with `instances` each, spread over zones and versions. */
export function syntheticService(
  i: number,
  instances: number,
  generation = 0,
): { service: ServiceInput; instances: InstanceInput[] } {
  return {
    service: {
      hostname: `svc-${i}.ns-${i % 50}.svc.cluster.local`,
      ports: [{ name: 'http', port: 8000 + (i % 20), protocol: 'http' }],
      addresses: [`10.${100 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`],
    },
    instances: Array.from({ length: instances }, (_, j) => ({
      address: `10.${Math.floor(i / 256) % 256}.${i % 256}.${j + 1 + generation}`,
      port: 8080,
      portName: 'http',
      labels: { version: `v${j % 3}` },
      locality: { region: 'r1', zone: `z${j % 3}` },
    })),
  };
}

export function seedFleet(sink: RegistrySink, services: number, instances: number): void {
  for (let i = 0; i < services; i += 1) {
    const { service, instances: list } = syntheticService(i, instances);
    sink.upsertService(service, list);
  }
}

/** A copy of a snapshot whose entries are new objects: what rendering costs with nothing memoised. */
export function coldCopy(snapshot: Snapshot): Snapshot {
  const services = ShardedMap.of([...snapshot.services].map(([k, e]) => [k, { ...e }] as const));
  return { ...snapshot, services };
}
