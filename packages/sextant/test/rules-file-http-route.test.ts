import fs from 'node:fs';
import path from 'node:path';
import {
  parseProxyIdentity,
  readRuleDocuments,
  Registry,
  silentLogger,
  type HostedInstanceInput,
  type ServiceInput,
} from '@sextant/core';
import { Renderer, ROUTE_TYPE } from '@sextant/envoy';
import { waitFor } from '@sextant/testkit';
import { distribution, simulateV3, type SimOutcome } from '@sextant/testkit/routing';
import { RuleFiles, RULES_FILE_SIZE_LIMIT } from '../src/rules/rule-files';
import { tempDir } from './daemon-process';

// A Gateway API HTTPRoute in a rules file, read as the daemon reads rules files, rendered for a
// v3 sidecar and stated as routing outcomes.

const NS = 'default.svc.cluster.local';
const SIDECAR = parseProxyIdentity(`sidecar~10.0.0.9~client-1.default~${NS}`);
const PORT = 9080;

function service(name: string): ServiceInput {
  return { hostname: `${name}.${NS}`, ports: [{ name: 'http', port: PORT, protocol: 'http' }] };
}

function instance(name: string, address: string): HostedInstanceInput {
  return { hostname: `${name}.${NS}`, address, port: PORT, portName: 'http', labels: {} };
}

const HTTP_ROUTE = [
  'apiVersion: gateway.networking.k8s.io/v1',
  'kind: HTTPRoute',
  'metadata: { name: reviews, namespace: default }',
  'spec:',
  '  parentRefs: [{ group: "", kind: Service, name: reviews, port: 9080 }]',
  '  rules:',
  '    - matches: [{ headers: [{ name: x-canary, value: "yes" }] }]',
  '      backendRefs: [{ name: reviews-v2, port: 9080 }]',
  '    - matches: [{ path: { type: PathPrefix, value: /api } }]',
  '      backendRefs: [{ name: reviews-v1, port: 9080, weight: 4 }, { name: reviews-v2, port: 9080 }]',
  '',
].join('\n');

describe('a rules file holding an HTTPRoute', () => {
  let files: RuleFiles | undefined;
  afterEach(async () => {
    await files?.stop();
  });

  it('is read, applied to the Service, and routes v3 sidecars by it', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'routes.yaml'), HTTP_ROUTE);
    const registry = new Registry({ adapters: ['files'] });
    registry.sink('files').replaceAll({
      services: ['reviews', 'reviews-v1', 'reviews-v2'].map(service),
      instances: [
        instance('reviews', '10.0.1.1'),
        instance('reviews', '10.0.1.2'),
        instance('reviews-v1', '10.0.1.1'),
        instance('reviews-v2', '10.0.1.2'),
      ],
    });
    registry.sink('files').setStatus('ready');
    files = new RuleFiles((file) => registry.ruleSink(file), {
      patterns: ['routes.yaml'],
      baseDir: dir,
      pollIntervalMs: 60_000,
      sizeLimit: RULES_FILE_SIZE_LIMIT,
      read: readRuleDocuments,
      logger: silentLogger,
    });
    await files.start();
    await waitFor(
      () => {
        registry.flush();
        return registry.ruleStatuses().rules.some((rule) => rule.identity.kind === 'HTTPRoute');
      },
      { timeoutMs: 10_000, message: 'the HTTPRoute was never reported' },
    );
    const [status] = registry.ruleStatuses().rules;
    expect(status).toMatchObject({ state: 'applied', identity: { kind: 'HTTPRoute', name: 'reviews' } });
    expect(status?.problems).toEqual([]);

    const snapshot = registry.current();
    if (!snapshot) throw new Error('the mesh did not sync');
    const renderer = new Renderer({});
    const routes = renderer.v3
      .resourceSet(snapshot, ROUTE_TYPE, { proxy: SIDECAR, kind: 'ads', target: 'v3' })
      .get(String(PORT));
    if (!routes) throw new Error(`no route configuration ${PORT}`);
    const table = JSON.parse(routes.json()) as Record<string, unknown>;
    const through = (path: string, headers: Record<string, string> = {}): SimOutcome =>
      simulateV3(table, { authority: `reviews:${PORT}`, path, headers });
    const v1 = `outbound|${PORT}||reviews-v1.${NS}`;
    const v2 = `outbound|${PORT}||reviews-v2.${NS}`;
    expect(distribution(through('/other', { 'x-canary': 'yes' }))).toEqual({ [v2]: 1 });
    expect(distribution(through('/api/ratings'))).toEqual({ [v1]: 0.8, [v2]: 0.2 });
    expect(through('/apis').kind).toBe('no-route');
    expect(through('/').kind).toBe('no-route');
  });
});
