import path from 'node:path';
import { waitFor } from '@sextant/testkit';
import { envoyV1Problems } from '@sextant/testkit/envoy-v1';
import {
  FakeKubernetesApi,
  k8sEndpointSlice,
  k8sNode,
  k8sPod,
  k8sService,
  type EndpointSpec,
} from '@sextant/testkit/kubernetes';
import { startDaemon, tempDir, type DaemonProcess } from './daemon-process';

/**
 * The daemon with two `kubernetes` adapters, east and west, each pointed by an ordinary kubeconfig
 * at its own fake API server: what Envoy is served as the clusters change and fail.
 */
const CONFIG = `
listen:
  discovery: \${DISCOVERY}
  admin: \${ADMIN}
  xds: 127.0.0.1:0
debounce: { after: 20ms, max: 200ms }
log: { level: warn }
adapters:
  - name: east
    type: kubernetes
    kubeconfig: east.kubeconfig
    clusterName: east
  - name: west
    type: kubernetes
    kubeconfig: west.kubeconfig
    clusterName: west
`;

const WEB = 'web.default.svc.cluster.local';
const API = 'api.default.svc.cluster.local';
const NODE = 'sidecar~10.0.1.11~web-v1-a.default~default.svc.cluster.local';
const TOKEN = 'e2e-token';

interface SdsBody {
  readonly hosts: { ip_address: string; port: number; tags: { az?: string } }[];
}

interface RegistryView {
  readonly adapters: { name: string; status: string; detail: string | null }[];
  readonly conflicts: {
    hostname: string;
    winner: string;
    differences: { adapter: string; fields: string[] }[];
  }[];
  readonly services: {
    hostname: string;
    instances: { address: string; port: number; health: string; labels: Record<string, string> }[];
  }[];
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

describe('the daemon with two Kubernetes clusters, end to end', () => {
  let east: FakeKubernetesApi;
  let west: FakeKubernetesApi;
  let daemon: DaemonProcess;

  /** The web Service's slice in east: v1 pods on port 8080, named after their addresses. */
  const webSlice = (endpoints: EndpointSpec[]) =>
    k8sEndpointSlice({ name: 'web-7k2xq', service: 'web', endpoints, ports: [{ name: 'http', port: 8080 }] });
  const webPod = (address: string, version = 'v1') => ({
    address,
    pod: `web-${version}-${address.split('.').pop() ?? ''}`,
    nodeName: 'node-a',
    zone: 'zone-a',
  });
  const hosts = async (key: string) =>
    (await getJson<SdsBody>(`${daemon.discovery}/v1/registration/${key}`)).body.hosts
      .map((h) => `${h.ip_address}:${h.port}`)
      .sort();
  const registry = async () => (await getJson<RegistryView>(`${daemon.admin}/debug/registry`)).body;
  const instancesOf = async (hostname: string) =>
    (await registry()).services
      .find((s) => s.hostname === hostname)
      ?.instances.map((i) => `${i.address}:${i.port} ${i.health}`);

  beforeAll(async () => {
    [east, west] = await Promise.all([
      FakeKubernetesApi.start({ tokens: [TOKEN] }),
      FakeKubernetesApi.start({ tokens: [TOKEN] }),
    ]);
    const dir = tempDir();
    east.writeKubeconfig(path.join(dir, 'east.kubeconfig'), { token: TOKEN });
    west.writeKubeconfig(path.join(dir, 'west.kubeconfig'), { token: TOKEN });

    east.put(k8sNode({ name: 'node-a', region: 'eu-west-1', zone: 'zone-a' }));
    for (const last of [11, 12, 13]) {
      east.put(
        k8sPod({ name: `web-v1-${last}`, labels: { app: 'web', version: 'v1' }, ip: `10.0.1.${last}` }),
      );
    }
    east.put(k8sPod({ name: 'api-1', labels: { app: 'api' }, ip: '10.0.2.21' }));
    east.put(
      k8sService({
        name: 'web',
        clusterIP: '10.96.120.15',
        ports: [{ name: 'http', port: 80, targetPort: 'http' }],
      }),
    );
    east.put(
      k8sService({
        name: 'api',
        clusterIP: '10.96.33.208',
        ports: [{ name: 'grpc', port: 9090, appProtocol: 'kubernetes.io/h2c' }],
      }),
    );
    east.put(
      webSlice([
        webPod('10.0.1.11'),
        { ...webPod('10.0.1.12'), ready: false, serving: true, terminating: true },
        { ...webPod('10.0.1.13'), ready: false },
      ]),
    );
    east.put(
      k8sEndpointSlice({
        name: 'api-p9m4d',
        service: 'api',
        endpoints: [{ address: '10.0.2.21', pod: 'api-1', nodeName: 'node-a', zone: 'zone-a' }],
        ports: [{ name: 'grpc', port: 9090, appProtocol: 'kubernetes.io/h2c' }],
      }),
    );
    west.put(k8sNode({ name: 'node-w', region: 'us-east-1', zone: 'us-east-1a' }));

    daemon = await startDaemon(dir, CONFIG);
    await waitFor(async () => (await fetch(`${daemon.admin}/readyz`)).ok, {
      timeoutMs: 15_000,
      message: () => `readiness; daemon output:\n${daemon.output()}`,
    });
  }, 45_000);

  afterAll(async () => {
    if (daemon && daemon.child.exitCode === null) await daemon.terminate();
    await Promise.all([east?.close(), west?.close()]);
  });

  it('serves v1 SDS, CDS, RDS and LDS built from the Services and their slices', async () => {
    const sds = await getJson<SdsBody>(`${daemon.discovery}/v1/registration/${WEB}|http`);
    const cds = await getJson<{ clusters: { name: string }[] }>(
      `${daemon.discovery}/v1/clusters/istio-proxy/${NODE}`,
    );
    const rds = await getJson<{ virtual_hosts: { domains: string[]; routes: { cluster: string }[] }[] }>(
      `${daemon.discovery}/v1/routes/80/istio-proxy/${NODE}`,
    );
    const lds = await getJson<{ listeners: { name: string }[] }>(
      `${daemon.discovery}/v1/listeners/istio-proxy/${NODE}`,
    );
    for (const [api, response] of [
      ['sds', sds],
      ['cds', cds],
      ['rds', rds],
      ['lds', lds],
    ] as const) {
      expect(response.status).toBe(200);
      expect(envoyV1Problems(api, response.body)).toEqual([]);
    }
    // Only the ready endpoint receives traffic; the terminating one drains, the unready one waits.
    expect(sds.body.hosts).toEqual([
      { ip_address: '10.0.1.11', port: 8080, tags: { az: 'zone-a', load_balancing_weight: 1 } },
    ]);
    expect(await instancesOf(WEB)).toEqual([
      '10.0.1.11:8080 healthy',
      '10.0.1.12:8080 draining',
      '10.0.1.13:8080 unhealthy',
    ]);
    expect(cds.body.clusters.map((c) => c.name)).toEqual(['in.8080', `out.${API}|grpc`, `out.${WEB}|http`]);
    const web = rds.body.virtual_hosts.find((v) => v.domains.includes('web'));
    expect(web?.domains).toEqual(expect.arrayContaining(['web', 'web:80', `${WEB}:80`, '10.96.120.15:80']));
    expect(web?.routes[0]?.cluster).toBe(`out.${WEB}|http`);
    expect(lds.body.listeners.map((l) => l.name)).toEqual(
      expect.arrayContaining(['virtual', 'http_10.0.1.11_8080', 'http_0.0.0.0_80', 'http_0.0.0.0_9090']),
    );
    expect(await hosts(`${API}|grpc`)).toEqual(['10.0.2.21:9090']);
  });

  it('follows a scale-up and a scale-down', async () => {
    east.put(k8sPod({ name: 'web-v1-14', labels: { app: 'web', version: 'v1' }, ip: '10.0.1.14' }));
    east.put(webSlice([webPod('10.0.1.11'), webPod('10.0.1.13'), webPod('10.0.1.14')]));
    await waitFor(async () => (await hosts(`${WEB}|http`)).length === 3, { message: 'the scale-up' });
    expect(await hosts(`${WEB}|http`)).toEqual(['10.0.1.11:8080', '10.0.1.13:8080', '10.0.1.14:8080']);
    east.put(webSlice([webPod('10.0.1.11'), webPod('10.0.1.14')]));
    await waitFor(async () => (await hosts(`${WEB}|http`)).length === 2, { message: 'the scale-down' });
    expect(await hosts(`${WEB}|http`)).toEqual(['10.0.1.11:8080', '10.0.1.14:8080']);
  });

  it('drains a terminating pod, then forgets it once its endpoint is gone', async () => {
    east.put(
      webSlice([
        webPod('10.0.1.11'),
        { ...webPod('10.0.1.14'), ready: false, serving: true, terminating: true },
      ]),
    );
    await waitFor(async () => (await instancesOf(WEB))?.includes('10.0.1.14:8080 draining') === true, {
      message: 'the pod to drain',
    });
    expect(await hosts(`${WEB}|http`)).toEqual(['10.0.1.11:8080']);
    east.put(webSlice([webPod('10.0.1.11')]));
    await waitFor(async () => (await instancesOf(WEB))?.length === 1, { message: 'the pod to be gone' });
    expect(await instancesOf(WEB)).toEqual(['10.0.1.11:8080 healthy']);
  });

  it('removes a service deleted while it was disconnected, after the 410 relist', async () => {
    east.outage();
    await waitFor(
      async () => (await registry()).adapters.find((a) => a.name === 'east')?.status === 'degraded',
      {
        message: 'east to be degraded',
      },
    );
    // Served as before while the cluster is unreachable.
    expect(await hosts(`${API}|grpc`)).toEqual(['10.0.2.21:9090']);
    east.remove('Service', 'default', 'api');
    east.remove('EndpointSlice', 'default', 'api-p9m4d');
    east.compact();
    east.restore();
    await waitFor(async () => !(await registry()).services.some((s) => s.hostname === API), {
      timeoutMs: 15_000,
      message: 'the missed delete to be applied',
    });
    const cds = await getJson<{ clusters: { name: string }[] }>(
      `${daemon.discovery}/v1/clusters/istio-proxy/${NODE}`,
    );
    expect(cds.body.clusters.map((c) => c.name)).not.toContain(`out.${API}|grpc`);
    await waitFor(
      async () => (await registry()).adapters.find((a) => a.name === 'east')?.status === 'ready',
      {
        timeoutMs: 10_000,
      },
    );
  }, 45_000);

  it('merges one hostname from two clusters, and shows where their attributes differ', async () => {
    west.put(k8sPod({ name: 'web-w-1', labels: { app: 'web', version: 'v1' }, ip: '10.8.1.21' }));
    west.put(
      k8sService({
        name: 'web',
        clusterIP: '10.100.0.15',
        ports: [{ name: 'http', port: 80, targetPort: 'http' }],
      }),
    );
    west.put(
      k8sEndpointSlice({
        name: 'web-w',
        service: 'web',
        endpoints: [{ address: '10.8.1.21', pod: 'web-w-1', nodeName: 'node-w', zone: 'us-east-1a' }],
        ports: [{ name: 'http', port: 8080 }],
      }),
    );
    await waitFor(async () => (await hosts(`${WEB}|http`)).includes('10.8.1.21:8080'), {
      message: 'west’s web',
    });
    expect(await hosts(`${WEB}|http`)).toEqual(['10.0.1.11:8080', '10.8.1.21:8080']);
    const view = await registry();
    const web = view.services.find((s) => s.hostname === WEB);
    expect(web?.instances.map((i) => `${i.address} ${i.labels['topology.istio.io/cluster']}`)).toEqual([
      '10.0.1.11 east',
      '10.8.1.21 west',
    ]);
    expect(view.conflicts.find((c) => c.hostname === WEB)).toEqual(
      expect.objectContaining({ winner: 'east', differences: [{ adapter: 'west', fields: ['addresses'] }] }),
    );
  });

  it('serves both numbers of a named targetPort, and subsets by pod label', async () => {
    east.put(k8sPod({ name: 'web-v2-31', labels: { app: 'web', version: 'v2' }, ip: '10.0.1.31' }));
    east.put(
      k8sEndpointSlice({
        name: 'web-x4r8n',
        service: 'web',
        endpoints: [webPod('10.0.1.31', 'v2')],
        ports: [{ name: 'http', port: 8081 }],
      }),
    );
    await waitFor(async () => (await hosts(`${WEB}|http`)).includes('10.0.1.31:8081'), {
      message: 'the 8081 slice',
    });
    expect(await hosts(`${WEB}|http`)).toEqual(['10.0.1.11:8080', '10.0.1.31:8081', '10.8.1.21:8080']);
    expect(await hosts(`${WEB}|http|version=v2`)).toEqual(['10.0.1.31:8081']);
    // A label key with a "/" must be percent-encoded in the path.
    expect(await hosts(encodeURIComponent(`${WEB}|http|topology.istio.io/cluster=west`))).toEqual([
      '10.8.1.21:8080',
    ]);
  });

  it('exits 0 on SIGTERM with both watches open', async () => {
    const { code, ms } = await daemon.terminate();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5000);
  });
});
