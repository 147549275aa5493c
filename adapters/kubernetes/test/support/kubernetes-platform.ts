import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConformancePlatform, ConformanceService } from '@sextant/testkit';
import {
  FakeKubernetesApi,
  k8sEndpointSlice,
  k8sNode,
  k8sPod,
  k8sService,
  type FakeKubernetesOptions,
} from '@sextant/testkit/kubernetes';
import type { KubernetesAdapterOptions } from '../../src';

export const NAMESPACE = 'conformance';
const TOKEN = 'conformance-token';

/**
 * The conformance platform of the kubernetes adapter: a fake API server holding, for each
 * service, a Service (port 80, `http`), one EndpointSlice per distinct instance port (as the
 * controller writes one per resolved target port) and a Pod per instance, reached through an
 * ordinary kubeconfig with a bearer token. Broken means an outage: watches dropped, every
 * request answered 503.
 */
export async function startKubernetesPlatform(
  options: FakeKubernetesOptions = {},
): Promise<ConformancePlatform<KubernetesAdapterOptions> & { readonly fake: FakeKubernetesApi }> {
  const fake = await FakeKubernetesApi.start({ tokens: [TOKEN], ...options });
  const dir = mkdtempSync(join(tmpdir(), 'sextant-k8s-conformance-'));
  const kubeconfig = fake.writeKubeconfig(join(dir, 'kubeconfig'), { token: TOKEN });
  fake.put(k8sNode({ name: 'node-a', region: 'region-1', zone: 'zone-a' }));
  let current: readonly ConformanceService[] = [];

  const apply = (services: readonly ConformanceService[]) => {
    const wanted = new Set(services.map((service) => service.name));
    for (const old of current) {
      if (wanted.has(old.name)) continue;
      fake.remove('Service', NAMESPACE, old.name);
      for (const slice of fake.list('EndpointSlice', NAMESPACE)) {
        if (slice.metadata.labels?.['kubernetes.io/service-name'] === old.name) {
          fake.remove('EndpointSlice', NAMESPACE, slice.metadata.name);
        }
      }
    }
    for (const service of services) {
      fake.put(
        k8sService({
          name: service.name,
          namespace: NAMESPACE,
          ports: [{ name: 'http', port: 80, targetPort: 'http' }],
        }),
      );
      const byPort = new Map<number, string[]>();
      for (const { address, port } of service.instances)
        byPort.set(port, [...(byPort.get(port) ?? []), address]);
      const sliceNames = new Set<string>();
      for (const [port, addresses] of byPort) {
        const name = `${service.name}-${port}`;
        sliceNames.add(name);
        for (const address of addresses) {
          fake.put(
            k8sPod({
              name: podName(service.name, address),
              namespace: NAMESPACE,
              labels: { app: service.name },
              ip: address,
              nodeName: 'node-a',
            }),
          );
        }
        fake.put(
          k8sEndpointSlice({
            name,
            namespace: NAMESPACE,
            service: service.name,
            endpoints: addresses.map((address) => ({
              address,
              pod: podName(service.name, address),
              nodeName: 'node-a',
              zone: 'zone-a',
            })),
            ports: [{ name: 'http', port }],
          }),
        );
      }
      for (const slice of fake.list('EndpointSlice', NAMESPACE)) {
        if (
          slice.metadata.labels?.['kubernetes.io/service-name'] === service.name &&
          !sliceNames.has(slice.metadata.name)
        ) {
          fake.remove('EndpointSlice', NAMESPACE, slice.metadata.name);
        }
      }
    }
    current = services;
  };

  return {
    fake,
    options: () => ({ kubeconfig }),
    hostname: (name) => `${name}.${NAMESPACE}.svc.cluster.local`,
    async setServices(services) {
      apply(services);
    },
    async breakPlatform() {
      fake.outage();
    },
    async repairPlatform() {
      fake.restore();
    },
    async close() {
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function podName(service: string, address: string): string {
  return `${service}-${address.replace(/[.:]/g, '-')}`;
}
