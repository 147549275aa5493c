import fs from 'node:fs';
import path from 'node:path';
import { runCli } from './daemon-process';

/**
 * The Envoy bootstraps committed in examples/ are what `sextant bootstrap` prints for the command
 * their README documents: a change to the generator that would make them drift fails here.
 */

const EXAMPLES = path.resolve(__dirname, '..', '..', '..', 'examples');

// Each CLI run is a process of its own: seconds each when CI runs every suite at once on 2 cores.
jest.setTimeout(120_000);

const read = (...parts: string[]) => fs.readFileSync(path.join(EXAMPLES, ...parts), 'utf8');

describe.each([
  {
    example: 'consul-vm',
    file: 'envoy-v3-ads.json',
    args: [
      '--node',
      'sidecar~10.0.1.11~web-1~service.dc1.consul',
      '--cluster',
      'web',
      '--xds',
      'sextant.service.dc1.consul:15010',
    ],
  },
  {
    example: 'nomad',
    file: 'envoy-v3-ads.json',
    args: ['--node', 'router~127.0.0.1~edge~default.nomad', '--cluster', 'edge', '--xds', '127.0.0.1:15010'],
  },
])('examples/$example/$file', ({ example, file, args }) => {
  it('is documented in the README with the command that prints it, and equals what it prints', async () => {
    expect(read(example, 'README.md')).toContain(`sextant bootstrap ${args.join(' ')} -o ${file}`);
    const printed = await runCli(['bootstrap', ...args]);
    expect([printed.code, printed.stderr]).toEqual([0, '']);
    expect(printed.stdout).toBe(read(example, file));
  });
});

describe('the legacy v1 bootstrap examples/consul-vm/envoy-v1.json', () => {
  it('is what the documented `sextant bootstrap --format envoy-v1` prints', async () => {
    const args = [
      '--format',
      'envoy-v1',
      '--node',
      'sidecar~10.0.1.11~web-1~service.dc1.consul',
      '--cluster',
      'web',
      '--xds',
      'sextant.service.dc1.consul:15003',
    ];
    expect(read('consul-vm', 'README.md').replace(/\s+/g, ' ')).toContain(
      `sextant bootstrap ${args.join(' ')}`,
    );
    const printed = await runCli(['bootstrap', ...args]);
    expect(printed.code).toBe(0);
    expect(JSON.parse(printed.stdout)).toEqual(JSON.parse(read('consul-vm', 'envoy-v1.json')));
  });
});

describe('examples/nomad/edge-v3.nomad.hcl', () => {
  it('embeds envoy-v3-ads.json unchanged as the Envoy bootstrap', () => {
    const job = read('nomad', 'edge-v3.nomad.hcl');
    const embedded = /data\s*=\s*<<-EOT\n([\s\S]*?)\n\s*EOT/.exec(job)?.[1];
    expect(embedded).toBeDefined();
    expect(JSON.parse(embedded ?? '')).toEqual(JSON.parse(read('nomad', 'envoy-v3-ads.json')));
  });
});
