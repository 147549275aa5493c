import { REVIEWS_NODE, seedBookinfo, startHarness, type Harness } from './harness';

async function post(base: string, path: string, body: string | object, contentType = 'application/json') {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    json: () =>
      JSON.parse(text) as { version_info: string; type_url: string; resources: Record<string, unknown>[] },
  };
}

const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const node = { id: REVIEWS_NODE, cluster: 'reviews' };

describe('v3 REST-JSON discovery', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    seedBookinfo(h.sink);
  });
  afterEach(() => h.close());

  it('answers 503 until every adapter has synced', async () => {
    const response = await post(h.discovery, '/v3/discovery:clusters', { node });
    expect(response.status).toBe(503);
    expect(response.text).toContain('first sync');
  });

  describe('once synced', () => {
    beforeEach(() => h.sink.setStatus('ready'));

    it('answers a DiscoveryResponse in proto3 JSON, with REST config sources', async () => {
      const response = await post(h.discovery, '/v3/discovery:clusters', { node, type_url: CLUSTER });
      expect(response.status).toBe(200);
      const body = response.json();
      expect(body.type_url).toBe(CLUSTER);
      expect(body.version_info).toMatch(/^[0-9a-f]{16}$/);
      const reviews = body.resources.find(
        (r) => r.name === 'outbound|9080||reviews.default.svc.cluster.local',
      );
      expect(reviews).toEqual({
        '@type': CLUSTER,
        name: 'outbound|9080||reviews.default.svc.cluster.local',
        type: 'EDS',
        eds_cluster_config: {
          eds_config: {
            api_config_source: {
              api_type: 'REST',
              transport_api_version: 'V3',
              cluster_names: ['xds_cluster'],
              refresh_delay: '1s',
            },
            resource_api_version: 'V3',
          },
          service_name: 'reviews.default.svc.cluster.local|http',
        },
        connect_timeout: '1s',
      });
    });

    it('answers 304 while the version the client holds is current, and 200 once it changes', async () => {
      const first = (
        await post(h.discovery, '/v3/discovery:endpoints', {
          node,
          resource_names: ['ratings.default.svc.cluster.local|grpc'],
        })
      ).json();
      // Envoy posts camelCase JSON names as well; both spellings are the same request.
      const again = await post(h.discovery, '/v3/discovery:endpoints', {
        versionInfo: first.version_info,
        node,
        resourceNames: ['ratings.default.svc.cluster.local|grpc'],
      });
      expect(again.status).toBe(304);
      expect(again.text).toBe('');

      h.sink.upsertService(
        {
          hostname: 'ratings.default.svc.cluster.local',
          ports: [{ name: 'grpc', port: 9090, protocol: 'grpc' }],
        },
        [{ address: '10.0.2.99', port: 9090, portName: 'grpc' }],
      );
      h.registry.flush();
      const changed = await post(h.discovery, '/v3/discovery:endpoints', {
        version_info: first.version_info,
        node,
        resource_names: ['ratings.default.svc.cluster.local|grpc'],
      });
      expect(changed.status).toBe(200);
      expect(changed.json().version_info).not.toBe(first.version_info);
      expect(changed.text).toContain('10.0.2.99');
    });

    it('answers listeners and routes for the proxy it is asked for', async () => {
      const lds = (await post(h.discovery, '/v3/discovery:listeners', { node })).json();
      expect(lds.resources.map((l) => l.name)).toEqual([
        'virtualOutbound',
        '10.0.1.11_9080',
        '0.0.0.0_9080',
        '0.0.0.0_9090',
      ]);
      const rds = (
        await post(h.discovery, '/v3/discovery:routes', { node, resource_names: ['9080'] })
      ).json();
      expect(JSON.stringify(rds.resources)).toContain('"domains":["reviews","reviews:9080"');
    });

    it('answers 400 with the reason for a body that is not a DiscoveryRequest', async () => {
      const notJson = await post(h.discovery, '/v3/discovery:clusters', '{"node": ');
      expect(notJson.status).toBe(400);
      expect(notJson.text).toMatch(/^the body is not JSON: /);

      const wrongField = await post(h.discovery, '/v3/discovery:clusters', { node: { id: 7 } });
      expect(wrongField.status).toBe(400);
      expect(wrongField.text).toBe('not a DiscoveryRequest: node.id: expected a string, got number 7\n');

      const noNode = await post(h.discovery, '/v3/discovery:clusters', { resource_names: [] });
      expect(noNode.status).toBe(400);
      expect(noNode.text).toContain('node');

      const wrongType = await post(h.discovery, '/v3/discovery:clusters', {
        node,
        type_url: 'type.googleapis.com/envoy.config.listener.v3.Listener',
      });
      expect(wrongType.status).toBe(400);
      expect(wrongType.text).toContain(
        'this endpoint serves type.googleapis.com/envoy.config.cluster.v3.Cluster',
      );

      const noContentType = await post(h.discovery, '/v3/discovery:clusters', { node }, 'text/plain');
      expect(noContentType.status).toBe(200);
    });
  });
});
