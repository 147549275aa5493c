import { formatProblem, type AdapterState, type Problem } from '@sextant/core';
import { parseServicesFile } from '../src';
import { MAX_LOCATED_CHARACTERS } from '../src/parse-services-file';

const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;

function parsed(text: string): AdapterState {
  const result = parseServicesFile(text, 'services.yaml');
  if (!result.valid)
    throw new Error(`expected a valid file, got:\n${result.problems.map(formatProblem).join('\n')}`);
  return result.value;
}

function problems(text: string, file = 'services.yaml'): string[] {
  const result = parseServicesFile(text, file);
  return result.valid ? [] : result.problems.map(formatProblem);
}

describe('parseServicesFile: mapping', () => {
  it('maps services and instances, filling the defaults', () => {
    const state = parsed(
      yaml(
        'services:',
        '  - hostname: reviews.default.svc.cluster.local',
        '    ports: [{ name: http, port: 9080 }]',
        '    labels: { app: reviews }',
        '    addresses: [10.0.0.31]',
        '    instances:',
        '      - { address: 10.0.1.11, port: 9080, labels: { version: v1 }, locality: { region: us-east1, zone: us-east1-b } }',
        '      - { address: 10.0.1.12, ports: { http: 9081 }, labels: { version: v2 }, weight: 3, health: unhealthy }',
        '      - { address: 10.0.1.13, health: draining }',
      ),
    );
    const hostname = 'reviews.default.svc.cluster.local';
    expect(state).toEqual({
      services: [
        {
          hostname,
          ports: [{ name: 'http', port: 9080, protocol: 'http' }],
          labels: { app: 'reviews' },
          addresses: ['10.0.0.31'],
        },
      ],
      instances: [
        {
          hostname,
          address: '10.0.1.11',
          port: 9080,
          portName: 'http',
          labels: { version: 'v1' },
          locality: { region: 'us-east1', zone: 'us-east1-b' },
          weight: 1,
          health: 'healthy',
        },
        {
          hostname,
          address: '10.0.1.12',
          port: 9081,
          portName: 'http',
          labels: { version: 'v2' },
          weight: 3,
          health: 'unhealthy',
        },
        { hostname, address: '10.0.1.13', port: 9080, portName: 'http', weight: 1, health: 'draining' },
      ],
    });
  });

  it('gives an instance without port or ports every service port, on the service port numbers', () => {
    const state = parsed(
      yaml(
        'services:',
        '  - hostname: api.test',
        '    ports: [{ name: http, port: 80 }, { name: grpc, port: 90, protocol: grpc }]',
        '    instances: [{ address: 10.0.0.1 }]',
      ),
    );
    expect(state.services[0]?.ports).toEqual([
      { name: 'http', port: 80, protocol: 'http' },
      { name: 'grpc', port: 90, protocol: 'grpc' },
    ]);
    expect(state.instances.map((i) => [i.portName, i.port])).toEqual([
      ['http', 80],
      ['grpc', 90],
    ]);
  });

  it('gives an instance with ports exactly the ports it names, on its own port numbers', () => {
    const state = parsed(
      yaml(
        'services:',
        '  - hostname: api.test',
        '    ports: [{ name: http, port: 80 }, { name: grpc, port: 90, protocol: grpc }, { name: admin, port: 91 }]',
        '    instances:',
        '      - { address: 10.0.0.1, ports: { grpc: 9090, http: 8080 } }',
        '      - { address: 10.0.0.2, ports: { admin: 9191 } }',
      ),
    );
    expect(state.instances.map((i) => `${i.address} ${i.portName} ${i.port}`)).toEqual([
      '10.0.0.1 grpc 9090',
      '10.0.0.1 http 8080',
      '10.0.0.2 admin 9191',
    ]);
  });

  it('accepts a service without instances and a file without services', () => {
    expect(
      parsed(
        yaml('services:', '  - { hostname: idle.test, ports: [{ name: tcp, port: 5432, protocol: tcp }] }'),
      ),
    ).toEqual({
      services: [{ hostname: 'idle.test', ports: [{ name: 'tcp', port: 5432, protocol: 'tcp' }] }],
      instances: [],
    });
    expect(parsed('services: []\n')).toEqual({ services: [], instances: [] });
  });

  it('reads JSON like YAML, and locates its problems by line too', () => {
    const json = JSON.stringify(
      {
        services: [
          {
            hostname: 'web.test',
            ports: [{ name: 'http', port: 80 }],
            instances: [{ address: '10.0.0.1', port: 8080, labels: { version: 'v1' } }],
          },
        ],
      },
      null,
      2,
    );
    expect(parsed(json)).toEqual(
      parsed(
        yaml(
          'services:',
          '  - hostname: web.test',
          '    ports: [{ name: http, port: 80 }]',
          '    instances: [{ address: 10.0.0.1, port: 8080, labels: { version: v1 } }]',
        ),
      ),
    );
    expect(problems(json.replace('"10.0.0.1"', '"10.0.0.x"'), 'services.json')).toEqual([
      'services.json:13:22: services[0].instances[0].address: not an IP address ("10.0.0.x")',
    ]);
  });
});

describe('parseServicesFile: the plain parse and the located parse agree', () => {
  it('reads anchors, aliases and date-like values as YAML 1.2 does', () => {
    const result = parseServicesFile(
      [
        'defaults: &http { name: http, port: 80 }',
        'services:',
        '  - hostname: a.example',
        '    ports: [*http]',
        '    labels: { released: 2024-01-01, build: "0777" }',
        '    instances: [{ address: 10.0.0.1, labels: { version: 2024-01-01 } }]',
        '',
      ].join('\n'),
      'services.yaml',
    );
    // `defaults` is not a field of a services file: the located parse reports it, with its position.
    expect(result.valid).toBe(false);
    expect(result.valid ? [] : result.problems.map(formatProblem)).toEqual([
      'services.yaml:1:1: defaults: unknown field (expected one of: services)',
    ]);
  });

  it('accepts what YAML 1.2 accepts and keeps date-like values as strings', () => {
    const result = parseServicesFile(
      [
        'services:',
        '  - &svc',
        '    hostname: a.example',
        '    ports: [{ name: http, port: 80 }]',
        '    labels: { released: 2024-01-01 }',
        '    instances: [{ address: 10.0.0.1, labels: { version: 2024-01-01 } }]',
        '',
      ].join('\n'),
      'services.yaml',
    );
    expect(result.valid && result.value.services[0]?.labels).toEqual({ released: '2024-01-01' });
    expect(result.valid && result.value.instances[0]?.labels).toEqual({ version: '2024-01-01' });
  });

  it('still reports duplicate keys, which a plain parser might let through, with their position', () => {
    const result = parseServicesFile(
      'services:\n  - hostname: a.example\n    hostname: b.example\n    ports: [{ name: http, port: 80 }]\n',
      'services.yaml',
    );
    expect(result.valid).toBe(false);
    expect(result.valid ? '' : formatProblem(result.problems[0] as Problem)).toMatch(
      /^services\.yaml:3:\d+: /,
    );
  });
});

describe('parseServicesFile: problems', () => {
  it('reports schema problems with file, line, column and field', () => {
    expect(
      problems(
        yaml(
          'services:',
          '  - hostname: reviews.test',
          '    ports: [{ name: http, port: 70000, protocol: htp }]',
          '    addresses: [10.0.0.x]',
          '    instances:',
          '      - address: 10.0.1.x',
          '        weight: 0',
          '        health: sick',
          '        locality: { region: r, planet: earth }',
          '        labels: { version: 2 }',
          '  - ports: []',
          '    colour: blue',
        ),
      ),
    ).toEqual([
      'services.yaml:3:33: services[0].ports[0].port: must be <= 65535 (70000)',
      'services.yaml:3:50: services[0].ports[0].protocol: expected one of "http", "http2", "grpc", "tcp", got "htp"',
      'services.yaml:4:17: services[0].addresses[0]: not an IP address ("10.0.0.x")',
      'services.yaml:6:18: services[0].instances[0].address: not an IP address ("10.0.1.x")',
      'services.yaml:7:17: services[0].instances[0].weight: must be >= 1 (0)',
      'services.yaml:8:17: services[0].instances[0].health: expected one of "healthy", "unhealthy", "draining", got "sick"',
      'services.yaml:9:32: services[0].instances[0].locality.planet: unknown field (expected one of: region, zone, subzone)',
      'services.yaml:10:28: services[0].instances[0].labels.version: expected string, got number (2)',
      'services.yaml:11:5: services[1].hostname: missing required field',
      'services.yaml:11:12: services[1].ports: must have at least 1 item(s)',
      'services.yaml:12:5: services[1].colour: unknown field (expected one of: hostname, ports, labels, addresses, instances)',
    ]);
  });

  it('reports syntax errors, duplicate keys and empty files with their position', () => {
    expect(problems('services: [\n')).toEqual([
      'services.yaml:2:1: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
    expect(problems(yaml('services: []', 'services: []'))).toEqual([
      'services.yaml:2:1: Map keys must be unique',
    ]);
    expect(problems('')).toEqual(['services.yaml: the file is empty: expected a "services:" list']);
    expect(problems(yaml('servics: []'))).toEqual([
      'services.yaml:1:1: services: missing required field',
      'services.yaml:1:1: servics: unknown field (did you mean "services"?)',
    ]);
  });

  const twoPorts = [
    'services:',
    '  - hostname: reviews.test',
    '    ports:',
    '      - { name: http, port: 9080 }',
    '      - { name: grpc, port: 9090, protocol: grpc }',
    '    instances:',
  ];

  it('refuses port on a multi-port service, saying to use ports', () => {
    expect(problems(yaml(...twoPorts, '      - { address: 10.0.1.11, port: 9080 }'))).toEqual([
      'services.yaml:7:37: services[0].instances[0].port: the service has 2 ports (http, grpc): ' +
        'use "ports" to say which port this is (e.g. ports: { http: 9080 })',
    ]);
  });

  it('refuses port and ports together', () => {
    expect(
      problems(yaml(...twoPorts, '      - { address: 10.0.1.11, port: 9080, ports: { http: 9080 } }')),
    ).toEqual(['services.yaml:7:50: services[0].instances[0].ports: give "port" or "ports", not both']);
  });

  it('refuses a ports key that is not a port of the service, pointing at the key', () => {
    expect(
      problems(yaml(...twoPorts, '      - { address: 10.0.1.11, ports: { http: 9080, metrics: 15090 } }')),
    ).toEqual([
      'services.yaml:7:52: services[0].instances[0].ports.metrics: not a port of the service (its ports: http, grpc)',
    ]);
  });

  it('refuses an empty ports map', () => {
    expect(problems(yaml(...twoPorts, '      - { address: 10.0.1.11, ports: {} }'))).toEqual([
      'services.yaml:7:38: services[0].instances[0].ports: names no port: ' +
        'list the ports this instance serves, or leave "ports" out to serve them all',
    ]);
  });

  it('refuses duplicate hostnames, port names and port numbers', () => {
    expect(
      problems(
        yaml(
          'services:',
          '  - hostname: reviews.test',
          '    ports: [{ name: http, port: 80 }, { name: http, port: 81 }, { name: grpc, port: 80 }]',
          '  - hostname: reviews.test',
          '    ports: [{ name: http, port: 80 }]',
        ),
      ),
    ).toEqual([
      'services.yaml:3:47: services[0].ports[1].name: duplicate port name "http": ports[0] has it already',
      'services.yaml:3:85: services[0].ports[2].port: duplicate port number 80: ports[0] has it already',
      'services.yaml:4:15: services[1].hostname: duplicate hostname "reviews.test": services[0] has it already',
    ]);
  });

  it('refuses invalid hostnames and port names', () => {
    expect(
      problems(
        yaml('services:', '  - hostname: "reviews test"', '    ports: [{ name: "http api", port: 80 }]'),
      ),
    ).toEqual([
      'services.yaml:2:15: services[0].hostname: not a valid hostname ("reviews test")',
      'services.yaml:3:21: services[0].ports[0].name: not a valid port name ("http api"): ' +
        'use up to 63 letters, digits, "-", "_" or "."',
    ]);
  });

  it('refuses an instance listed twice for the same port', () => {
    expect(
      problems(
        yaml(
          ...twoPorts,
          '      - { address: 10.0.1.11 }',
          '      - { address: 10.0.1.12, ports: { http: 9080 } }',
          '      - { address: 10.0.1.11, ports: { grpc: 9090 } }',
        ),
      ),
    ).toEqual([
      'services.yaml:9:20: services[0].instances[2].address: ' +
        'duplicate instance: instances[0] already serves port grpc at 10.0.1.11:9090',
    ]);
  });

  it('tells instances sharing an address apart by the ports they serve', () => {
    const file = (...instances: string[]) => problems(yaml(...twoPorts, ...instances));
    // One address, each port once: no duplicate.
    expect(
      file(
        '      - { address: 10.0.1.11, ports: { http: 9080 } }',
        '      - { address: 10.0.1.12 }',
        '      - { address: 10.0.1.11, ports: { grpc: 9090 } }',
        '      - { address: 10.0.1.11, ports: { http: 9081 } }',
      ),
    ).toEqual([]);
    // The duplicate is the third at its address, of the second there.
    expect(
      file(
        '      - { address: 10.0.1.11, ports: { http: 9080 } }',
        '      - { address: 10.0.1.11, ports: { grpc: 9090 } }',
        '      - { address: 10.0.1.12 }',
        '      - { address: 10.0.1.11, ports: { grpc: 9090 } }',
      ),
    ).toEqual([
      'services.yaml:10:20: services[0].instances[3].address: ' +
        'duplicate instance: instances[1] already serves port grpc at 10.0.1.11:9090',
    ]);
  });

  it('finds the same duplicates in a service of many instances', () => {
    const many = Array.from({ length: 20 }, (_, k) => `      - { address: 10.0.2.${k} }`);
    expect(
      problems(
        yaml(
          ...twoPorts,
          ...many,
          '      - { address: 10.0.1.11, ports: { http: 9080 } }',
          '      - { address: 10.0.1.11, ports: { grpc: 9090 } }',
          '      - { address: 10.0.1.11, ports: { grpc: 9090 } }',
          '      - { address: 10.0.2.3, ports: { http: 9080 } }',
          '      - { address: 10.0.2.4, ports: { http: 9081 } }',
        ),
      ),
    ).toEqual([
      'services.yaml:29:20: services[0].instances[22].address: ' +
        'duplicate instance: instances[21] already serves port grpc at 10.0.1.11:9090',
      'services.yaml:30:20: services[0].instances[23].address: ' +
        'duplicate instance: instances[3] already serves port http at 10.0.2.3:9080',
    ]);
  });

  it('reports schema and semantic problems together, in file order', () => {
    expect(
      problems(
        yaml(
          'services:',
          '  - hostname: a.test',
          '    ports: [{ name: http, port: 80 }]',
          '    instances: [{ address: 10.0.0.x, ports: { grpc: 1 } }]',
          '  - hostname: a.test',
          '    ports: [{ name: http, port: "80" }]',
        ),
      ),
    ).toEqual([
      'services.yaml:4:28: services[0].instances[0].address: not an IP address ("10.0.0.x")',
      'services.yaml:4:47: services[0].instances[0].ports.grpc: not a port of the service (its ports: http)',
      'services.yaml:5:15: services[1].hostname: duplicate hostname "a.test": services[0] has it already',
      'services.yaml:6:33: services[1].ports[0].port: expected integer, got string ("80")',
    ]);
  });
});

/** The billion laughs as a services file: 9^levels strings where the services belong. */
function aliasBomb(levels: number): string {
  const lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i <= levels; i += 1)
    lines.push(
      `l${i}: &l${i} [${Array(9)
        .fill(`*l${i - 1}`)
        .join(',')}]`,
    );
  return yaml(...lines, `services: *l${levels}`);
}

/** `count` valid services as YAML, one line each. */
function manyServices(count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) =>
      `  - { hostname: s${i}.test, ports: [{ name: http, port: 80 }], instances: [{ address: 10.0.${i >> 8}.${i & 255} }] }`,
  );
}

describe('parseServicesFile: hostile files', () => {
  it('refuses an alias bomb at once, whichever parse meets it', () => {
    for (const levels of [6, 9]) {
      expect(problems(aliasBomb(levels))).toEqual([
        expect.stringMatching(
          /^services\.yaml: aliases expand the document to more than \d+ values, the limit for \d+ characters: write the repeated parts out instead$/,
        ),
      ]);
    }
  });

  it('refuses a file nested more than 64 levels deep, JSON or YAML', () => {
    const deep = (depth: number) => `{"services": [${'['.repeat(depth)}${']'.repeat(depth)}]}`;
    expect(problems(deep(62), 'services.json')).toEqual([
      expect.stringMatching(/^services\.json:1:\d+: services\[0\]: expected object, got array/),
    ]);
    expect(problems(deep(100_000), 'services.json')).toEqual([
      'services.json: the document is nested more than 64 levels deep',
    ]);
    expect(problems(yaml('services:', `  ${'- '.repeat(100_000)}x`))).toEqual([
      'services.yaml:2:131: the document is nested more than 64 levels deep',
    ]);
  });

  it('refuses duplicate keys in JSON exactly as in YAML', () => {
    const service = '{"hostname": "a.test", "ports": [{"name": "http", "port": 80}]}';
    // JSON.parse alone would keep the last "services" and load nothing.
    expect(problems(`{\n  "services": [${service}],\n  "services": []\n}\n`, 'services.json')).toEqual([
      'services.json:3:3: Map keys must be unique',
    ]);
    expect(problems(yaml(`services: [${service}]`, 'services: []'))).toEqual([
      'services.yaml:2:1: Map keys must be unique',
    ]);
  });

  it('shows an enormous bad value cut', () => {
    expect(
      problems(
        yaml('services:', `  - { hostname: ${'a_'.repeat(500_000)}, ports: [{ name: http, port: 80 }] }`),
      ),
    ).toEqual([`services.yaml:2:17: services[0].hostname: not a valid hostname ("${'a_'.repeat(28)}...)`]);
  });

  it('names the field, not the line, of a problem in a file too large to locate quickly', () => {
    const lines = manyServices(12_000);
    const text = yaml(
      'services:',
      ...lines.slice(0, -1),
      lines.at(-1)?.replace('10.0.46.223', '10.0.46.x') ?? '',
    );
    expect(text.length).toBeGreaterThan(MAX_LOCATED_CHARACTERS);
    const stopped =
      'services.yaml: the document holds more than 100000 values, so it is checked only up to its first problem';
    expect(problems(text)).toEqual([
      'services.yaml: services[11999].instances[0].address: not an IP address ("10.0.46.x")',
      stopped,
    ]);
    expect(problems(`${text}  - [\n`)).toEqual([
      'services.yaml:12003:1: unexpected end of the stream within a flow collection',
    ]);
    expect(problems(text.replace('s0.test', 's1.test'))).toEqual([
      'services.yaml: services[11999].instances[0].address: not an IP address ("10.0.46.x")',
      stopped,
      'services.yaml: services[1].hostname: duplicate hostname "s1.test": services[0] has it already',
    ]);
  });

  it('reports the problems of a file with more aliases than the located parse allows as the plain parse finds them', () => {
    const aliased = (address: string) =>
      yaml(
        'defaults: &labels { team: payments }',
        'services:',
        '  - hostname: a.test',
        '    ports: [{ name: http, port: 80 }]',
        '    instances:',
        ...Array.from(
          { length: 1001 },
          (_, i) => `      - { address: 10.0.${i >> 8}.${i & 255}, labels: *labels }`,
        ),
        `      - { address: ${address} }`,
      );
    expect(problems(aliased('10.1.0.x'))).toEqual([
      'services.yaml: defaults: unknown field (expected one of: services)',
      'services.yaml: services[0].instances[1001].address: not an IP address ("10.1.0.x")',
    ]);
    expect(problems(`${aliased('10.1.0.1')}  - [\n`)).toEqual([
      'services.yaml:1009:1: unexpected end of the stream within a flow collection',
    ]);
  });

  it('describes the first 1000 problems of a kind the schema cannot check, and counts the rest', () => {
    const found = problems(
      yaml(
        'services:',
        ...Array.from({ length: 2001 }, () => '  - { hostname: a.test, ports: [{ name: http, port: 80 }] }'),
      ),
    );
    expect(found).toHaveLength(1001);
    expect(found[999]).toBe(
      'services.yaml:1002:17: services[1000].hostname: duplicate hostname "a.test": services[0] has it already',
    );
    expect(found[1000]).toBe(
      'services.yaml:1003:17: services[1001].hostname: and 1000 more problem(s) of these kinds from here on, not listed',
    );
  });
});
