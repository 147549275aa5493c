import {
  V1_MAX_NAME_BYTES,
  v1InboundClusterName,
  v1ObjectName,
  v1OutboundClusterName,
  parseV3ClusterName,
  parseV3ListenerName,
  v3InboundClusterName,
  v3ListenerName,
  v3OutboundClusterName,
} from '../src';

describe('object names', () => {
  it('names inbound and short outbound clusters as Pilot did', () => {
    expect(v1InboundClusterName(9080)).toBe('in.9080');
    expect(v1OutboundClusterName({ hostname: 'reviews.default.svc', portName: 'http', labels: {} })).toBe(
      'out.reviews.default.svc|http',
    );
  });

  it('shortens long outbound names to at most 60 bytes, deterministically, with a hash suffix', () => {
    const key = {
      hostname: 'reviews.bookinfo-staging.svc.cluster.local',
      portName: 'http',
      labels: { version: 'v2' },
    };
    const name = v1OutboundClusterName(key);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(V1_MAX_NAME_BYTES);
    expect(name).toMatch(/^out\.reviews\.bookinfo-staging\.svc\.cluster\.lo~[0-9a-f]{16}$/);
    expect(v1OutboundClusterName({ ...key, labels: { version: 'v2' } })).toBe(name);
    expect(v1OutboundClusterName({ ...key, labels: { version: 'v3' } })).not.toBe(name);
  });

  it('keeps names that differ only past the cut distinct', () => {
    const base = 'a'.repeat(70);
    const names = new Set(['1', '2', '3', '4'].map((s) => v1ObjectName(`out.${base}${s}`)));
    expect(names.size).toBe(4);
    for (const name of names) expect(Buffer.byteLength(name)).toBeLessThanOrEqual(60);
  });

  it('never emits a colon, which Envoy 1.4 refused in cluster names', () => {
    const name = v1ObjectName('out.db|5432|zone=us:east');
    expect(name).not.toContain(':');
    expect(name.startsWith('out.db|5432|zone=us_east~')).toBe(true);
  });

  it('does not split multi-byte characters when cutting', () => {
    const name = v1ObjectName(`out.${'é'.repeat(40)}`);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(60);
    expect(name).not.toContain('\uFFFD');
    expect(Buffer.from(name, 'utf8').toString('utf8')).toBe(name);
  });

  it('leaves a name of exactly 60 bytes alone', () => {
    const exact = `out.${'x'.repeat(56)}`;
    expect(v1ObjectName(exact)).toBe(exact);
    expect(v1ObjectName(`${exact}y`)).not.toBe(`${exact}y`);
  });

  it('names v3 clusters as DESIGN §3 says', () => {
    expect(v3OutboundClusterName(9080, 'reviews.default.svc.cluster.local')).toBe(
      'outbound|9080||reviews.default.svc.cluster.local',
    );
    expect(v3OutboundClusterName(9080, 'r.local', 'v2')).toBe('outbound|9080|v2|r.local');
    expect(v3InboundClusterName(9080, 'r.local')).toBe('inbound|9080||r.local');
  });

  it('parses v3 cluster names back into what built them, subsets included', () => {
    const cases = [
      { direction: 'outbound', port: 9080, subset: '', hostname: 'reviews.default.svc.cluster.local' },
      { direction: 'outbound', port: 80, subset: 'v2', hostname: 'web.service.dc1.consul' },
      { direction: 'outbound', port: 65535, subset: 'canary-1.x', hostname: 'a' },
      { direction: 'inbound', port: 8080, subset: '', hostname: 'web.example' },
    ] as const;
    for (const parts of cases) {
      const name =
        parts.direction === 'inbound'
          ? v3InboundClusterName(parts.port, parts.hostname)
          : v3OutboundClusterName(parts.port, parts.hostname, parts.subset);
      expect(parseV3ClusterName(name)).toEqual(parts);
    }
    for (const name of [
      'BlackHoleCluster',
      'outbound|0||a',
      'outbound|70000||a',
      'outbound|080||a',
      'outbound|80|a',
      'inbound|80|v1|a',
      'sideways|80||a',
      'outbound|80|||',
    ]) {
      expect(parseV3ClusterName(name)).toBeUndefined();
    }
  });

  it('names listeners by address and parses the names back', () => {
    for (const [ip, port, name] of [
      ['0.0.0.0', 9080, '0.0.0.0_9080'],
      ['10.0.0.5', 80, '10.0.0.5_80'],
      ['fd00::5', 443, '[fd00::5]_443'],
    ] as const) {
      expect(v3ListenerName(ip, port)).toBe(name);
      expect(parseV3ListenerName(name)).toEqual({ ip, port });
    }
    for (const name of [
      'virtualOutbound',
      '10.0.0.5_0',
      '10.0.0.5_080',
      '999.0.0.1_80',
      '[zz::1]_80',
      'a:80',
    ]) {
      expect(parseV3ListenerName(name)).toBeUndefined();
    }
  });
});
