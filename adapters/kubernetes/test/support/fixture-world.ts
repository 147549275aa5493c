import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { k8sNode, k8sPod, type FakeKubernetesApi, type KubeObject } from '@sextant/testkit/kubernetes';

/** The shared fixtures: wire bodies of a ServiceList, an EndpointSliceList and a watch stream. */
export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8')) as T;
}

export interface FixtureList {
  readonly items: KubeObject[];
}

/** The watch events of `k8s-watch-events.ndjson`, in order (the last is a separate watch's ERROR). */
export function fixtureEvents(): { type: string; object: KubeObject }[] {
  return readFileSync(join(__dirname, '..', 'fixtures', 'k8s-watch-events.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; object: KubeObject });
}

/** Pod labels of the fixture world: web v1 pods, a canary v2 pod, and the api pod. */
export const FIXTURE_PODS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'web-6d8f9c7b5-h2kxp': { app: 'web', version: 'v1', 'pod-template-hash': '6d8f9c7b5' },
  'web-6d8f9c7b5-q9wzt': { app: 'web', version: 'v1', 'pod-template-hash': '6d8f9c7b5' },
  'web-6d8f9c7b5-m4rtl': { app: 'web', version: 'v1', 'pod-template-hash': '6d8f9c7b5' },
  'web-canary-5f4d7b9c8-k7vqs': { app: 'web', version: 'v2', 'pod-template-hash': '5f4d7b9c8' },
  'api-7c9d8e6f4-x8b2n': { app: 'api', version: 'v1', 'pod-template-hash': '7c9d8e6f4' },
};

/**
 * Loads the fixture world into a fake: the Services and EndpointSlices of the fixtures (with the
 * `kind` their list items lack), the pods their endpoints name, and nodes node-a and node-b in
 * region `eu-west-1`.
 */
export function loadFixtureWorld(fake: FakeKubernetesApi): void {
  fake.put(k8sNode({ name: 'node-a', region: 'eu-west-1', zone: 'zone-a' }));
  fake.put(k8sNode({ name: 'node-b', region: 'eu-west-1', zone: 'zone-b' }));
  for (const [name, labels] of Object.entries(FIXTURE_PODS)) fake.put(k8sPod({ name, labels }));
  for (const item of fixture<FixtureList>('k8s-service.json').items) fake.put({ kind: 'Service', ...item });
  for (const item of fixture<FixtureList>('k8s-endpointslice.json').items) {
    fake.put({ kind: 'EndpointSlice', ...item });
  }
}
