import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../src/cli';
import type { CommandIo } from '../src/cli/command';

/** The CLI in this process: what it prints and the exit code it returns, for one command line. */
async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = {
    env: {},
    cwd: process.cwd(),
    stdout: { fd: -1, write: (chunk: string) => ((stdout += chunk), true) },
    stderr: { write: (chunk: string) => ((stderr += chunk), true) },
  } as unknown as CommandIo;
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('the command table', () => {
  it('suggests the nearest flag of the command, with its usage, and exit 2', async () => {
    const flag = await cli(['status', '--confgi', 'x.yaml']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('sextant status: unknown flag --confgi (did you mean --config?)');
    expect(flag.stderr).toContain('Usage: sextant status ');
    const far = await cli(['bootstrap', '--frobnicate']);
    expect(far.stderr).toContain('sextant bootstrap: unknown flag --frobnicate\n');
  });

  it('suggests the nearest command', async () => {
    const command = await cli(['boostrap', '--node', 'x']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('sextant: unknown command "boostrap" (did you mean bootstrap?)');
    const far = await cli(['serve']);
    expect([far.code, far.stderr.split('\n')[0]]).toEqual([2, 'sextant: unknown command "serve"']);
  });

  it('runs the daemon`s flags without a command name, as before', async () => {
    const result = await cli(['--confg', 'x.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('sextant: unknown flag --confg (did you mean --config?)');
    expect(result.stderr).toContain('Usage: sextant run ');
  });

  it('names a bad option value, a missing argument and an extra one', async () => {
    const value = await cli(['config', 'p', '--type', 'cluster']);
    expect(value.code).toBe(2);
    expect(value.stderr).toContain('--type takes clusters, listeners, routes, endpoints, all, not "cluster"');
    const missing = await cli(['config']);
    expect([missing.code, missing.stderr.split('\n')[0]]).toEqual([2, 'sextant config: missing argument']);
    const extra = await cli(['status', 'now']);
    expect([extra.code, extra.stderr.split('\n')[0]]).toEqual([
      2,
      'sextant status: unexpected argument "now"',
    ]);
  });

  it('lists every command in --help, and each command explains itself with --help', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const name of ['run', 'validate', 'status', 'config', 'bootstrap']) {
      expect(help.stdout).toContain(`  sextant ${name} `);
      const own = await cli([name, '--help']);
      expect([own.code, own.stdout.split('\n')[0]?.startsWith(`Usage: sextant ${name} `)]).toEqual([0, true]);
    }
  });
});

describe('sextant bootstrap', () => {
  it.each([
    [[], '--node ID is required'],
    [['--node', 'x', '--xds', 'sextant'], '--xds: expected host:port, got "sextant"'],
    [['--node', 'x', '--xds', 'h:70000'], '--xds: expected host:port, got "h:70000"'],
    [['--node', 'x', '--xds', '[fe80::zz]:1'], '--xds: expected host:port'],
    [['--node', 'x', '--locality', 'a/b/c/d'], '--locality: expected region[/zone[/subzone]]'],
    [['--node', 'sidecar~10.0.0.1~web'], '--node: '],
    [['--node', 'two words'], '--node: "two words" must be 1-253 printable characters'],
    [['--node', 'x', '--format', 'envoy-v2'], '--format takes envoy-v3, envoy-v1, grpc'],
    [['--node', 'x', '--certs-dir', '/c'], '--certs-dir is for --mtls'],
    [['--node', 'x', '--mtls', '--certs-dir', 'certs'], '--certs-dir: "certs" must be an absolute path'],
  ])('refuses %j with exit 2', async (args, message) => {
    const result = await cli(['bootstrap', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('prints each format for Sextant`s default listener of that format', async () => {
    const v3 = await cli(['bootstrap', '--node', 'edge']);
    expect(v3.stdout).toContain('"port_value": 15010');
    const grpc = JSON.parse((await cli(['bootstrap', '--node', 'n', '--format', 'grpc'])).stdout) as {
      xds_servers: { server_uri: string }[];
    };
    expect(grpc.xds_servers[0]?.server_uri).toBe('127.0.0.1:15010');
    const v1 = await cli(['bootstrap', '--node', 'n', '--format', 'envoy-v1', '--cluster', 'c']);
    expect(v1.code).toBe(0);
    expect(v1.stdout).toContain('"url": "tcp://127.0.0.1:15003"');
    expect(v1.stderr).toBe('note: start Envoy with --service-node n --service-cluster c\n');
  });

  it('brackets an IPv6 --xds in the gRPC server URI and keeps it bare in Envoy`s socket address', async () => {
    const grpc = await cli(['bootstrap', '--node', 'n', '--format', 'grpc', '--xds', '[::1]:15010']);
    expect(grpc.stdout).toContain('"server_uri": "[::1]:15010"');
    const v3 = await cli(['bootstrap', '--node', 'n', '--xds', '[::1]:15010']);
    expect(v3.stdout).toContain('"address": "::1"');
  });

  it('--mtls: certificate providers for gRPC, the SDS files in --certs-dir for Envoy v3', async () => {
    const grpc = await cli(['bootstrap', '--node', 'n', '--format', 'grpc', '--mtls']);
    expect(grpc.code).toBe(0);
    const providers = (JSON.parse(grpc.stdout) as { certificate_providers: unknown }).certificate_providers;
    expect(providers).toEqual({
      default: {
        plugin_name: 'file_watcher',
        config: expect.objectContaining({ certificate_file: '/etc/sextant/certs/cert-chain.pem' }) as unknown,
      },
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-mtls-'));
    try {
      const certs = path.join(dir, 'certs');
      const v3 = await cli(['bootstrap', '--node', 'n', '--mtls', '--certs-dir', certs]);
      expect([v3.code, v3.stderr]).toEqual([
        0,
        `note: wrote the SDS files default.sds.json and rootca.sds.json into ${certs}\n`,
      ]);
      expect(fs.readdirSync(certs).sort()).toEqual(['default.sds.json', 'rootca.sds.json']);
      const rootCa = JSON.parse(fs.readFileSync(path.join(certs, 'rootca.sds.json'), 'utf8')) as unknown;
      expect(rootCa).toEqual({
        resources: [
          {
            '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
            name: 'ROOTCA',
            validation_context: {
              trusted_ca: { filename: path.join(certs, 'root-cert.pem') },
              watched_directory: { path: certs },
            },
          },
        ],
      });
      // A directory that cannot be written: exit 1, saying which.
      fs.writeFileSync(path.join(dir, 'file'), '');
      const blocked = await cli([
        'bootstrap',
        '--node',
        'n',
        '--mtls',
        '--certs-dir',
        path.join(dir, 'file', 'x'),
      ]);
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toContain('sextant bootstrap: --certs-dir ');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
