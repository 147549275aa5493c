import path from 'node:path';

/** The built-in example config, run when `sextant` is started without --config. */
export function quickstartConfigPath(): string {
  return require.resolve('@sextant/example-quickstart/sextant.yaml');
}

/** What a new user can try against the quickstart daemon. */
export function quickstartBanner(configFile: string, bound: Record<string, string>): string {
  const discovery = `http://${bound.discovery ?? '127.0.0.1:15003'}`;
  const admin = `http://${bound.admin ?? '127.0.0.1:15000'}`;
  const node = 'sidecar~10.0.1.11~reviews-v1.default~default.svc.cluster.local';
  const services = path.join(path.dirname(configFile), 'services.yaml');
  return [
    '',
    'Sextant quickstart is running on its built-in example. Try:',
    `  curl ${discovery}/v1/registration`,
    `  curl '${discovery}/v1/registration/reviews.default.svc.cluster.local|http|version=v2'`,
    `  curl ${discovery}/v1/clusters/istio-proxy/${node}`,
    `  curl ${discovery}/v1/routes/9080/istio-proxy/${node}`,
    `  curl ${discovery}/v1/listeners/istio-proxy/${node}`,
    `  curl -X POST ${discovery}/v3/discovery:clusters -d '{"node":{"id":"${node}"}}'`,
    `  curl ${admin}/debug/registry`,
    `  curl ${admin}/debug/config/${node}`,
    `  curl ${admin}/debug/proxies`,
    `v3 xDS (gRPC, ADS) listens on ${bound.xds ?? '127.0.0.1:15010'}: see examples/quickstart/envoy-v3-ads.yaml.`,
    `Edit ${services} and the answers change within a second. Ctrl-C stops.`,
    '',
  ].join('\n');
}
