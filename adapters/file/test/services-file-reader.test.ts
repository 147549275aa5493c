import { formatProblem } from '@sextant/core';
import { parseServicesFile } from '../src';
import { ServicesFileReader, type FileReading } from '../src/services-file-reader';

interface Service {
  readonly hostname: string;
  readonly addresses: readonly string[];
}

const mesh = (count: number): Service[] =>
  Array.from({ length: count }, (_, i) => ({
    hostname: `s${i}.test`,
    addresses: [`10.0.${i}.1`, `10.0.${i}.2`],
  }));

/** A services file as JSON in the usual shape, one service per line. */
const json = (services: readonly Service[]): string =>
  `{"services": [\n${services
    .map(
      ({ hostname, addresses }) =>
        `  {"hostname": "${hostname}", "ports": [{"name": "http", "port": 80}], "instances": [${addresses
          .map(
            (address) => `{"address": "${address}", "labels": {"version": "v1"}, "locality": {"zone": "z1"}}`,
          )
          .join(', ')}]}`,
    )
    .join(',\n')}\n]}\n`;

/** The same as YAML. */
const yaml = (services: readonly Service[]): string =>
  [
    'services:',
    ...services.flatMap(({ hostname, addresses }) => [
      `  - hostname: ${hostname}`,
      '    ports: [{ name: http, port: 80 }]',
      '    instances:',
      ...addresses.map((address) => `      - { address: ${address}, labels: { version: v1 } }`),
    ]),
    '',
  ].join('\n');

function read(reader: ServicesFileReader, text: string, file = 'services.json'): FileReading {
  return reader.read(Buffer.from(text, 'utf8'), file);
}

/** What a valid reading reports, in words. */
function summary(reading: FileReading) {
  if (!reading.valid)
    throw new Error(`expected a valid reading, got ${reading.problems.map(formatProblem).join('; ')}`);
  return {
    complete: reading.complete,
    changed: reading.changed.map(
      (s) => `${s.service.hostname} ${s.instances.map((i) => i.address).join(',')}`,
    ),
    removed: reading.removed,
    total: reading.total,
  };
}

describe.each([
  ['JSON', json, 'services.json'],
  ['YAML', yaml, 'services.yaml'],
])('ServicesFileReader, %s', (_, write, file) => {
  it('reads the first valid version completely', () => {
    const reading = read(new ServicesFileReader(), write(mesh(3)), file);
    expect(summary(reading)).toEqual({
      complete: true,
      changed: ['s0.test 10.0.0.1,10.0.0.2', 's1.test 10.0.1.1,10.0.1.2', 's2.test 10.0.2.1,10.0.2.2'],
      removed: [],
      total: 3,
    });
  });

  it('then says which services were added, changed and removed, and nothing of the others', () => {
    const reader = new ServicesFileReader();
    const before = mesh(4);
    read(reader, write(before), file);
    const after = [
      before[0],
      { ...before[1], addresses: ['10.9.9.9'] },
      before[3],
      { hostname: 'new.test', addresses: ['10.8.0.1'] },
    ];
    expect(summary(read(reader, write(after as Service[]), file))).toEqual({
      complete: false,
      changed: ['s1.test 10.9.9.9', 'new.test 10.8.0.1'],
      removed: ['s2.test'],
      total: 4,
    });
    expect(summary(read(reader, write(after as Service[]), file))).toEqual({
      complete: false,
      changed: [],
      removed: [],
      total: 4,
    });
  });

  it('reports the problems of a bad version as the full check does, and compares the next one with the last good one', () => {
    const reader = new ServicesFileReader();
    const good = mesh(3);
    read(reader, write(good), file);
    const bad = write([
      good[0] as Service,
      { ...(good[1] as Service), addresses: ['10.0.1.x'] },
      good[2] as Service,
    ]);
    const reading = read(reader, bad, file);
    const full = parseServicesFile(bad, file);
    expect(reading.valid).toBe(false);
    expect(!reading.valid && !full.valid && reading.problems).toEqual(!full.valid && full.problems);
    expect(!reading.valid && reading.problems.map(formatProblem)[0]).toMatch(
      /:\d+:\d+: services\[1\]\.instances\[0\]\.address: not an IP address \("10\.0\.1\.x"\)$/,
    );
    // The bad version left nothing behind: s2 changed since the last good version, s1 did not.
    const next = [good[0], good[1], { ...good[2], addresses: ['10.7.0.1'] }] as Service[];
    expect(summary(read(reader, write(next), file)).changed).toEqual(['s2.test 10.7.0.1']);
  });

  it('refuses a hostname that an unchanged service has already, naming both places', () => {
    const reader = new ServicesFileReader();
    const good = mesh(2);
    read(reader, write(good), file);
    const reading = read(reader, write([...good, { hostname: 's0.test', addresses: ['10.6.0.1'] }]), file);
    expect(!reading.valid && reading.problems.map((p) => p.message)).toEqual([
      'duplicate hostname "s0.test": services[0] has it already',
    ]);
  });

  it('goes on from another reader’s base, as a replacement worker does', () => {
    const first = new ServicesFileReader();
    const services = mesh(3);
    read(first, write(services), file);
    const second = new ServicesFileReader({ base: first.base() });
    const next = [services[0], { ...services[1], addresses: ['10.5.0.1'] }, services[2]] as Service[];
    expect(summary(read(second, write(next), file))).toMatchObject({
      complete: false,
      changed: ['s1.test 10.5.0.1'],
    });
  });

  it('shares equal labels and localities between the instances it reads', () => {
    const reading = read(new ServicesFileReader(), write(mesh(2)), file);
    const instances = reading.valid ? reading.changed.flatMap((s) => s.instances) : [];
    expect(instances).toHaveLength(4);
    for (const instance of instances) expect(instance.labels).toBe(instances[0]?.labels);
  });
});

describe('ServicesFileReader, JSON of the usual shape', () => {
  it.each([
    ['ASCII', 'west'],
    ['characters of several bytes', 'west-é-名'],
  ])('reads a first version whose text is %s, every service at its place', (_, zone) => {
    const text = json(mesh(3)).replace(/"zone": "z1"/g, `"zone": "${zone}"`);
    const reading = read(new ServicesFileReader(), text);
    expect(summary(reading).changed).toEqual([
      's0.test 10.0.0.1,10.0.0.2',
      's1.test 10.0.1.1,10.0.1.2',
      's2.test 10.0.2.1,10.0.2.2',
    ]);
    const zones = reading.valid
      ? reading.changed.flatMap((s) => s.instances.map((i) => i.locality?.zone))
      : [];
    expect(zones).toEqual(Array(6).fill(zone));
  });

  it('takes a change of whitespace between services for no change at all', () => {
    const reader = new ServicesFileReader();
    const text = json(mesh(3));
    read(reader, text);
    expect(summary(read(reader, text.replace(/,\n/g, ' ,  \n\n'))).changed).toEqual([]);
  });

  it('refuses the same service written twice', () => {
    const reader = new ServicesFileReader();
    const services = mesh(2);
    read(reader, json(services));
    const reading = read(reader, json([...services, services[1] as Service]));
    expect(!reading.valid && reading.problems.map((p) => p.message)).toEqual([
      'duplicate hostname "s1.test": services[1] has it already',
    ]);
  });

  it('refuses a duplicate key inside a changed service, as JSON.parse alone would not', () => {
    const reader = new ServicesFileReader();
    read(reader, json(mesh(2)));
    const reading = read(
      reader,
      json(mesh(2)).replace('"hostname": "s1.test"', '"hostname": "s1.test", "hostname": "x.test"'),
    );
    expect(!reading.valid && reading.problems.map((p) => p.message)).toEqual(['Map keys must be unique']);
  });
});

describe('ServicesFileReader, YAML with aliases', () => {
  it('refuses aliases that would make its JSON more than 4 characters per character of the file', () => {
    const long = 'x'.repeat(5000);
    const text = [
      `common: &long "${long}"`,
      'services:',
      '  - hostname: web.test',
      '    ports: [{ name: http, port: 80 }]',
      `    labels: { ${Array.from({ length: 10 }, (_, i) => `l${i}: *long`).join(', ')} }`,
      '',
    ].join('\n');
    const reading = read(new ServicesFileReader(), text, 'services.yaml');
    expect(!reading.valid && reading.problems.map(formatProblem)).toEqual([
      `services.yaml: aliases expand the services to more than ${4 * text.length + 4096} characters of JSON, ` +
        `the limit for ${text.length} characters: write the repeated parts out instead`,
    ]);
  });
});

describe('ServicesFileReader.readQuickly', () => {
  const bytes = (text: string) => Buffer.from(text, 'utf8');

  it('tells a small edit of a JSON file, and goes on from it', () => {
    const reader = new ServicesFileReader();
    reader.read(bytes(json(mesh(3))), 'services.json');
    const edited = [mesh(3)[0], { hostname: 's1.test', addresses: ['10.4.0.1'] }, mesh(3)[2]] as Service[];
    expect(summary(reader.readQuickly(bytes(json(edited)), 1024) as FileReading)).toEqual({
      complete: false,
      changed: ['s1.test 10.4.0.1'],
      removed: [],
      total: 3,
    });
    expect(summary(reader.readQuickly(bytes(json(edited)), 1024) as FileReading).changed).toEqual([]);
  });

  it('leaves to `read` a first version, YAML, a change larger than allowed, and any problem, changing nothing', () => {
    const reader = new ServicesFileReader();
    expect(reader.readQuickly(bytes(json(mesh(3))), 1 << 20)).toBeUndefined();
    reader.read(bytes(json(mesh(3))), 'services.json');
    const base = reader.base();
    expect(reader.readQuickly(bytes(yaml(mesh(3))), 1 << 20)).toBeUndefined();
    expect(reader.readQuickly(bytes(json(mesh(5))), 100)).toBeUndefined();
    const bad = json([...mesh(3), { hostname: 'bad.test', addresses: ['10.0.0.x'] }]);
    expect(reader.readQuickly(bytes(bad), 1 << 20)).toBeUndefined();
    expect(reader.base()).toBe(base);
  });
});
