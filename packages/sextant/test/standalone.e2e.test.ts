import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { waitFor } from '@sextant/testkit';
import { FakeConsul } from '@sextant/testkit/consul';
import { FakeKubernetesApi, k8sService } from '@sextant/testkit/kubernetes';
import { FakeNomad } from '@sextant/testkit/nomad';
import { runCli, sextantCommand, startDaemon, tempDir } from './daemon-process';

/**
 * What a standalone sextant must do on its own, whether run from the built package or as the
 * single-file binary (SEXTANT_BINARY): everything it needs travels with it, and what it loads
 * from the file system (configs, third-party adapters) is found from the config's directory.
 */

const LISTEN = `
listen:
  discovery: \${DISCOVERY}
  admin: \${ADMIN}
  xds: 127.0.0.1:0
debounce: { after: 20ms, max: 200ms }
log: { level: warn }
`;

/** A third-party adapter with no dependencies: one service with one instance, from its options. */
const STATIC_ADAPTER = `'use strict';
module.exports = {
  apiVersion: 1,
  type: 'static-one',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['hostname', 'address'],
    properties: { hostname: { type: 'string' }, address: { type: 'string' } },
  },
  create(options) {
    return {
      async run(sink, signal) {
        sink.replaceAll({
          services: [{ hostname: options.hostname, ports: [{ name: 'http', port: 80, protocol: 'http' }] }],
          instances: [{ hostname: options.hostname, address: options.address, port: 8080, portName: 'http' }],
        });
        sink.setStatus('ready');
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      },
    };
  },
};
`;

interface RegistryView {
  adapters: { name: string; status: string }[];
  services: { hostname: string; origin: string }[];
}

async function sdsAddresses(discovery: string, key: string): Promise<string[]> {
  const response = await fetch(`${discovery}/v1/registration/${encodeURIComponent(key)}`);
  if (response.status !== 200) return [];
  return ((await response.json()) as { hosts: { ip_address: string }[] }).hosts.map((h) => h.ip_address);
}

// eslint-disable-next-line no-control-regex
const stripColours = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');

// Each test starts processes one after another: slow on a loaded machine, so generous deadlines.
jest.setTimeout(90_000);

describe('sextant standing alone', () => {
  it('prints the version of @sextant/cli', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    const { code, stdout } = await runCli(['--version']);
    expect(stdout).toBe(`${version}\n`);
    expect(code).toBe(0);
  });

  it('runs every built-in adapter in one daemon, each against its platform', async () => {
    const [consul, nomad, kubernetes] = await Promise.all([
      FakeConsul.start(),
      FakeNomad.start(),
      FakeKubernetesApi.start(),
    ]);
    const dir = tempDir();
    try {
      consul.addInstance({ service: 'web', address: '10.0.1.11', port: 8080 });
      nomad.register({ ServiceName: 'api', Address: '10.0.2.21', Port: 9090, AllocID: 'api-1' });
      kubernetes.put(k8sService({ name: 'shop', ports: [{ name: 'http', port: 80 }] }));
      kubernetes.writeKubeconfig(path.join(dir, 'kubeconfig'));
      fs.writeFileSync(
        path.join(dir, 'services.yaml'),
        'services:\n  - hostname: db.vm.local\n    ports: [{ name: tcp, port: 5432, protocol: tcp }]\n    instances: [{ address: 10.0.3.31 }]\n',
      );
      const config = [
        LISTEN,
        'adapters:',
        '  - { type: file, path: services.yaml }',
        `  - { type: consul, address: "${consul.url}" }`,
        `  - { type: nomad, address: "${nomad.url}" }`,
        '  - { type: kubernetes, kubeconfig: kubeconfig }',
        '',
      ].join('\n');
      const env = { ...process.env };
      delete env.KUBERNETES_SERVICE_HOST;
      const daemon = await startDaemon(dir, config, [], { env });
      try {
        await waitFor(async () => (await fetch(`${daemon.admin}/readyz`)).ok, {
          timeoutMs: 30_000,
          message: () => `readiness:\n${daemon.output()}`,
        });
        const registry = (await (await fetch(`${daemon.admin}/debug/registry`)).json()) as RegistryView;
        expect(registry.adapters.map((a) => `${a.name} ${a.status}`).sort()).toEqual([
          'consul ready',
          'file ready',
          'kubernetes ready',
          'nomad ready',
        ]);
        expect(new Set(registry.services.map((s) => s.origin))).toEqual(
          new Set(['file', 'consul', 'nomad', 'kubernetes']),
        );
        expect(await sdsAddresses(daemon.discovery, 'db.vm.local|tcp')).toEqual(['10.0.3.31']);
        expect(await sdsAddresses(daemon.discovery, 'web.service.dc1.consul|http')).toEqual(['10.0.1.11']);
      } finally {
        await daemon.terminate();
      }
    } finally {
      await Promise.all([consul.close(), nomad.close(), kubernetes.close()]);
    }
  });

  it('loads a third-party adapter by path, and one installed as a package beside the config', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'static-one.js'), STATIC_ADAPTER);
    const packageDir = path.join(dir, 'node_modules', 'sextant-adapter-static-one');
    fs.mkdirSync(packageDir, { recursive: true });
    fs.writeFileSync(
      path.join(packageDir, 'package.json'),
      '{ "name": "sextant-adapter-static-one", "main": "main.js" }',
    );
    fs.writeFileSync(path.join(packageDir, 'main.js'), STATIC_ADAPTER);
    const config = [
      LISTEN,
      'adapters:',
      '  - { name: by-path, type: ./static-one.js, hostname: a.example, address: 10.0.0.1 }',
      '  - { name: by-name, type: sextant-adapter-static-one, hostname: b.example, address: 10.0.0.2 }',
      '',
    ].join('\n');

    fs.writeFileSync(path.join(dir, 'check.yaml'), config.replace(/\$\{(DISCOVERY|ADMIN)\}/g, '127.0.0.1:0'));
    const validated = await runCli(['validate', '--config', path.join(dir, 'check.yaml')]);
    expect(validated.stderr).toBe('');
    expect(validated.code).toBe(0);

    const daemon = await startDaemon(dir, config);
    try {
      await waitFor(async () => (await sdsAddresses(daemon.discovery, 'b.example|http')).length > 0, {
        timeoutMs: 30_000,
        message: () => `the adapters' services:\n${daemon.output()}`,
      });
      expect(await sdsAddresses(daemon.discovery, 'a.example|http')).toEqual(['10.0.0.1']);
      expect(await sdsAddresses(daemon.discovery, 'b.example|http')).toEqual(['10.0.0.2']);
    } finally {
      await daemon.terminate();
    }
  });

  it('writes human-readable logs on a terminal', async () => {
    // A listener that cannot be opened ends the run by itself, after logging at two levels.
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as net.AddressInfo;
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'services.yaml'), 'services: []\n');
    const config = path.join(dir, 'sextant.yaml');
    fs.writeFileSync(
      config,
      `listen: { discovery: "127.0.0.1:0", admin: "127.0.0.1:${port}", xds: "127.0.0.1:0" }\nadapters: [{ type: file, path: services.yaml }]\n`,
    );
    const [command, args] = sextantCommand(['--config', config]);
    const quoted = [command, ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
    try {
      // util-linux `script` runs the command on a pseudo-terminal.
      const child = spawn('script', ['--quiet', '--return', '--command', quoted, '/dev/null'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000, // it ends by itself; this only bounds a hang
        killSignal: 'SIGKILL',
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      const text = stripColours(output);
      expect(code).toBe(1);
      expect(text).toMatch(/INFO: discovery listening/);
      expect(text).toMatch(/FATAL: cannot open the admin listener/);
      expect(text).not.toContain('{"level"');
    } finally {
      taken.close();
    }
  });
});
