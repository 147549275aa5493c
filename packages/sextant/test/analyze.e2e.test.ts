import fs from 'node:fs';
import path from 'node:path';
import { RULE_PROBLEM_CODES } from '@sextant/core';
import { waitFor } from '@sextant/testkit';
import { runCli, startDaemon, tempDir, type DaemonProcess } from './daemon-process';

// `sextant analyze`, offline from a config and live from a running daemon's admin listener.

const SERVICES = [
  'services:',
  '  - hostname: reviews.default.svc.cluster.local',
  '    ports: [{ name: http, port: 9080 }]',
  '    instances:',
  '      - { address: 10.0.0.1, labels: { version: v1 }, health: unhealthy }',
  '      - { address: 10.0.0.2, labels: { version: v2 } }',
  '',
].join('\n');

const RULES = [
  'apiVersion: networking.istio.io/v1',
  'kind: DestinationRule',
  'metadata: { name: reviews }',
  'spec:',
  '  host: reviews',
  '  subsets:',
  '    - { name: v1, labels: { version: v1 } }',
  '    - { name: v2, labels: { version: v2 } }',
  '    - { name: v3, labels: { version: v3 } }',
  '---',
  'apiVersion: networking.istio.io/v1',
  'kind: VirtualService',
  'metadata: { name: reviews }',
  'spec:',
  '  hosts: [reviews]',
  '  http:',
  '    - route:',
  '        - { destination: { host: reviews, subset: v1 }, weight: 50 }',
  '        - { destination: { host: ratings }, weight: 50 }',
  '',
].join('\n');

function setup(): string {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'services.yaml'), SERVICES);
  fs.writeFileSync(path.join(dir, 'rules.yaml'), RULES);
  return dir;
}

const CONFIG = [
  'listen: { discovery: "${DISCOVERY}", admin: "${ADMIN}", xds: "127.0.0.1:0" }',
  'adapters:',
  '  - { type: file, path: services.yaml }',
  'rules: [rules.yaml]',
  '',
].join('\n');

interface Finding {
  severity: string;
  code: string;
  rule?: string;
  path?: string;
  location?: string;
  message: string;
}

describe('sextant analyze', () => {
  let daemon: DaemonProcess | undefined;
  afterAll(async () => {
    await daemon?.terminate();
  });

  it('reports mesh-level findings from a config with codes, rules and field paths; -o json; exit 1 on errors', async () => {
    const dir = setup();
    const config = path.join(dir, 'sextant.yaml');
    fs.writeFileSync(
      config,
      CONFIG.replace('${DISCOVERY}', '127.0.0.1:0').replace('${ADMIN}', '127.0.0.1:1'),
    );
    const text = await runCli(['analyze', '--config', config]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      'Error [unknown-host] VirtualService default/reviews spec.http[0].route[1].destination.host: no service or ServiceEntry has host ratings.default.svc.cluster.local',
    );
    expect(text.stdout).toMatch(
      /Warning \[empty-subset\] DestinationRule default\/reviews spec\.subsets\[2\]\.labels: subset v3/,
    );
    expect(text.stdout).toMatch(/1 error\(s\), \d+ warning\(s\)/);

    const json = await runCli(['analyze', '--config', config, '-o', 'json']);
    expect(json.code).toBe(1);
    const findings = JSON.parse(json.stdout) as Finding[];
    expect(findings).toContainEqual(
      expect.objectContaining({
        severity: 'error',
        code: 'unknown-host',
        rule: 'VirtualService default/reviews',
        path: 'spec.http[0].route[1].destination.host',
        location: expect.stringMatching(/rules\.yaml:19:\d+$/),
      }),
    );
  }, 60_000);

  it('covers Gateway API HTTPRoutes: findings name the HTTPRoute and its field paths', async () => {
    const dir = setup();
    fs.writeFileSync(
      path.join(dir, 'rules.yaml'),
      [
        'apiVersion: gateway.networking.k8s.io/v1',
        'kind: HTTPRoute',
        'metadata: { name: reviews }',
        'spec:',
        '  parentRefs: [{ group: "", kind: Service, name: reviews, port: 9080 }]',
        '  rules:',
        '    - backendRefs: [{ name: reviews, port: 9080 }, { name: ratings, port: 9080 }]',
        '',
      ].join('\n'),
    );
    const config = path.join(dir, 'sextant.yaml');
    fs.writeFileSync(
      config,
      CONFIG.replace('${DISCOVERY}', '127.0.0.1:0').replace('${ADMIN}', '127.0.0.1:1'),
    );
    const json = await runCli(['analyze', '--config', config, '-o', 'json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout) as Finding[]).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'unknown-host',
        rule: 'HTTPRoute default/reviews',
        path: 'spec.rules[0].backendRefs[1].name',
        location: expect.stringMatching(/rules\.yaml:7:\d+$/),
      }),
    ]);
  }, 60_000);

  it('reads a running daemon: its rules checked against the live mesh, unhealthy destinations included', async () => {
    const dir = setup();
    daemon = await startDaemon(dir, CONFIG);
    const admin = daemon.admin;
    await waitFor(async () => (await fetch(`${admin}/readyz`)).ok, {
      timeoutMs: 30_000,
      message: 'not ready',
    });
    const { code, stdout } = await runCli(['analyze', '--admin', admin, '-o', 'json']);
    expect(code).toBe(1);
    const findings = JSON.parse(stdout) as Finding[];
    // What only the live mesh knows: every instance of subset v1 is unhealthy now.
    expect(findings.map((f) => f.code)).toEqual(
      expect.arrayContaining(['empty-subset', 'unknown-host', 'no-healthy-endpoints']),
    );

    // Fix the rule: warnings are left, and analyze passes.
    fs.writeFileSync(
      path.join(dir, 'rules.yaml'),
      RULES.replace('{ host: ratings }', '{ host: reviews, subset: v2 }'),
    );
    await waitFor(async () => (await runCli(['analyze', '--admin', admin])).code === 0, {
      timeoutMs: 30_000,
      message: 'the fixed rule was never analyzed clean',
    });
    const fixed = JSON.parse((await runCli(['analyze', '--admin', admin, '-o', 'json'])).stdout) as Finding[];
    expect(fixed.every((f) => f.severity === 'warning')).toBe(true);
    expect(fixed).toContainEqual(
      expect.objectContaining({ code: 'no-healthy-endpoints', rule: 'VirtualService default/reviews' }),
    );
    const unreachable = await runCli(['analyze', '--admin', 'http://127.0.0.1:1']);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toContain('sextant analyze: cannot read http://127.0.0.1:1/debug/rules');
  }, 120_000);
});

describe('the finding codes in the rules guide', () => {
  it('lists every code a finding can carry', () => {
    const guide = fs.readFileSync(path.resolve(__dirname, '../../../docs/rules.md'), 'utf8');
    const listed = (code: string) => new RegExp(`\\|\\s*\`${code}\`\\s*\\|`).test(guide);
    const missing = Object.keys(RULE_PROBLEM_CODES).filter((code) => !listed(code));
    expect(missing).toEqual([]);
  });
});
