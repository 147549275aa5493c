import fs from 'node:fs';
import path from 'node:path';
import { waitFor } from '@sextant/testkit';
import { FakeKubernetesApi } from '@sextant/testkit/kubernetes';
import { parseAllDocuments } from 'yaml';
import { startDaemon, tempDir, type DaemonProcess } from './daemon-process';

/**
 * examples/kubernetes/deployment.yaml as it is written: its config run by the daemon against a fake
 * API server (through a kubeconfig rather than the pod's service account; only the listeners' ports
 * are moved to free ones), reached the ways a cluster reaches it.
 */

const EXAMPLE = path.resolve(__dirname, '..', '..', '..', 'examples', 'kubernetes', 'deployment.yaml');
/** The pod's own address as the kubelet probes it: on Linux every 127/8 address is local, and not 127.0.0.1. */
const POD_IP = '127.0.0.2';
/** What the example's admin token Secret would hold. */
const ADMIN_TOKEN = 'example-admin-token';

interface Manifest {
  kind: string;
  data?: Record<string, string>;
  spec?: {
    template?: { spec: { containers: Container[] } };
    ports?: { name: string; port: number; targetPort: string }[];
    ingress?: { ports: { port: string | number }[] }[];
    policyTypes?: string[];
  };
}

interface Container {
  ports: { name: string; containerPort: number }[];
  readinessProbe: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string; port: string } };
}

function manifests(): Manifest[] {
  return parseAllDocuments(fs.readFileSync(EXAMPLE, 'utf8')).map((d) => d.toJSON() as Manifest);
}

function only(kind: string): Manifest {
  const found = manifests().filter((m) => m.kind === kind);
  expect(found).toHaveLength(1);
  return found[0] as Manifest;
}

function container(): Container {
  const containers = only('Deployment').spec?.template?.spec.containers ?? [];
  expect(containers).toHaveLength(1);
  return containers[0] as Container;
}

/** The ConfigMap's sextant.yaml, with each listener's port replaced and its host kept. */
function exampleConfig(): { text: string; listen: Record<string, string> } {
  const text = only('ConfigMap').data?.['sextant.yaml'] ?? '';
  const listen: Record<string, string> = {};
  const moved = text.replace(
    /^(\s+)(discovery|admin|xds): (\S+):(\d+)/gm,
    (_all, indent, name, host, port) => {
      listen[name as string] = `${host as string}:${port as string}`;
      const free = { discovery: '${DISCOVERY_PORT}', admin: '${ADMIN_PORT}', xds: '0' }[name as string];
      return `${indent as string}${name as string}: ${host as string}:${free}`;
    },
  );
  return { text: moved, listen };
}

describe('the Kubernetes example (examples/kubernetes/deployment.yaml)', () => {
  let api: FakeKubernetesApi;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    api = await FakeKubernetesApi.start();
    const dir = tempDir();
    const kubeconfig = api.writeKubeconfig(path.join(dir, 'kubeconfig'));
    const tokenFile = path.join(dir, 'admin-token');
    fs.writeFileSync(tokenFile, `${ADMIN_TOKEN}\n`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      POD_IP,
      KUBECONFIG: kubeconfig,
      ADMIN_TOKEN_FILE: tokenFile,
    };
    delete env.KUBERNETES_SERVICE_HOST;
    // startDaemon waits for admin on 127.0.0.1, where `kubectl port-forward` connects inside the pod.
    daemon = await startDaemon(dir, exampleConfig().text, [], { env });
  }, 60_000);

  afterAll(async () => {
    if (daemon && daemon.child.exitCode === null) await daemon.terminate();
    await api?.close();
  });

  it('answers the documented debug path through the loopback that kubectl port-forward connects to, with the admin token', async () => {
    expect((await fetch(`${daemon.admin}/debug/registry`)).status).toBe(401);
    const response = await fetch(`${daemon.admin}/debug/registry`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { adapters: { name: string }[] };
    expect(body.adapters.map((a) => a.name)).toEqual(['kubernetes']);
  });

  it("answers the kubelet's probes on the pod's address, on the port the probes name", async () => {
    const { listen } = exampleConfig();
    const ports = new Map(container().ports.map((p) => [p.name, p.containerPort]));
    const adminPort = Number(listen.admin?.split(':').pop());
    expect(container().readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http-admin' });
    expect(container().livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http-admin' });
    expect(ports.get('http-admin')).toBe(adminPort);
    expect(ports.get('http-discovery')).toBe(Number(listen.discovery?.split(':').pop()));
    expect(ports.get('grpc-xds')).toBe(Number(listen.xds?.split(':').pop()));

    const onPodIp = daemon.admin.replace('127.0.0.1', POD_IP);
    await waitFor(async () => (await fetch(`${onPodIp}/readyz`).catch(() => undefined))?.ok === true, {
      timeoutMs: 30_000,
      message: () => `/readyz on the pod's address; daemon output:\n${daemon.output()}`,
    });
    expect((await fetch(`${onPodIp}/healthz`)).status).toBe(200);
    expect((await fetch(`${daemon.discovery.replace('127.0.0.1', POD_IP)}/v1/registration`)).status).toBe(
      200,
    );
  });

  it('lets other pods reach discovery and xDS only: the Service and the NetworkPolicy leave admin out', () => {
    expect(only('Service').spec?.ports?.map((p) => p.targetPort)).toEqual(['http-discovery', 'grpc-xds']);
    const policy = only('NetworkPolicy').spec;
    expect(policy?.policyTypes).toEqual(['Ingress']);
    expect(policy?.ingress?.flatMap((rule) => rule.ports.map((p) => p.port))).toEqual([
      'http-discovery',
      'grpc-xds',
    ]);
  });
});
