import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sea from 'node:sea';

/**
 * The built-in example (@sextant/example-quickstart): its config, the services file that config
 * reads, and the Envoy bootstraps the banner points at. The single-file binary embeds exactly these
 * (scripts/package.js reads this list).
 */
export const QUICKSTART_FILES = [
  'sextant.yaml',
  'services.yaml',
  'envoy-v1.json',
  'envoy-v3-ads.yaml',
  'envoy-v3-rest.yaml',
] as const;

/** The built-in example config, run when `sextant` is started without --config. */
export function quickstartConfigPath(): string {
  if (sea.isSea()) return path.join(unpackEmbeddedQuickstart(), 'sextant.yaml');
  return require.resolve('@sextant/example-quickstart/sextant.yaml');
}

/**
 * The single-file binary has no example on disk: it writes its embedded copy to a fresh directory
 * (editable while the daemon runs, as the banner says) and removes it when the process exits.
 */
function unpackEmbeddedQuickstart(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-quickstart-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  for (const name of QUICKSTART_FILES) {
    fs.writeFileSync(path.join(dir, name), sea.getAsset(`quickstart/${name}`, 'utf8'));
  }
  return dir;
}

/** What a new user can try against the quickstart daemon. */
export function quickstartBanner(configFile: string, bound: Record<string, string>): string {
  const discovery = `http://${bound.discovery ?? '127.0.0.1:15003'}`;
  const admin = `http://${bound.admin ?? '127.0.0.1:15000'}`;
  const node = 'sidecar~10.0.1.11~reviews-v1.default~default.svc.cluster.local';
  const dir = path.dirname(configFile);
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
    `v3 xDS (gRPC, ADS) listens on ${bound.xds ?? '127.0.0.1:15010'}: see ${path.join(dir, 'envoy-v3-ads.yaml')}.`,
    `Edit ${path.join(dir, 'services.yaml')} and the answers change within a second. Ctrl-C stops.`,
    '',
  ].join('\n');
}
