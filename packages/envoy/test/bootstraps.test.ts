import { envoyV1Problems } from '@sextant/testkit/envoy-v1';
import {
  DEFAULT_V3_OPTIONS,
  envoyV1Bootstrap,
  envoyV1CommandLineFlags,
  envoyV3Bootstrap,
  grpcBootstrap,
  parseMessage,
  type BootstrapOptions,
} from '../src';
import { bootstrapType, unknownFields } from './bootstrap-proto';

/** The bootstraps `sextant bootstrap` prints, read as their clients read them. */

const SIDECAR: BootstrapOptions = {
  node: 'sidecar~10.0.1.11~reviews-v1.default~default.svc.cluster.local',
  cluster: 'reviews',
  locality: { region: 'us-east1', zone: 'us-east1-b', subZone: 'rack-7' },
  server: { host: 'sextant.service.dc1.consul', port: 15010 },
};

describe('the Envoy v3 ADS bootstrap', () => {
  it.each([
    ['a host name', SIDECAR],
    ['an IP and no cluster or locality', { node: 'edge', server: { host: '10.0.0.2', port: 15010 } }],
    ['an IPv6 address', { node: 'edge', server: { host: '::1', port: 15010 } }],
  ])('with %s is a valid Bootstrap with no unknown fields', (_, options) => {
    const json = envoyV3Bootstrap(options);
    const type = bootstrapType();
    expect(() => parseMessage(type, json)).not.toThrow();
    expect(unknownFields(type, json)).toEqual([]);
    // What Envoy would read back is what was written: nothing was dropped on the way.
    const message = type.fromObject(parseMessage(type, json));
    const node = type.toObject(message).node as { id: string };
    expect(node.id).toBe(options.node);
  });

  it('gets everything over one ADS stream to a static HTTP/2 cluster of the name Sextant`s resources use', () => {
    const json = envoyV3Bootstrap(SIDECAR) as {
      node: object;
      dynamic_resources: Record<string, { ads?: object; api_type?: string; grpc_services?: object[] }>;
      static_resources: { clusters: Record<string, unknown>[] };
    };
    const cluster = DEFAULT_V3_OPTIONS.xdsClusterName;
    expect(json.node).toEqual({
      id: SIDECAR.node,
      cluster: 'reviews',
      locality: { region: 'us-east1', zone: 'us-east1-b', sub_zone: 'rack-7' },
    });
    expect(json.dynamic_resources.ads_config).toMatchObject({
      api_type: 'GRPC',
      transport_api_version: 'V3',
      grpc_services: [{ envoy_grpc: { cluster_name: cluster } }],
    });
    expect(json.dynamic_resources.cds_config).toEqual({ ads: {}, resource_api_version: 'V3' });
    expect(json.dynamic_resources.lds_config).toEqual({ ads: {}, resource_api_version: 'V3' });
    const [xds] = json.static_resources.clusters;
    expect(xds).toMatchObject({ name: cluster, type: 'STRICT_DNS' });
    expect(JSON.stringify(xds)).toContain('"http2_protocol_options":{}');
    expect(JSON.stringify(xds)).toContain('"address":"sextant.service.dc1.consul","port_value":15010');
    const byIp = envoyV3Bootstrap({ ...SIDECAR, server: { host: '10.0.0.2', port: 15010 } });
    expect((byIp as typeof json).static_resources.clusters[0]).toMatchObject({ type: 'STATIC' });
  });

  it('would be refused by Envoy with a misspelt field (the check above can fail)', () => {
    const json = envoyV3Bootstrap(SIDECAR) as { dynamic_resources: Record<string, unknown> };
    json.dynamic_resources.cds_confg = json.dynamic_resources.cds_config;
    expect(unknownFields(bootstrapType(), json)).toEqual(['dynamic_resources.cds_confg']);
  });
});

describe('the Envoy v1 bootstrap', () => {
  const v1 = { ...SIDECAR, server: { host: 'sextant.service.dc1.consul', port: 15003 } };

  it('has clusters Envoy v1`s cluster schema accepts, all polling Sextant`s discovery listener', () => {
    const json = envoyV1Bootstrap(v1) as {
      lds: { cluster: string };
      cluster_manager: {
        clusters: { name: string; hosts: { url: string }[] }[];
        sds: { cluster: { name: string; hosts: { url: string }[] } };
        cds: { cluster: { name: string; hosts: { url: string }[] } };
      };
    };
    const { clusters, sds, cds } = json.cluster_manager;
    const all = [...clusters, sds.cluster, cds.cluster];
    expect(envoyV1Problems('cds', { clusters: all })).toEqual([]);
    expect(all.map((c) => c.name).sort()).toEqual(['cds', 'lds', 'rds', 'sds']);
    expect(new Set(all.flatMap((c) => c.hosts.map((h) => h.url)))).toEqual(
      new Set(['tcp://sextant.service.dc1.consul:15003']),
    );
    expect(json.lds.cluster).toBe('lds');
  });

  it('leaves node, cluster and zone to Envoy`s command line', () => {
    expect(JSON.stringify(envoyV1Bootstrap(v1))).not.toContain(SIDECAR.node);
    expect(envoyV1CommandLineFlags(v1)).toEqual([
      `--service-node ${SIDECAR.node}`,
      '--service-cluster reviews',
      '--service-zone us-east1-b',
    ]);
  });
});

describe('the gRPC xDS bootstrap', () => {
  it('names Sextant`s xDS server for v3 and a node with a locality (empty when none is given)', () => {
    expect(grpcBootstrap({ node: 'n1', server: { host: '127.0.0.1', port: 15010 } })).toEqual({
      xds_servers: [
        { server_uri: '127.0.0.1:15010', channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] },
      ],
      node: { id: 'n1', locality: {} },
      server_listener_resource_name_template: 'grpc/server?xds.resource.listening_address=%s',
    });
    const node = (grpcBootstrap(SIDECAR) as { node: object }).node;
    expect(node).toEqual({
      id: SIDECAR.node,
      cluster: 'reviews',
      locality: { region: 'us-east1', zone: 'us-east1-b', sub_zone: 'rack-7' },
    });
    // The node is an envoy.config.core.v3.Node in proto3 JSON, as gRPC sends it.
    const type = bootstrapType().root.lookupType('envoy.config.core.v3.Node');
    expect(unknownFields(type, node)).toEqual([]);
  });

  it('names the server listener template an XdsServer (gRFC A36) fetches its listener by, as grpc-js-xds reads it', () => {
    const json = grpcBootstrap({ node: 'n1', server: { host: '127.0.0.1', port: 15010 } });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { validateBootstrapConfig } = require('@grpc/grpc-js-xds/build/src/xds-bootstrap') as {
      validateBootstrapConfig(obj: unknown): { serverListenerResourceNameTemplate: string | null };
    };
    expect(validateBootstrapConfig(json).serverListenerResourceNameTemplate).toBe(
      'grpc/server?xds.resource.listening_address=%s',
    );
  });

  it('brackets an IPv6 server address', () => {
    const json = grpcBootstrap({ node: 'n1', server: { host: '::1', port: 15010 } }) as {
      xds_servers: { server_uri: string }[];
    };
    expect(json.xds_servers[0]?.server_uri).toBe('[::1]:15010');
  });

  it('with mtls, has the file_watcher certificate provider the ISTIO_MUTUAL clusters name, as grpc-js-xds reads it', () => {
    const json = grpcBootstrap({
      node: 'n1',
      server: { host: '127.0.0.1', port: 15010 },
      mtls: { certsDir: '/var/run/sextant' },
    });
    expect(json.certificate_providers).toEqual({
      default: {
        plugin_name: 'file_watcher',
        config: {
          certificate_file: '/var/run/sextant/cert-chain.pem',
          private_key_file: '/var/run/sextant/key.pem',
          ca_certificate_file: '/var/run/sextant/root-cert.pem',
          refresh_interval: '60s',
        },
      },
    });
    // The client's own bootstrap validation (it throws on a bad provider) keeps the instance.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { validateBootstrapConfig } = require('@grpc/grpc-js-xds/build/src/xds-bootstrap') as {
      validateBootstrapConfig(obj: unknown): { certificateProviders: Record<string, unknown> };
    };
    expect(Object.keys(validateBootstrapConfig(json).certificateProviders)).toEqual(['default']);
    expect(grpcBootstrap({ node: 'n1', server: { host: '127.0.0.1', port: 1 } })).not.toHaveProperty(
      'certificate_providers',
    );
  });
});
