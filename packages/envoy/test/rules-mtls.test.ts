import { parseProxyIdentity } from '@sextant/core';
import {
  checked,
  cluster,
  destinationRule,
  GREETER,
  GREETER_PORT,
  managers,
  meshWith,
  NS,
  PRODUCTPAGE_SIDECAR,
  RATINGS,
  REVIEWS,
  REVIEWS_V2_SIDECAR,
  rules,
  versions,
  type Json,
  type Rendered,
} from './rules-mesh';
import { SERVER_LISTENER_RESOURCE_NAME_TEMPLATE, workloadSdsFiles } from '../src';
import { pgvViolations } from './v3-pgv';

/**
 * Mesh mTLS on v3 Envoys and proxyless gRPC clients: PeerAuthentication decides how a sidecar's
 * inbound listeners take connections, a DestinationRule's tls how its clusters originate them.
 * Every resource is checked as its client decodes it (protos, protoc-gen-validate, round trip).
 */

const DOWNSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
const UPSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const CERTS = '/etc/sextant/certs';

function peerAuthentication(namespace: string, name: string, spec: object): object {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name, namespace },
    spec,
  };
}

const meshWide = (mode: string) => peerAuthentication('istio-system', 'default', { mtls: { mode } });

/** Reviews v2's inbound listener on 9080 (its own IP). */
function inbound(rendered: Rendered, proxy = REVIEWS_V2_SIDECAR): Json {
  const listener = rendered
    .everything(proxy, 'v3')
    .listeners.find((l) => l.name === `${proxy.ip ?? ''}_9080`);
  if (!listener) throw new Error('no inbound listener');
  return listener;
}

interface Chain {
  filter_chain_match?: { transport_protocol?: string };
  transport_socket?: { typed_config: Json };
  filters: unknown[];
}

/** How each filter chain takes connections: `mtls` (client certificate required), `plain`, by transport. */
function chains(listener: Json): string[] {
  return (listener.filter_chains as Chain[]).map((chain) => {
    const match = chain.filter_chain_match?.transport_protocol;
    const tls = chain.transport_socket?.typed_config;
    let kind = 'plain';
    if (tls) {
      expect(tls['@type']).toBe(DOWNSTREAM_TLS);
      kind = (tls.require_client_certificate as boolean | undefined) ? 'mtls' : 'tls';
    }
    return match ? `${match}:${kind}` : kind;
  });
}

function listenerFilters(listener: Json): string[] {
  return ((listener.listener_filters ?? []) as { name: string }[]).map((f) => f.name);
}

describe('PeerAuthentication on v3 inbound listeners', () => {
  it('STRICT: one chain that requires a client certificate the mesh roots verify, secrets by file SDS', () => {
    const listener = inbound(meshWith(rules(meshWide('STRICT'))).render());
    expect(chains(listener)).toEqual(['mtls']);
    const context = (listener.filter_chains as Chain[])[0]?.transport_socket?.typed_config;
    expect(context?.common_tls_context).toEqual({
      tls_certificate_sds_secret_configs: [
        {
          name: 'default',
          sds_config: {
            path_config_source: {
              path: `${CERTS}/default.sds.json`,
              watched_directory: { path: CERTS },
            },
            resource_api_version: 'V3',
          },
        },
      ],
      validation_context_sds_secret_config: {
        name: 'ROOTCA',
        sds_config: {
          path_config_source: { path: `${CERTS}/rootca.sds.json`, watched_directory: { path: CERTS } },
          resource_api_version: 'V3',
        },
      },
    });
    expect(listenerFilters(listener)).toEqual([]);
  });

  it('PERMISSIVE: the TLS inspector, an mTLS chain for TLS connections and a plain chain for the rest', () => {
    const listener = inbound(meshWith(rules(meshWide('PERMISSIVE'))).render());
    expect(listenerFilters(listener)).toEqual(['envoy.filters.listener.tls_inspector']);
    expect(chains(listener)).toEqual(['tls:mtls', 'raw_buffer:plain']);
  });

  it('DISABLE, or no PeerAuthentication at all: plain text only', () => {
    expect(chains(inbound(meshWith(rules(meshWide('DISABLE'))).render()))).toEqual(['plain']);
    expect(chains(inbound(meshWith(rules()).render()))).toEqual(['plain']);
    expect(chains(inbound(meshWith(rules(meshWide('UNSET'))).render()))).toEqual(['plain']);
  });

  it('takes the workload policy over the namespace policy over the mesh policy, and port-level modes first', () => {
    const mesh = meshWith(
      rules(
        meshWide('STRICT'),
        peerAuthentication('default', 'default', { mtls: { mode: 'PERMISSIVE' } }),
        peerAuthentication('default', 'reviews', {
          selector: { matchLabels: { app: 'reviews' } },
          mtls: { mode: 'STRICT' },
          portLevelMtls: { 9080: { mode: 'DISABLE' } },
        }),
        peerAuthentication('default', 'productpage', {
          selector: { matchLabels: { app: 'productpage' } },
          mtls: { mode: 'UNSET' },
        }),
      ),
    );
    const rendered = mesh.render();
    // reviews: its own policy, with the port's override.
    expect(chains(inbound(rendered, REVIEWS_V2_SIDECAR))).toEqual(['plain']);
    // productpage: its policy says UNSET, so the namespace's.
    expect(chains(inbound(rendered, PRODUCTPAGE_SIDECAR))).toEqual(['tls:mtls', 'raw_buffer:plain']);
    // Without the namespace's policy, the mesh's.
    mesh.setRules(
      rules(
        meshWide('STRICT'),
        peerAuthentication('default', 'reviews', {
          selector: { matchLabels: { app: 'reviews' } },
          portLevelMtls: { 9080: { mode: 'PERMISSIVE' } },
        }),
      ),
    );
    const after = mesh.render();
    expect(chains(inbound(after, PRODUCTPAGE_SIDECAR))).toEqual(['mtls']);
    expect(chains(inbound(after, REVIEWS_V2_SIDECAR))).toEqual(['tls:mtls', 'raw_buffer:plain']);
    // A policy of another namespace selects nothing here.
    mesh.setRules(rules(peerAuthentication('other', 'default', { mtls: { mode: 'STRICT' } })));
    expect(chains(inbound(mesh.render(), REVIEWS_V2_SIDECAR))).toEqual(['plain']);
  });

  it('serves the change to a proxy already subscribed: a new version of its inbound listener', () => {
    const mesh = meshWith(rules());
    const before = inbound(mesh.render());
    mesh.setRules(rules(meshWide('STRICT')));
    expect(chains(before)).toEqual(['plain']);
    expect(chains(inbound(mesh.render()))).toEqual(['mtls']);
  });
});

interface TlsCluster {
  transport_socket?: { name: string; typed_config: Json };
}

function upstream(c: Json): Json | undefined {
  const socket = (c as TlsCluster).transport_socket;
  if (!socket) return undefined;
  expect(socket.name).toBe('envoy.transport_sockets.tls');
  expect(socket.typed_config['@type']).toBe(UPSTREAM_TLS);
  return socket.typed_config;
}

/** The SAN matchers a v3 cluster checks the server certificate with. */
function typedSans(context: Json | undefined): unknown {
  const common = context?.common_tls_context as Json;
  const combined = common.combined_validation_context as { default_validation_context: Json } | undefined;
  const validation = combined?.default_validation_context ?? (common.validation_context as Json);
  return validation.match_typed_subject_alt_names;
}

describe('DestinationRule tls on v3 clusters', () => {
  it('ISTIO_MUTUAL: the workload certificate and mesh roots by file SDS, the destination namespace identities', () => {
    const rendered = meshWith(
      rules(versions(RATINGS, ['v1', 'v2'], { tls: { mode: 'ISTIO_MUTUAL' } })),
    ).render();
    const context = upstream(rendered.cluster(cluster(RATINGS)));
    const common = context?.common_tls_context as Json;
    expect(common.tls_certificate_sds_secret_configs).toEqual([expect.objectContaining({ name: 'default' })]);
    expect(common.combined_validation_context).toMatchObject({
      validation_context_sds_secret_config: { name: 'ROOTCA' },
    });
    expect(typedSans(context)).toEqual([
      { san_type: 'URI', matcher: { prefix: 'spiffe://cluster.local/ns/default/sa/' } },
    ]);
    // Subsets inherit the host's tls; other hosts stay plain text.
    expect(upstream(rendered.cluster(cluster(RATINGS, 'v2')))).toBeDefined();
    expect(upstream(rendered.cluster(cluster(REVIEWS)))).toBeUndefined();
  });

  it('matches the subjectAltNames written, and follows subset and port-level overrides', () => {
    const rendered = meshWith(
      rules(
        destinationRule('ratings', {
          host: RATINGS,
          trafficPolicy: {
            tls: { mode: 'ISTIO_MUTUAL', subjectAltNames: ['spiffe://cluster.local/ns/default/sa/ratings'] },
          },
          subsets: [
            { name: 'v1', labels: { version: 'v1' }, trafficPolicy: { tls: { mode: 'DISABLE' } } },
            { name: 'v2', labels: { version: 'v2' } },
          ],
        }),
        destinationRule('reviews', {
          host: REVIEWS,
          trafficPolicy: { portLevelSettings: [{ port: { number: 9080 }, tls: { mode: 'ISTIO_MUTUAL' } }] },
        }),
      ),
    ).render();
    expect(typedSans(upstream(rendered.cluster(cluster(RATINGS))))).toEqual([
      { san_type: 'URI', matcher: { exact: 'spiffe://cluster.local/ns/default/sa/ratings' } },
    ]);
    expect(upstream(rendered.cluster(cluster(RATINGS, 'v1')))).toBeUndefined();
    expect(upstream(rendered.cluster(cluster(RATINGS, 'v2')))).toBeDefined();
    expect(upstream(rendered.cluster(cluster(REVIEWS)))).toBeDefined();
  });

  it('MUTUAL and SIMPLE: the files written, SNI and names checked against the CA given', () => {
    const rendered = meshWith(
      rules(
        destinationRule('ratings', {
          host: RATINGS,
          trafficPolicy: {
            tls: {
              mode: 'MUTUAL',
              clientCertificate: '/certs/client.pem',
              privateKey: '/certs/client.key',
              caCertificates: '/certs/ca.pem',
              subjectAltNames: ['ratings.example.com'],
              sni: 'ratings.example.com',
            },
          },
        }),
        destinationRule('reviews', {
          host: REVIEWS,
          trafficPolicy: { tls: { mode: 'SIMPLE', caCertificates: '/certs/ca.pem' } },
        }),
      ),
    ).render();
    expect(upstream(rendered.cluster(cluster(RATINGS)))).toEqual({
      '@type': UPSTREAM_TLS,
      common_tls_context: {
        tls_certificates: [
          {
            certificate_chain: { filename: '/certs/client.pem' },
            private_key: { filename: '/certs/client.key' },
          },
        ],
        validation_context: {
          trusted_ca: { filename: '/certs/ca.pem' },
          match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'ratings.example.com' } }],
        },
      },
      sni: 'ratings.example.com',
    });
    expect(upstream(rendered.cluster(cluster(REVIEWS)))).toEqual({
      '@type': UPSTREAM_TLS,
      common_tls_context: { validation_context: { trusted_ca: { filename: '/certs/ca.pem' } } },
    });
  });
});

describe('DestinationRule tls for proxyless gRPC clients (gRFC A29)', () => {
  it('ISTIO_MUTUAL: the bootstrap certificate provider instance for identity and roots, SAN matchers', () => {
    const rendered = meshWith(
      rules(versions(GREETER, ['v1', 'v2'], { tls: { mode: 'ISTIO_MUTUAL' } })),
    ).render();
    const context = upstream(rendered.cluster(cluster(GREETER, 'v1'), undefined, 'grpc'));
    expect(context?.common_tls_context).toEqual({
      tls_certificate_provider_instance: { instance_name: 'default' },
      validation_context: {
        ca_certificate_provider_instance: { instance_name: 'default' },
        match_subject_alt_names: [{ prefix: 'spiffe://cluster.local/ns/default/sa/' }],
      },
    });
  });

  it('MUTUAL and SIMPLE with files: nothing a gRPC client can use, so plain text (grpc-limits says so)', () => {
    const rendered = meshWith(
      rules(versions(GREETER, ['v1'], { tls: { mode: 'SIMPLE', caCertificates: '/certs/ca.pem' } })),
    ).render();
    expect(upstream(rendered.cluster(cluster(GREETER, 'v1'), undefined, 'grpc'))).toBeUndefined();
  });
});

/** Greeter v1's proxyless gRPC server (an XdsServer), at its instance's address. */
const GREETER_SERVER = parseProxyIdentity(`sidecar~10.0.5.51~greeter-v1-4f2a.default~${NS}`);

const serverName = (address: string) => SERVER_LISTENER_RESOURCE_NAME_TEMPLATE.replace('%s', address);

/** What an XdsServer bound to `address` gets, checked by protos and by grpc-js-xds's own validation. */
function serverListener(rendered: Rendered, address: string, server = GREETER_SERVER): Json {
  const resource = rendered.grpcServerListener(serverName(address), server);
  if (!resource) throw new Error(`no server listener for ${address}`);
  const json = checked(resource);
  const { ListenerResourceType } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@grpc/grpc-js-xds/build/src/xds-resource-type/listener-resource-type') as {
      ListenerResourceType: {
        get(): { decode(context: object, any: object): { value: unknown } };
      };
    };
  // What grpc-js-xds checks a server listener with: its bootstrap has the `default` provider.
  const context = { bootstrap: { certificateProviders: { default: {} } } };
  const any = { type_url: resource.typeUrl, value: Buffer.from(resource.bytes) };
  expect(() => ListenerResourceType.get().decode(context, any)).not.toThrow();
  return json;
}

describe('PeerAuthentication on proxyless gRPC servers (gRFC A36)', () => {
  const greeterStrict = peerAuthentication('default', 'greeter', {
    selector: { matchLabels: { app: 'greeter' } },
    mtls: { mode: 'STRICT' },
  });

  it('STRICT: the bound address back, a non-forwarding route, and mTLS from the certificate provider instance', () => {
    const listener = serverListener(meshWith(rules(greeterStrict)).render(), `10.0.5.51:${GREETER_PORT}`);
    expect(listener.name).toBe(`grpc/server?xds.resource.listening_address=10.0.5.51:${GREETER_PORT}`);
    expect(listener.address).toEqual({ socket_address: { address: '10.0.5.51', port_value: GREETER_PORT } });
    expect(chains(listener)).toEqual(['mtls']);
    const [chain] = listener.filter_chains as Chain[];
    expect(chain?.transport_socket?.typed_config.common_tls_context).toEqual({
      tls_certificate_provider_instance: { instance_name: 'default' },
      validation_context: { ca_certificate_provider_instance: { instance_name: 'default' } },
    });
    const [manager] = managers(listener);
    const routes = manager?.route_config as {
      name: string;
      virtual_hosts: { domains: string[]; routes: Json[] }[];
    };
    // Named by mode: grpc-js-xds must see the filters differ when the mode changes (see serverListener).
    expect(routes.name).toBe(`inbound|${GREETER_PORT}|mtls`);
    expect(routes.virtual_hosts).toEqual([
      { name: 'inbound', domains: ['*'], routes: [{ match: { prefix: '' }, non_forwarding_action: {} }] },
    ]);
    expect((manager?.http_filters as { name: string }[]).map((f) => f.name)).toEqual([
      'envoy.filters.http.router',
    ]);
  });

  it('DISABLE, PERMISSIVE (gRPC cannot choose a chain by transport) or no policy: plain text', () => {
    const address = `10.0.5.51:${GREETER_PORT}`;
    expect(chains(serverListener(meshWith(rules(meshWide('DISABLE'))).render(), address))).toEqual(['plain']);
    expect(chains(serverListener(meshWith(rules(meshWide('PERMISSIVE'))).render(), address))).toEqual([
      'plain',
    ]);
    const plain = serverListener(meshWith(rules()).render(), address);
    expect(chains(plain)).toEqual(['plain']);
    expect(managers(plain)[0]?.route_config).toMatchObject({ name: `inbound|${GREETER_PORT}|plaintext` });
  });

  it('resolves the workload at the address: its labels, port-level modes, and the server`s own IP for a wildcard', () => {
    const rendered = meshWith(
      rules(
        peerAuthentication('default', 'greeter', {
          selector: { matchLabels: { version: 'v1' } },
          mtls: { mode: 'STRICT' },
          portLevelMtls: { 50052: { mode: 'DISABLE' } },
        }),
      ),
    ).render();
    expect(chains(serverListener(rendered, `10.0.5.51:${GREETER_PORT}`))).toEqual(['mtls']);
    // Greeter v2 is not selected.
    const v2 = parseProxyIdentity(`sidecar~10.0.5.52~greeter-v2-9c1d.default~${NS}`);
    expect(chains(serverListener(rendered, `10.0.5.52:${GREETER_PORT}`, v2))).toEqual(['plain']);
    // Bound to every address: the instance at the server's own IP decides.
    const wildcard = serverListener(rendered, `0.0.0.0:${GREETER_PORT}`);
    expect(wildcard.address).toEqual({ socket_address: { address: '0.0.0.0', port_value: GREETER_PORT } });
    expect(chains(wildcard)).toEqual(['mtls']);
    expect(chains(serverListener(rendered, `[::]:${GREETER_PORT}`))).toEqual(['mtls']);
    expect(chains(serverListener(rendered, `0.0.0.0:${GREETER_PORT}`, v2))).toEqual(['plain']);
  });

  it('an address where no instance listens, or not the server`s own, takes no policy: plain text', () => {
    const rendered = meshWith(rules(meshWide('STRICT'))).render();
    expect(chains(serverListener(rendered, `10.0.5.51:${GREETER_PORT}`))).toEqual(['mtls']);
    expect(chains(serverListener(rendered, `10.9.9.9:${GREETER_PORT}`))).toEqual(['plain']);
    // Another workload's address: not this server's to serve (its node id names its IP).
    expect(chains(serverListener(rendered, `10.0.5.52:${GREETER_PORT}`))).toEqual(['plain']);
    // A node that is no sidecar runs no workload of its own.
    const router = parseProxyIdentity(`router~10.0.5.51~greeter-v1-4f2a.default~${NS}`);
    expect(chains(serverListener(rendered, `10.0.5.51:${GREETER_PORT}`, router))).toEqual(['plain']);
    expect(chains(serverListener(rendered, '10.0.5.51:7070'))).toEqual(['plain']);
    expect(chains(serverListener(rendered, '[fd00::1]:7070'))).toEqual(['plain']);
  });

  it('serves nothing for names that are no IP:port', () => {
    const rendered = meshWith(rules(meshWide('STRICT'))).render();
    for (const address of [
      '10.0.5.51',
      '10.0.5.51:0',
      '10.0.5.51:65536',
      'greeter:50051',
      '::1:50051',
      '[10.0.5.51]:50051',
      '10.0.5.51:50051x',
    ]) {
      expect(rendered.grpcServerListener(serverName(address), GREETER_SERVER)).toBeUndefined();
    }
  });

  it('serves the change to a server already subscribed: a new version of its listener', () => {
    const mesh = meshWith(rules());
    const address = `10.0.5.51:${GREETER_PORT}`;
    const before = mesh.render().grpcServerListener(serverName(address), GREETER_SERVER);
    mesh.setRules(rules(greeterStrict));
    const after = mesh.render().grpcServerListener(serverName(address), GREETER_SERVER);
    expect(after?.version).not.toBe(before?.version);
    expect(chains(serverListener(mesh.render(), address))).toEqual(['mtls']);
  });
});

describe('the SDS files of a workload', () => {
  it('are DiscoveryResponses of Secrets that Envoy accepts, naming the agent-written PEM files', () => {
    const files = workloadSdsFiles('/var/lib/certs');
    expect(Object.keys(files)).toEqual(['/var/lib/certs/default.sds.json', '/var/lib/certs/rootca.sds.json']);
    for (const file of Object.values(files)) {
      expect(pgvViolations('envoy.service.discovery.v3.DiscoveryResponse', file)).toEqual([]);
    }
    expect(files['/var/lib/certs/default.sds.json']).toEqual({
      resources: [
        {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
          name: 'default',
          tls_certificate: {
            certificate_chain: { filename: '/var/lib/certs/cert-chain.pem' },
            private_key: { filename: '/var/lib/certs/key.pem' },
            watched_directory: { path: '/var/lib/certs' },
          },
        },
      ],
    });
  });
});
