import { request as httpRequest } from 'node:http';
import { envoyV1Problems } from '@sextant/testkit/envoy-v1';
import { REVIEWS_NODE, seedBookinfo, startHarness, type Harness } from './harness';

/** GET exactly `path`, unescaped, as Envoy sends it (fetch would normalise it). */
function rawGet(base: string, path: string, headers: Record<string, string> = {}) {
  const url = new URL(base);
  return new Promise<{
    status: number;
    body: string;
    headers: Record<string, string | string[] | undefined>;
  }>((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path, headers: { host: 'sds', ...headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('v1 REST discovery', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  it('answers 503 with a reason until every adapter has synced', async () => {
    seedBookinfo(h.sink);
    const before = await rawGet(h.discovery, `/v1/clusters/istio-proxy/${REVIEWS_NODE}`);
    expect(before.status).toBe(503);
    expect(before.body).toContain('first sync');
    h.sink.setStatus('ready');
    expect((await rawGet(h.discovery, `/v1/clusters/istio-proxy/${REVIEWS_NODE}`)).status).toBe(200);
  });

  describe('once synced', () => {
    beforeEach(() => {
      seedBookinfo(h.sink);
      h.sink.setStatus('ready');
    });

    it('serves SDS for raw and percent-encoded service keys alike', async () => {
      const raw = await rawGet(
        h.discovery,
        '/v1/registration/reviews.default.svc.cluster.local|http|version=v2',
      );
      const encoded = await rawGet(
        h.discovery,
        '/v1/registration/reviews.default.svc.cluster.local%7Chttp%7Cversion%3Dv2',
      );
      expect(raw.status).toBe(200);
      expect(raw.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(raw.body)).toEqual({
        hosts: [{ ip_address: '10.0.1.12', port: 9080, tags: { load_balancing_weight: 1 } }],
      });
      expect(encoded.body).toBe(raw.body);
      expect(envoyV1Problems('sds', JSON.parse(raw.body))).toEqual([]);
    });

    it('accepts subset label keys containing "/", sent unescaped as Envoy does', async () => {
      h.sink.upsertService(
        { hostname: 'web.example', ports: [{ name: 'http', port: 80, protocol: 'http' }] },
        [
          {
            address: '10.1.0.1',
            port: 8080,
            portName: 'http',
            labels: { 'topology.istio.io/cluster': 'west' },
          },
          {
            address: '10.1.0.2',
            port: 8080,
            portName: 'http',
            labels: { 'topology.istio.io/cluster': 'east' },
          },
        ],
      );
      h.registry.flush();
      const raw = await rawGet(
        h.discovery,
        '/v1/registration/web.example|http|topology.istio.io/cluster=west',
      );
      expect(raw.status).toBe(200);
      expect(JSON.parse(raw.body).hosts.map((host: { ip_address: string }) => host.ip_address)).toEqual([
        '10.1.0.1',
      ]);
      const encoded = await rawGet(
        h.discovery,
        '/v1/registration/web.example%7Chttp%7Ctopology.istio.io%2Fcluster%3Dwest',
      );
      expect(encoded.body).toBe(raw.body);
    });

    it('answers an empty host list for an unknown key and 404 for a malformed one', async () => {
      expect(JSON.parse((await rawGet(h.discovery, '/v1/registration/nope.example|http')).body)).toEqual({
        hosts: [],
      });
      const bad = await rawGet(h.discovery, '/v1/registration/justahostname');
      expect(bad.status).toBe(404);
      expect(bad.body.trim().split('\n')).toHaveLength(1);
      expect(bad.body).toContain('invalid service key "justahostname"');
    });

    it('serves schema-valid CDS, RDS and LDS for a proxy', async () => {
      const cds = await rawGet(h.discovery, `/v1/clusters/istio-proxy/${REVIEWS_NODE}`);
      const rds = await rawGet(h.discovery, `/v1/routes/9080/istio-proxy/${REVIEWS_NODE}`);
      const lds = await rawGet(h.discovery, `/v1/listeners/istio-proxy/${REVIEWS_NODE}`);
      for (const [api, response] of [
        ['cds', cds],
        ['rds', rds],
        ['lds', lds],
      ] as const) {
        expect(response.status).toBe(200);
        expect(envoyV1Problems(api, JSON.parse(response.body))).toEqual([]);
      }
      expect(JSON.parse(cds.body).clusters.map((c: { name: string }) => c.name)).toEqual([
        'in.9080',
        'out.ratings.default.svc.cluster.local|grpc',
        'out.reviews.default.svc.cluster.local|http',
      ]);
      expect(JSON.parse(rds.body).virtual_hosts[0].domains).toContain('reviews:9080');
    });

    it('answers 404 naming the wrong part of a malformed proxy identity', async () => {
      const wrongType = await rawGet(h.discovery, '/v1/clusters/istio-proxy/gateway~10.0.0.1~x~y');
      expect(wrongType.status).toBe(404);
      expect(wrongType.body).toMatch(/type: expected one of sidecar, router, ingress, got "gateway"/);
      const wrongIp = await rawGet(h.discovery, '/v1/listeners/istio-proxy/sidecar~10.0.0~x~y');
      expect(wrongIp.body).toMatch(/ip: "10.0.0" is not an IP address/);
      const notAPort = await rawGet(h.discovery, `/v1/routes/http_proxy/istio-proxy/${REVIEWS_NODE}`);
      expect(notAPort.status).toBe(404);
      expect(notAPort.body).toContain('unknown route configuration "http_proxy"');
    });

    it('sends an ETag and answers 304 to If-None-Match until the body changes', async () => {
      const path = '/v1/registration/reviews.default.svc.cluster.local|http';
      const first = await rawGet(h.discovery, path);
      const etag = String(first.headers.etag);
      expect(etag).toMatch(/^"[\w-]+"$/);
      expect((await rawGet(h.discovery, path, { 'if-none-match': etag })).status).toBe(304);

      h.sink.upsertService(
        {
          hostname: 'reviews.default.svc.cluster.local',
          ports: [{ name: 'http', port: 9080, protocol: 'http' }],
        },
        [{ address: '10.0.1.99', port: 9080, portName: 'http' }],
      );
      h.registry.flush();
      const changed = await rawGet(h.discovery, path, { 'if-none-match': etag });
      expect(changed.status).toBe(200);
      expect(changed.headers.etag).not.toBe(etag);
      expect(JSON.parse(changed.body).hosts[0].ip_address).toBe('10.0.1.99');
    });

    it('serves identical bytes from cache, and keeps SDS answers of services that did not change', async () => {
      const ratings = '/v1/registration/ratings.default.svc.cluster.local|grpc';
      const first = await rawGet(h.discovery, ratings);
      h.sink.upsertService(
        {
          hostname: 'reviews.default.svc.cluster.local',
          ports: [{ name: 'http', port: 9080, protocol: 'http' }],
        },
        [{ address: '10.0.1.99', port: 9080, portName: 'http' }],
      );
      h.registry.flush();
      const metricsBefore = await (await fetch(`${h.admin}/metrics`)).text();
      const second = await rawGet(h.discovery, ratings);
      const metricsAfter = await (await fetch(`${h.admin}/metrics`)).text();
      expect(second.body).toBe(first.body);
      const count = (text: string, event: string) =>
        Number(
          new RegExp(`sextant_render_cache_events_total\\{event="${event}"\\} (\\d+)`).exec(text)?.[1] ?? 0,
        );
      // Answered from the body cached for that service's version: found, nothing rendered.
      expect(count(metricsAfter, 'hit')).toBe(count(metricsBefore, 'hit') + 1);
      expect(count(metricsAfter, 'miss')).toBe(count(metricsBefore, 'miss'));
    });

    it('counts every answer in sextant_discovery_requests_total by API and status, across scrapes', async () => {
      const requests = async () => {
        const text = await (await fetch(`${h.admin}/metrics`)).text();
        const count = (api: string, code: number) =>
          Number(
            new RegExp(
              `^sextant_discovery_requests_total\\{api="${api}",code="${code}"\\} (\\d+)$`,
              'm',
            ).exec(text)?.[1] ?? 0,
          );
        return {
          sds200: count('sds', 200),
          sds304: count('sds', 304),
          sds404: count('sds', 404),
          cds200: count('cds', 200),
        };
      };
      const ratings = '/v1/registration/ratings.default.svc.cluster.local|grpc';
      const before = await requests();
      const { headers } = await rawGet(h.discovery, ratings);
      await rawGet(h.discovery, ratings);
      await rawGet(h.discovery, ratings, { 'if-none-match': String(headers.etag) });
      await rawGet(h.discovery, '/v1/registration/a|b|c|d');
      await rawGet(h.discovery, `/v1/clusters/istio-proxy/${REVIEWS_NODE}`);
      const between = await requests();
      expect(between).toEqual({
        sds200: before.sds200 + 2,
        sds304: before.sds304 + 1,
        sds404: before.sds404 + 1,
        cds200: before.cds200 + 1,
      });
      await rawGet(h.discovery, ratings);
      // Counted once: a scrape takes what was counted since the one before, and adds it.
      expect(await requests()).toEqual({ ...between, sds200: between.sds200 + 1 });
    });

    it('lists every service key with its hosts on /v1/registration', async () => {
      const body = JSON.parse((await rawGet(h.discovery, '/v1/registration')).body);
      expect(body.map((e: { 'service-key': string }) => e['service-key'])).toEqual([
        'ratings.default.svc.cluster.local|grpc',
        'reviews.default.svc.cluster.local|http',
      ]);
      expect(body[1].hosts).toHaveLength(2);
    });

    it('never answers 500 to malformed input', async () => {
      const paths = [
        '/v1/registration/%',
        '/v1/registration/%ZZ|http',
        '/v1/registration/a|b|c|d',
        `/v1/registration/${'x'.repeat(3000)}|http`,
        '/v1/clusters/x/%E0%A4%A',
        `/v1/clusters/x/sidecar~10.0.0.1~${'y'.repeat(1500)}~d`,
        '/v1/clusters/x/',
        '/v1/routes/99999/x/n',
        '/v1/routes/-1/x/n',
        '/v1/listeners/x/~~~',
        '/v1/listeners/x/sidecar~::1~id~d',
        '/v1/nothing',
      ];
      for (const path of paths) {
        const response = await rawGet(h.discovery, path);
        expect({ path, status: response.status < 500 }).toEqual({ path, status: true });
      }
    });
  });
});
