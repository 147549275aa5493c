import { host, REVIEWS_V2, RulesMesh, v1Cluster, yaml } from './rules-v1-mesh';

/**
 * Mesh mTLS for Envoy v1 sidecars: `ssl_context` on clusters (DestinationRule tls) and on inbound
 * listeners (PeerAuthentication STRICT), with the workload's files in the certificates
 * directory; what v1 cannot say is an error (or warning) for v1. Every answer passes Envoy v1's
 * schema checks (rules-v1-mesh.ts).
 */

let mesh: RulesMesh;
beforeEach(() => {
  mesh = new RulesMesh();
});
afterEach(() => mesh.close());

const CERTS = '/etc/sextant/certs';

function peer(namespace: string, mode: string): string {
  return yaml(
    'apiVersion: security.istio.io/v1beta1',
    'kind: PeerAuthentication',
    `metadata: { name: default, namespace: ${namespace} }`,
    'spec:',
    `  mtls: { mode: ${mode} }`,
  );
}

function ratingsTls(...tls: string[]): string {
  return yaml(
    'apiVersion: networking.istio.io/v1',
    'kind: DestinationRule',
    'metadata: { name: ratings }',
    'spec:',
    '  host: ratings',
    '  trafficPolicy:',
    '    tls:',
    ...tls.map((line) => `      ${line}`),
    '  subsets:',
    '  - { name: v1, labels: { version: v1 }, trafficPolicy: { tls: { mode: DISABLE } } }',
  );
}

/** Reviews v2's inbound listener on its own IP. */
function inbound() {
  const listener = mesh.v1(REVIEWS_V2).lds.listeners.find((l) => l.address === 'tcp://10.0.1.2:9080');
  if (!listener) throw new Error('no inbound listener');
  return listener;
}

describe('PeerAuthentication on v1 inbound listeners', () => {
  it('STRICT: the listener terminates TLS and requires a client certificate the mesh roots verify', () => {
    expect(mesh.apply(peer('istio-system', 'STRICT')).filter((p) => p.severity === 'error')).toEqual([]);
    expect(inbound().ssl_context).toEqual({
      cert_chain_file: `${CERTS}/cert-chain.pem`,
      private_key_file: `${CERTS}/key.pem`,
      ca_cert_file: `${CERTS}/root-cert.pem`,
      require_client_certificate: true,
    });
  });

  it('PERMISSIVE cannot be said on a v1 listener: plain text, and an error for v1', () => {
    mesh.apply(peer('default', 'PERMISSIVE'));
    expect(inbound().ssl_context).toBeUndefined();
    expect(mesh.problemsFor('v1').map((p) => `${p.path}: ${p.message}`)).toEqual([
      'spec.mtls.mode: Envoy v1 listeners cannot take both mTLS and plain text on one port: PERMISSIVE ports stay plain text for v1 sidecars',
    ]);
  });

  it('DISABLE, or none: plain text', () => {
    expect(inbound().ssl_context).toBeUndefined();
    mesh.apply(peer('istio-system', 'DISABLE'));
    expect(inbound().ssl_context).toBeUndefined();
  });
});

describe('DestinationRule tls on v1 clusters', () => {
  it('ISTIO_MUTUAL: the workload files; the names written are checked; a subset can turn it off', () => {
    mesh.apply(
      ratingsTls('mode: ISTIO_MUTUAL', 'subjectAltNames: [spiffe://cluster.local/ns/default/sa/ratings]'),
    );
    const proxy = mesh.v1();
    expect(proxy.cluster(v1Cluster('ratings'))?.ssl_context).toEqual({
      cert_chain_file: `${CERTS}/cert-chain.pem`,
      private_key_file: `${CERTS}/key.pem`,
      ca_cert_file: `${CERTS}/root-cert.pem`,
      verify_subject_alt_name: ['spiffe://cluster.local/ns/default/sa/ratings'],
    });
    expect(proxy.cluster(v1Cluster('ratings', 'version=v1'))?.ssl_context).toBeUndefined();
    expect(proxy.cluster(v1Cluster('reviews'))?.ssl_context).toBeUndefined();
    expect(mesh.problemsFor('v1')).toEqual([]);
  });

  it('ISTIO_MUTUAL without names: sent, with a v1 warning that the identity is not checked', () => {
    mesh.apply(ratingsTls('mode: ISTIO_MUTUAL'));
    expect(mesh.v1().cluster(v1Cluster('ratings'))?.ssl_context).not.toHaveProperty(
      'verify_subject_alt_name',
    );
    expect(mesh.problemsFor('v1').map((p) => `${p.severity} ${p.code}`)).toEqual(['warning lossy']);
  });

  it('MUTUAL: the files written, SNI and the names', () => {
    mesh.apply(
      ratingsTls(
        'mode: MUTUAL',
        'clientCertificate: /certs/client.pem',
        'privateKey: /certs/client.key',
        'caCertificates: /certs/ca.pem',
        'subjectAltNames: [ratings.example.com]',
        'sni: ratings.example.com',
      ),
    );
    expect(mesh.v1().cluster(v1Cluster('ratings'))?.ssl_context).toEqual({
      cert_chain_file: '/certs/client.pem',
      private_key_file: '/certs/client.key',
      ca_cert_file: '/certs/ca.pem',
      verify_subject_alt_name: ['ratings.example.com'],
      sni: 'ratings.example.com',
    });
    expect(host('ratings')).toBe('ratings.default.svc.cluster.local');
  });
});
