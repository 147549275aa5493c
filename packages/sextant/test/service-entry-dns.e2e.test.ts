import fs from 'node:fs';
import path from 'node:path';
import { waitFor } from '@sextant/testkit';
import { startDaemon, tempDir, type DaemonProcess } from './daemon-process';

/**
 * A resolution DNS ServiceEntry served by the real daemon: its endpoint names are looked up by the
 * system resolver and the addresses are the host's endpoints on v1 SDS and v3 EDS. `localhost`
 * resolves from /etc/hosts, so nothing here asks a name server.
 */
const CONFIG = `
listen:
  discovery: \${DISCOVERY}
  admin: \${ADMIN}
  xds: 127.0.0.1:0
debounce: { after: 50ms, max: 500ms }
dns: { refresh: 1s }
log: { level: warn }
rules: [rules.yaml]
adapters:
  - name: local
    type: file
    path: services.yaml
`;

const RULES = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: local-api }
spec:
  hosts: [api.local.example]
  ports: [{ number: 8080, name: http, protocol: HTTP }]
  resolution: DNS
  endpoints:
  - { address: localhost, labels: { version: v1 }, locality: lab/rack-1 }
`;

const KEY = 'api.local.example|http';
const NODE = 'sidecar~10.0.1.11~web-1.default~default.svc.cluster.local';

describe('a resolution DNS ServiceEntry, end to end', () => {
  let daemon: DaemonProcess;

  beforeAll(async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'services.yaml'), 'services: []\n');
    fs.writeFileSync(path.join(dir, 'rules.yaml'), RULES);
    daemon = await startDaemon(dir, CONFIG);
    await waitFor(async () => (await fetch(`${daemon.admin}/readyz`)).ok, {
      timeoutMs: 10_000,
      message: 'never ready',
    });
  });

  afterAll(async () => {
    if (daemon.child.exitCode === null) await daemon.terminate();
  });

  const sdsHosts = async () => {
    const response = await fetch(`${daemon.discovery}/v1/registration/${encodeURIComponent(KEY)}`);
    if (!response.ok) return [];
    const body = (await response.json()) as { hosts: { ip_address: string; port: number }[] };
    return body.hosts.map((h) => `${h.ip_address}:${h.port}`);
  };

  it('serves the addresses localhost resolves to as the host endpoints on v1 SDS', async () => {
    await waitFor(async () => (await sdsHosts()).length > 0, {
      timeoutMs: 10_000,
      message: () => `endpoints of ${KEY} on v1 SDS:\n${daemon.output()}`,
    });
    expect(await sdsHosts()).toEqual(['127.0.0.1:8080']);
  });

  it('serves them on v3 EDS with the endpoint locality', async () => {
    await waitFor(async () => (await sdsHosts()).length > 0, { timeoutMs: 10_000, message: 'resolved' });
    const response = await fetch(`${daemon.discovery}/v3/discovery:endpoints`, {
      method: 'POST',
      body: JSON.stringify({ node: { id: NODE }, resource_names: [KEY] }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      resources: {
        cluster_name: string;
        endpoints: {
          locality?: { region?: string; zone?: string };
          lb_endpoints: {
            endpoint: { address: { socket_address: { address: string; port_value: number } } };
          }[];
        }[];
      }[];
    };
    expect(body.resources.map((r) => r.cluster_name)).toEqual([KEY]);
    const [group] = body.resources[0]?.endpoints ?? [];
    expect(group?.locality).toMatchObject({ region: 'lab', zone: 'rack-1' });
    expect(group?.lb_endpoints.map((e) => e.endpoint.address.socket_address)).toEqual([
      { address: '127.0.0.1', port_value: 8080 },
    ]);
  });

  it('shows the ServiceEntry applied without problems on /debug/rules once resolved', async () => {
    const view = (await (await fetch(`${daemon.admin}/debug/rules`)).json()) as {
      rules: { name: string; state: string; errors: unknown[]; warnings: unknown[] }[];
    };
    expect(view.rules.find((r) => r.name === 'local-api')).toMatchObject({
      state: 'applied',
      errors: [],
      warnings: [],
    });
  });
});
