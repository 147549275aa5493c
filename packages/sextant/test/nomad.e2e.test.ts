import { waitFor } from '@sextant/testkit';
import { envoyV1Problems } from '@sextant/testkit/envoy-v1';
import { FakeNomad, type RegistrationInput } from '@sextant/testkit/nomad';
import { startDaemon, tempDir, type DaemonProcess } from './daemon-process';

/** The daemon config: one nomad adapter on the fake, quick debounce and retries. */
const config = (nomadUrl: string, options = '') => `
listen:
  discovery: \${DISCOVERY}
  admin: \${ADMIN}
  xds: 127.0.0.1:0
debounce: { after: 20ms, max: 200ms }
log: { level: warn }
adapters:
  - name: nomad
    type: nomad
    address: ${nomadUrl}
    retry: { initial: 50ms, max: 500ms }
    rateLimit: { burst: 20, interval: 50ms }
${options}`;

const SIDECAR = 'sidecar~10.0.9.1~client.default~default.nomad';

interface Registry {
  version: string | null;
  adapters: { name: string; status: string; detail: string | null }[];
  services: { hostname: string }[];
}

async function json<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}

/** v1 SDS hosts of a service key, as `ip:port az`. */
async function hosts(d: DaemonProcess, key: string): Promise<string[]> {
  const response = await fetch(`${d.discovery}/v1/registration/${encodeURIComponent(key)}`);
  if (response.status !== 200) return [];
  const body = (await response.json()) as {
    hosts: { ip_address: string; port: number; tags?: { az?: string } }[];
  };
  return body.hosts.map((h) => `${h.ip_address}:${h.port} ${h.tags?.az ?? '-'}`).sort();
}

async function publishedSnapshots(d: DaemonProcess): Promise<number> {
  const text = await (await fetch(`${d.admin}/metrics`)).text();
  const match = /^sextant_snapshots_published_total (\d+)$/m.exec(text);
  if (!match) throw new Error('no sextant_snapshots_published_total in /metrics');
  return Number(match[1]);
}

const untilHosts = (d: DaemonProcess, key: string, expected: string[]) =>
  waitFor(async () => JSON.stringify(await hosts(d, key)) === JSON.stringify(expected), {
    timeoutMs: 8000,
    message: () => `${key} to have hosts ${expected.join(', ') || 'none'}`,
  });

const web = (address: string, port: number, extra: Partial<RegistrationInput> = {}): RegistrationInput => ({
  ServiceName: 'web',
  Address: address,
  Port: port,
  AllocID: `web-${address}-${port}`,
  Tags: ['version=v1'],
  ...extra,
});

describe('the sextant daemon with a nomad adapter, end to end', () => {
  describe('following Nomad', () => {
    let nomad: FakeNomad;
    let daemon: DaemonProcess;

    beforeAll(async () => {
      nomad = await FakeNomad.start();
      nomad.register(web('10.0.1.11', 23456), web('10.0.1.12', 24567, { Datacenter: 'dc2' }));
      daemon = await startDaemon(tempDir(), config(nomad.url));
      await waitFor(async () => (await fetch(`${daemon.admin}/readyz`)).ok, {
        timeoutMs: 10_000,
        message: () => `ready:\n${daemon.output()}`,
      });
    });

    afterAll(async () => {
      await daemon?.terminate();
      await nomad?.close();
    });

    it('serves registrations to Envoy as schema-valid v1 SDS and CDS', async () => {
      expect(await hosts(daemon, 'web.default.nomad|http')).toEqual([
        '10.0.1.11:23456 dc1',
        '10.0.1.12:24567 dc2',
      ]);
      expect(await hosts(daemon, 'web.default.nomad|http|version=v1')).toHaveLength(2);
      const sds = await json<unknown>(
        `${daemon.discovery}/v1/registration/${encodeURIComponent('web.default.nomad|http')}`,
      );
      expect(envoyV1Problems('sds', sds)).toEqual([]);
      const cds = await json<{ clusters: { name: string }[] }>(
        `${daemon.discovery}/v1/clusters/istio-proxy/${SIDECAR}`,
      );
      expect(envoyV1Problems('cds', cds)).toEqual([]);
      expect(cds.clusters.map((c) => c.name)).toContain('out.web.default.nomad|http');
    });

    it('follows registrations being added, changed and removed', async () => {
      nomad.register(web('10.0.1.13', 25678));
      await untilHosts(daemon, 'web.default.nomad|http', [
        '10.0.1.11:23456 dc1',
        '10.0.1.12:24567 dc2',
        '10.0.1.13:25678 dc1',
      ]);
      // An allocation rescheduled: the same job, a new address and port.
      nomad.deregister(nomad.allRegistrations().find((r) => r.Address === '10.0.1.12')?.ID ?? '');
      nomad.register(web('10.0.1.22', 26789));
      await untilHosts(daemon, 'web.default.nomad|http', [
        '10.0.1.11:23456 dc1',
        '10.0.1.13:25678 dc1',
        '10.0.1.22:26789 dc1',
      ]);
      nomad.deregisterService('web');
      await waitFor(async () => !(await json<Registry>(`${daemon.admin}/debug/registry`)).services.length, {
        message: 'web to be gone from /debug/registry',
      });
      expect(await hosts(daemon, 'web.default.nomad|http')).toEqual([]);
    });

    it('follows namespaces as they come and go', async () => {
      nomad.register({
        ServiceName: 'redis',
        Namespace: 'payments',
        Address: '10.0.3.31',
        Port: 6379,
        Tags: ['protocol=tcp', 'port=6379'],
      });
      await untilHosts(daemon, 'redis.payments.nomad|tcp', ['10.0.3.31:6379 dc1']);
      nomad.deregisterService('redis', 'payments');
      await untilHosts(daemon, 'redis.payments.nomad|tcp', []);
      const registry = await json<Registry>(`${daemon.admin}/debug/registry`);
      expect(registry.services.map((s) => s.hostname)).not.toContain('redis.payments.nomad');
      expect(registry.adapters[0]?.status).toBe('ready');
    });

    it('publishes no new snapshot for wake-ups that change nothing (shuffled lists, re-registrations)', async () => {
      nomad.register(web('10.0.1.11', 23456, { Tags: ['version=v1', 'b', 'a'] }));
      const webEntry = async () =>
        (
          await json<
            Registry & { services: { version: string; instances: { labels: Record<string, string> }[] }[] }
          >(`${daemon.admin}/debug/registry?hostname=web.default.nomad`)
        ).services[0];
      await waitFor(async () => (await webEntry())?.instances[0]?.labels['tag.a'] === 'true', {
        message: 'the new tags to be published',
      });
      const before = await publishedSnapshots(daemon);
      const entry = await webEntry();
      for (let round = 0; round < 3; round += 1) {
        const reads = nomad.requests.length;
        nomad.touch('web');
        nomad.bumpIndex();
        // The list and the service watch both woke, read Nomad again, and re-armed.
        await waitFor(() => nomad.requests.length >= reads + 2 && nomad.parkedQueries() === 2, {
          message: () => `the watches to re-read and re-arm (parked: ${nomad.parkedQueries()})`,
        });
      }
      // A real change after them: once it is served, anything the wake-ups caused would be too.
      nomad.register({ ServiceName: 'marker', Address: '10.0.7.1', Port: 1 });
      await untilHosts(daemon, 'marker.default.nomad|http', ['10.0.7.1:1 dc1']);
      expect(await publishedSnapshots(daemon)).toBe(before + 1);
      expect((await webEntry())?.version).toBe(entry?.version);
    });
  });

  describe('a 403 on one namespace', () => {
    let nomad: FakeNomad;
    let daemon: DaemonProcess;

    beforeAll(async () => {
      nomad = await FakeNomad.start({ acl: { tokens: { ops: { read: ['default', 'payments'] } } } });
      nomad.register(web('10.0.1.11', 23456), {
        ServiceName: 'redis',
        Namespace: 'payments',
        Address: '10.0.3.31',
        Port: 6379,
      });
      daemon = await startDaemon(
        tempDir(),
        config(nomad.url, '    namespaces: [default, payments]\n    token: ops\n'),
      );
      await waitFor(async () => (await fetch(`${daemon.admin}/readyz`)).ok, {
        timeoutMs: 10_000,
        message: () => `ready:\n${daemon.output()}`,
      });
    });

    afterAll(async () => {
      await daemon?.terminate();
      await nomad?.close();
    });

    it('degrades with Nomad’s message, keeps serving that namespace’s last state, and follows the others', async () => {
      nomad.acl.setToken('ops', { read: ['default'] });
      // Rights are checked as a query starts: cut the held ones so they ask again.
      nomad.dropConnections();
      const adapter = async () => (await json<Registry>(`${daemon.admin}/debug/registry`)).adapters[0];
      // (A connection cut mid-wait may show for a moment too; the 403 is what stays.)
      const refused = 'namespace payments: Nomad answered 403 "Permission denied"';
      await waitFor(
        async () => (await adapter())?.status === 'degraded' && (await adapter())?.detail === refused,
        {
          message: `degraded with "${refused}"`,
        },
      );
      expect((await fetch(`${daemon.admin}/readyz`)).status).toBe(200);
      expect(await hosts(daemon, 'redis.payments.nomad|http')).toEqual(['10.0.3.31:6379 dc1']);

      nomad.register(web('10.0.1.12', 24567));
      await untilHosts(daemon, 'web.default.nomad|http', ['10.0.1.11:23456 dc1', '10.0.1.12:24567 dc1']);

      nomad.acl.setToken('ops', { read: ['default', 'payments'] });
      nomad.register({ ServiceName: 'redis', Namespace: 'payments', Address: '10.0.3.32', Port: 6379 });
      await untilHosts(daemon, 'redis.payments.nomad|http', ['10.0.3.31:6379 dc1', '10.0.3.32:6379 dc1']);
      // Every watch of payments finds its rights back on its next retry.
      await waitFor(async () => (await adapter())?.status === 'ready', {
        message: 'the adapter to be ready again',
      });
    });
  });
});
