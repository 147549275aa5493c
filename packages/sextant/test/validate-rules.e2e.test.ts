import fs from 'node:fs';
import path from 'node:path';
import { runCli, tempDir } from './daemon-process';

// `sextant validate` on rules files, as users run it: the built CLI in a process of its own.

const SERVICES = [
  'services:',
  '  - hostname: reviews.default.svc.cluster.local',
  '    ports: [{ name: http, port: 9080 }]',
  '    instances:',
  '      - { address: 10.0.0.1, labels: { version: v1 } }',
  '      - { address: 10.0.0.2, labels: { version: v2 } }',
  '  - hostname: details.default.svc.cluster.local',
  '    ports: [{ name: http, port: 8080 }, { name: admin, port: 9901 }]',
  '    instances: [{ address: 10.0.0.3 }]',
  '',
].join('\n');

const REVIEWS_SUBSETS = [
  'apiVersion: networking.istio.io/v1',
  'kind: DestinationRule',
  'metadata: { name: reviews }',
  'spec:',
  '  host: reviews',
  '  subsets:',
  '    - { name: v1, labels: { version: v1 } }',
  '    - { name: v2, labels: { version: v2 } }',
];

/** A directory with sextant.yaml (a file adapter, and `rules`), services.yaml and the rules files given. */
function setup(
  files: Record<string, string[]>,
  options: { rules?: string[]; adapters?: string[] } = {},
): { dir: string; config: string } {
  const dir = tempDir();
  const config = path.join(dir, 'sextant.yaml');
  fs.writeFileSync(
    config,
    [
      'adapters:',
      '  - { type: file, path: services.yaml }',
      ...(options.adapters ?? []),
      `rules: [${(options.rules ?? Object.keys(files)).join(', ')}]`,
      '',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(dir, 'services.yaml'), SERVICES);
  for (const [name, lines] of Object.entries(files))
    fs.writeFileSync(path.join(dir, name), `${lines.join('\n')}\n`);
  return { dir, config };
}

/** The problem lines validate printed (its stderr, the summary and notes left out). */
function problemLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /: (error|warning)( for \w+)?: /.test(line));
}

function virtualService(...specLines: string[]): string[] {
  return [
    'apiVersion: networking.istio.io/v1',
    'kind: VirtualService',
    'metadata: { name: reviews }',
    'spec:',
    '  hosts: [reviews]',
    ...specLines.map((line) => `  ${line}`),
  ];
}

describe('sextant validate: rules files', () => {
  it('passes a clean rules file, checked against the services file (exit 0)', async () => {
    const { config } = setup({
      'rules.yaml': [
        ...virtualService(
          'http:',
          '  - route:',
          '      - { destination: { host: reviews, subset: v1 }, weight: 90 }',
          '      - { destination: { host: reviews, subset: v2 }, weight: 10 }',
        ),
        '---',
        ...REVIEWS_SUBSETS,
      ],
    });
    const { code, stdout, stderr } = await runCli(['validate', '--config', config]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('ok, 1 adapter(s): file (file)');
    expect(stdout).toContain('rules: 1 file(s), 2 resource(s): 0 error(s), 0 warning(s)');
  });

  it('reports a YAML syntax error with its line and column', async () => {
    const { dir, config } = setup({
      'rules.yaml': [
        'apiVersion: networking.istio.io/v1',
        'kind: VirtualService',
        'metadata: { name: reviews',
        'spec: {}',
      ],
    });
    const { code, stderr } = await runCli(['validate', '--config', config]);
    expect(code).toBe(1);
    expect(problemLines(stderr)).toEqual([
      `${dir}/rules.yaml:4:1: error: Flow map in block collection must be sufficiently indented and end with a } [syntax]`,
    ]);
    expect(stderr).toContain('rules: 1 file(s), 0 resource(s): 1 error(s), 0 warning(s)');
  });

  it('reports unknown fields, RE2-invalid regexes, bad durations, negative weights and zero totals, each located', async () => {
    const { dir, config } = setup({
      'rules.yaml': virtualService(
        'http:',
        '  - match:',
        '      - uri: { regex: "/api/(?=v1)" }',
        '    route:',
        '      - destination: { host: reviews }',
        '        weigth: 1',
        '    timeout: 5 seconds',
        '  - route:',
        '      - { destination: { host: reviews }, weight: -1 }',
        '      - { destination: { host: reviews }, weight: 3 }',
        '  - route:',
        '      - { destination: { host: reviews }, weight: 0 }',
        '      - { destination: { host: reviews }, weight: 0 }',
      ),
    });
    const { code, stderr } = await runCli(['validate', '--config', config]);
    expect(code).toBe(1);
    const file = `${dir}/rules.yaml`;
    expect(problemLines(stderr)).toEqual([
      `${file}:8:25: error: VirtualService default/reviews: spec.http[0].match[0].uri.regex: not a valid RE2 regex: error parsing regexp: invalid or unsupported Perl syntax: \`(?=\` [invalid-regex]`,
      `${file}:11:11: error: VirtualService default/reviews: spec.http[0].route[0].weigth: unknown field (did you mean "weight"?) [unknown-field]`,
      `${file}:12:16: error: VirtualService default/reviews: spec.http[0].timeout: not a duration: write it like 500ms, 7s, 1m30s or 1h ("5 seconds") [invalid-duration]`,
      `${file}:14:53: error: VirtualService default/reviews: spec.http[1].route[0].weight: must be between 0 and 2147483647 (-1) [invalid-value]`,
      `${file}:17:9: error: VirtualService default/reviews: spec.http[2].route: the weights of several destinations add up to 0: give at least one a positive weight [zero-total-weight]`,
    ]);
    expect(stderr).toContain('5 error(s), 0 warning(s)');
  });

  it('reports a subset no DestinationRule defines, a host nothing has and a port a multi-port host needs', async () => {
    const { dir, config } = setup({
      'rules.yaml': [
        ...virtualService(
          'http:',
          '  - route:',
          '      - { destination: { host: reviews, subset: v3 }, weight: 50 }',
          '      - { destination: { host: ratings }, weight: 25 }',
          '      - { destination: { host: details }, weight: 25 }',
        ),
        '---',
        ...REVIEWS_SUBSETS,
      ],
    });
    const { code, stderr } = await runCli(['validate', '--config', config]);
    expect(code).toBe(1);
    const file = `${dir}/rules.yaml`;
    expect(problemLines(stderr)).toEqual([
      `${file}:8:51: error: VirtualService default/reviews: spec.http[0].route[0].destination.subset: no DestinationRule for reviews.default.svc.cluster.local defines subset v3 (it has v1, v2): requests routed here would fail (503) [unknown-subset]`,
      `${file}:9:34: error: VirtualService default/reviews: spec.http[0].route[1].destination.host: no service or ServiceEntry has host ratings.default.svc.cluster.local: requests routed here would fail (503) [unknown-host]`,
      `${file}:10:26: error: VirtualService default/reviews: spec.http[0].route[2].destination.port.number: details.default.svc.cluster.local has several ports (8080 (http), 9901 (admin)): say which with destination.port.number [port-required]`,
    ]);
  });

  it('reports an identity defined twice, naming both places, in one file and across files', async () => {
    const { dir, config } = setup({
      'a.yaml': [...REVIEWS_SUBSETS, '---', ...REVIEWS_SUBSETS],
      'b.yaml': REVIEWS_SUBSETS,
    });
    const { code, stderr } = await runCli(['validate', '--config', config]);
    expect(code).toBe(1);
    expect(problemLines(stderr)).toEqual([
      `${dir}/a.yaml:10:1: error: DestinationRule default/reviews: DestinationRule default/reviews is defined twice in this source: at ${dir}/a.yaml:1:1 and at ${dir}/a.yaml:10:1; the first is used and this one is not [duplicate-identity]`,
      `${dir}/b.yaml:1:1: error: DestinationRule default/reviews: also defined at ${dir}/a.yaml:1:1, an earlier rules file: the daemon uses that version (while it is valid), not this one [duplicate-identity]`,
    ]);
  });

  it('prints warnings and passes when there are only warnings (exit 0)', async () => {
    const { dir, config } = setup({
      'rules.yaml': [
        ...virtualService(
          'http:',
          '  - route:',
          '      - { destination: { host: reviews, subset: v1 }, weight: 999 }',
          '      - { destination: { host: reviews, subset: v2 }, weight: 1 }',
          '  - match: [{ uri: { prefix: /api } }]',
          '    route: [{ destination: { host: reviews } }]',
        ),
        '---',
        ...REVIEWS_SUBSETS,
      ],
    });
    const { code, stdout, stderr } = await runCli(['validate', '--config', config]);
    expect(problemLines(stderr)).toEqual([
      `${dir}/rules.yaml:9:65: warning: VirtualService default/reviews: spec.http[0].route[1].weight: weight 1 is 0.10% of the split, which proxies are sent as whole percents summing to 100: it becomes 0 and reviews.default.svc.cluster.local gets no traffic [weight-rounds-to-zero]`,
      `${dir}/rules.yaml:10:7: warning: VirtualService default/reviews: spec.http[1]: no request reaches this route: spec.http[0] before it matches every request [unreachable-route]`,
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('rules: 1 file(s), 2 resource(s): 0 error(s), 2 warning(s)');
  });

  it('reads a legacy RouteRule (precedence, match.source, route labels as subsets) and holds it to its own rules', async () => {
    const rule = (weights: [number, number]) => [
      'apiVersion: config.istio.io/v1alpha2',
      'kind: RouteRule',
      'metadata: { name: reviews-for-details }',
      'spec:',
      '  destination: { name: reviews }',
      '  precedence: 2',
      '  match:',
      '    source: { name: details }',
      '    request: { headers: { cookie: { regex: "^(.*?;)?(user=jason)(;.*)?$" } } }',
      '  route:',
      `    - { labels: { version: v2 }, weight: ${weights[0]} }`,
      `    - { labels: { version: v1 }, weight: ${weights[1]} }`,
    ];
    const good = setup({ 'rules.yaml': rule([60, 40]) });
    const passed = await runCli(['validate', '--config', good.config]);
    expect(passed.stderr).toBe('');
    expect(passed.code).toBe(0);

    const bad = setup({ 'rules.yaml': rule([60, 30]) });
    const failed = await runCli(['validate', '--config', bad.config]);
    expect(failed.code).toBe(1);
    expect(problemLines(failed.stderr)).toEqual([
      `${bad.dir}/rules.yaml:11:5: error: RouteRule default/reviews-for-details: spec.route: route weights total 90 (must total 100) [legacy-weight-total]`,
    ]);
  });

  it('reads a Gateway API HTTPRoute attached to a Service and checks it like the other kinds', async () => {
    const route = (parentRef: string, backends: string[]) => [
      'apiVersion: gateway.networking.k8s.io/v1',
      'kind: HTTPRoute',
      'metadata: { name: reviews }',
      'spec:',
      `  parentRefs: [${parentRef}]`,
      '  rules:',
      '    - matches: [{ path: { type: PathPrefix, value: /api } }, { headers: [{ name: x-canary, value: "1" }] }]',
      `      backendRefs: [${backends.join(', ')}]`,
    ];
    const good = setup({
      'rules.yaml': route('{ group: "", kind: Service, name: reviews, port: 9080 }', [
        '{ name: reviews, port: 9080, weight: 9 }',
        '{ name: details, port: 8080 }',
      ]),
    });
    const passed = await runCli(['validate', '--config', good.config]);
    expect(problemLines(passed.stderr)).toEqual([]);
    expect(passed.code).toBe(0);

    const bad = setup({
      'rules.yaml': [
        ...route('{ group: "", kind: Service, name: reviews }', ['{ name: reviews-canary, port: 9080 }']),
        '---',
        ...route('{ name: my-gateway }', ['{ name: reviews, port: 9080 }']).map((line) =>
          line.replace('name: reviews }', 'name: reviews-gw }'),
        ),
      ],
    });
    const failed = await runCli(['validate', '--config', bad.config]);
    expect(failed.code).toBe(1);
    expect(problemLines(failed.stderr)).toEqual([
      `${bad.dir}/rules.yaml:8:29: error: HTTPRoute default/reviews: spec.rules[0].backendRefs[0].name: no service or ServiceEntry has host reviews-canary.default.svc.cluster.local: requests routed here would fail (503) [unknown-host]`,
      `${bad.dir}/rules.yaml:14:16: error: HTTPRoute default/reviews-gw: spec.parentRefs[0]: Sextant attaches HTTPRoutes to Services only (GAMMA mesh mode: group "" and kind Service), not to "gateway.networking.k8s.io/Gateway" my-gateway [unsupported-field]`,
    ]);
  });

  it('with adapters of live platforms, says so and reports hosts it cannot find as warnings', async () => {
    const { dir, config } = setup(
      {
        'rules.yaml': virtualService('http:', '  - route: [{ destination: { host: web.service.consul } }]'),
      },
      { adapters: ['  - { type: consul, address: "http://127.0.0.1:1" }'] },
    );
    const { code, stdout, stderr } = await runCli(['validate', '--config', config]);
    expect(stderr).toContain(
      'note: adapter consul (consul) reports services only at run time: a destination host that no services file and no ServiceEntry has is a warning, not an error',
    );
    expect(problemLines(stderr)).toEqual([
      `${dir}/rules.yaml:7:38: warning: VirtualService default/reviews: spec.http[0].route[0].destination.host: no service or ServiceEntry has host web.service.consul: requests routed here would fail (503) — unless the mesh has it at run time (adapter consul (consul) reports services only at run time) [unknown-host]`,
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('0 error(s), 1 warning(s)');
  });

  it('fails on what a render target cannot express only for the targets --targets names', async () => {
    const { dir, config } = setup({
      'rules.yaml': [
        'apiVersion: networking.istio.io/v1',
        'kind: DestinationRule',
        'metadata: { name: reviews }',
        'spec:',
        '  host: reviews',
        '  trafficPolicy: { loadBalancer: { simple: LEAST_REQUEST } }',
      ],
    });
    const line = `${dir}/rules.yaml:6:44: error for grpc: DestinationRule default/reviews: spec.trafficPolicy.loadBalancer.simple: gRPC clients refuse clusters balanced by LEAST_REQUEST: they are sent ROUND_ROBIN (or RING_HASH for a consistent hash) [not-expressible]`;
    const shown = await runCli(['validate', '--config', config, '--targets', 'v1,v3']);
    expect(problemLines(shown.stderr)).toEqual([line]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(
      '0 error(s), 0 warning(s); 1 error(s) for render targets not required (grpc: 1; --targets requires them)',
    );
    const required = await runCli(['validate', '--config', config, '--targets', 'grpc']);
    expect(problemLines(required.stderr)).toEqual([line]);
    expect(required.code).toBe(1);
    expect(required.stderr).toContain('1 error(s), 0 warning(s)');
  });

  it('checks rules files alone with --rules, hosts only ServiceEntries define being known', async () => {
    const dir = tempDir();
    fs.writeFileSync(
      path.join(dir, 'a.yaml'),
      [
        'apiVersion: networking.istio.io/v1',
        'kind: ServiceEntry',
        'metadata: { name: partner }',
        'spec:',
        '  hosts: [api.partner.example]',
        '  ports: [{ number: 80, name: http, protocol: HTTP }]',
        '  resolution: STATIC',
        '  endpoints: [{ address: 203.0.113.10 }]',
        '---',
        'apiVersion: networking.istio.io/v1',
        'kind: VirtualService',
        'metadata: { name: partner }',
        'spec:',
        '  hosts: [api.partner.example]',
        '  http: [{ timeout: 3s, route: [{ destination: { host: api.partner.example } }] }]',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(dir, 'b.yml'), 'kind: Gateway\napiVersion: networking.istio.io/v1\n');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a rules file');
    const { code, stderr } = await runCli(['validate', '--rules', dir]);
    expect(stderr).toContain("note: without --config, the mesh's services are not known");
    expect(problemLines(stderr)).toEqual([
      `${dir}/b.yml:1:7: error: kind: unknown kind "Gateway": Sextant reads VirtualService, DestinationRule, ServiceEntry (networking.istio.io/v1, v1beta1, v1alpha3), PeerAuthentication (security.istio.io/v1, v1beta1), RouteRule, DestinationPolicy, EgressRule (config.istio.io, any version) and HTTPRoute (gateway.networking.k8s.io/v1, v1beta1) [unknown-kind]`,
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain('rules: 2 file(s), 2 resource(s): 1 error(s), 0 warning(s)');

    const none = await runCli(['validate', '--rules', path.join(dir, '*.json')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no rules file matches');
  });

  it('refuses bad arguments and bad rules entries', async () => {
    const targets = await runCli(['validate', '--rules', 'x.yaml', '--targets', 'v2']);
    expect(targets.code).toBe(2);
    expect(targets.stderr).toContain('--targets takes v1, v3, grpc (comma-separated), not "v2"');
    expect((await runCli(['validate'])).code).toBe(2);
    expect((await runCli(['--rules', 'x.yaml'])).code).toBe(2);

    const { config } = setup({}, { rules: ['"rules/*/vs.yaml"'] });
    const bad = await runCli(['validate', '--config', config]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      `${config}:3:9: rules[0]: globs are supported in the file name only (rules/*.yaml), not in directories`,
    );
  });
});

describe('examples/rules', () => {
  it('passes validation: no error for Envoy v1 or v3, and only what gRPC clients cannot express for them', async () => {
    const config = path.resolve(__dirname, '../../../examples/rules/sextant.yaml');
    const { code, stdout, stderr } = await runCli(['validate', '--config', config, '--targets', 'v1,v3']);
    expect(stdout).toContain('ok, 1 adapter(s): local (file)');
    expect(stdout).toContain('rules: 7 file(s), 10 resource(s): 0 error(s)');
    expect(code).toBe(0);
    const errors = problemLines(stderr).filter((line) => / error( for \w+)?: /.test(line));
    for (const line of errors) expect(line).toMatch(/circuit-breaker\.yaml:\d+:\d+: error for grpc: /);
  });
});
