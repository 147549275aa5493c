import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitFor } from '@sextant/testkit';
import { tempDir } from './daemon-process';
import { lockForTarballs, npm, npmEnv, pack, REPOSITORY, workspaces, type Packed } from './packed-install';

/**
 * Sextant as npm users get it: every package packed with `npm pack`, then @sextant/cli and the
 * adapter SDK installed from those tarballs into an empty project with `npm install` (offline:
 * third-party packages come from the npm cache, at the versions this repository's lock pins).
 */

const execFileAsync = promisify(execFile);
const INSTALLED = ['@sextant/cli', '@sextant/adapter-kit', '@sextant/testkit'];
/** Specs npm resolves outside a registry: a published package must not carry them. */
const NON_REGISTRY_SPEC =
  /^(file|link|workspace|git(\+\w+)?|github|gitlab|bitbucket|https?):|^(\.{0,2}\/|~\/)|^[\w.-]+\/[\w.-]+(#.*)?$/;

const publishable = () => workspaces().filter((w) => !w.manifest.private);

/** Every file path an `exports` map names. */
function exportTargets(exports: unknown): string[] {
  if (typeof exports === 'string') return [exports];
  if (typeof exports !== 'object' || exports === null) return [];
  return Object.values(exports).flatMap(exportTargets);
}

const normalize = (file: string) => path.posix.normalize(file).replace(/^\.\//, '');

const ADAPTER_SOURCE = `import { ADAPTER_API_VERSION, type AdapterFactory, type RegistrySink } from '@sextant/core';
import { sleep } from '@sextant/adapter-kit';
import type { RecordingSink } from '@sextant/testkit';
import type { FakeConsul } from '@sextant/testkit/consul';

interface Options {
  readonly hostname: string;
}

/** What an adapter's own tests would use. */
export type TestTools = [RecordingSink, FakeConsul];

const factory: AdapterFactory<Options> = {
  apiVersion: ADAPTER_API_VERSION,
  type: 'example',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['hostname'],
    properties: { hostname: { type: 'string' } },
  },
  create: (options) => ({
    async run(sink: RegistrySink, signal: AbortSignal): Promise<void> {
      await sleep(0, signal);
      sink.replaceAll({ services: [{ hostname: options.hostname, ports: [{ name: 'http', port: 80, protocol: 'http' }] }], instances: [] });
      sink.setStatus('ready');
    },
  }),
};
export default factory;
`;

describe('a checkout after `npm ci` and the build', () => {
  it('has an executable node_modules/.bin/sextant, which `npx sextant` runs', async () => {
    const bin = path.join(REPOSITORY, 'node_modules', '.bin', 'sextant');
    expect((await execFileAsync(bin, ['--help'])).stdout).toContain('Usage:');
    expect(
      (await execFileAsync('npx', ['sextant', '--help'], { cwd: REPOSITORY, env: npmEnv() })).stdout,
    ).toContain('Usage:');
  }, 60_000);
});

describe('installing Sextant from its npm tarballs', () => {
  let project: string;
  let packed: Packed[];

  beforeAll(async () => {
    project = tempDir();
    const packs = path.join(project, 'packs');
    fs.mkdirSync(packs);
    packed = await pack(
      publishable().map((w) => w.manifest.name),
      packs,
    );
    const { packageJson, lock } = lockForTarballs(INSTALLED, packed);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify(packageJson, null, 2));
    fs.writeFileSync(path.join(project, 'package-lock.json'), JSON.stringify(lock, null, 2));
    await npm(['install', '--offline', '--no-audit', '--no-fund'], project);
  }, 240_000);

  it('publishes every package but the benchmarks, each with files, types and exports', () => {
    expect(
      workspaces()
        .filter((w) => w.manifest.private)
        .map((w) => w.manifest.name),
    ).toEqual(['@sextant/bench']);
    const problems: string[] = [];
    for (const { manifest: m } of publishable()) {
      if (!m.files?.length) problems.push(`${m.name}: no files list`);
      if (m.main === undefined) continue; // the quickstart example: data files only
      if (!m.types?.endsWith('.d.ts')) problems.push(`${m.name}: types is ${m.types}`);
      const root = (m.exports as Record<string, unknown> | undefined)?.['.'];
      const expected = { types: `./${normalize(m.types ?? '')}`, default: `./${normalize(m.main)}` };
      if (JSON.stringify(root) !== JSON.stringify(expected)) {
        problems.push(`${m.name}: exports["."] is ${JSON.stringify(root)}, not ${JSON.stringify(expected)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('depends on registry versions only, and on sibling packages at their own versions', () => {
    const versions = new Map(publishable().map((w) => [w.manifest.name, w.manifest.version]));
    const problems: string[] = [];
    for (const { manifest } of publishable()) {
      const specs = {
        ...manifest.dependencies,
        ...manifest.optionalDependencies,
        ...manifest.peerDependencies,
      };
      for (const [name, spec] of Object.entries(specs)) {
        if (NON_REGISTRY_SPEC.test(spec))
          problems.push(`${manifest.name}: ${name}@${spec} is not a registry spec`);
        const sibling = workspaces().find((w) => w.manifest.name === name);
        if (sibling?.manifest.private) problems.push(`${manifest.name}: ${name} is not published`);
        if (sibling && versions.get(name) !== spec) {
          problems.push(`${manifest.name}: ${name}@${spec}, but that package is at ${versions.get(name)}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('packs every file that main, types, exports and bin name, and the bin executable', () => {
    const missing: string[] = [];
    for (const tarball of packed) {
      const manifest = publishable().find((w) => w.manifest.name === tarball.name)?.manifest;
      const files = new Map(tarball.files.map((f) => [f.path, f.mode]));
      const named = [
        manifest?.main,
        manifest?.types,
        ...exportTargets(manifest?.exports),
        ...Object.values(manifest?.bin ?? {}),
      ].filter((f): f is string => f !== undefined);
      for (const file of named.map(normalize)) {
        if (!files.has(file)) missing.push(`${tarball.name}: ${file}`);
      }
      for (const bin of Object.values(manifest?.bin ?? {}).map(normalize)) {
        expect({ bin, executable: ((files.get(bin) ?? 0) & 0o111) !== 0 }).toEqual({ bin, executable: true });
      }
      expect(tarball.files.filter((f) => /(^|\/)(test|src)\//.test(f.path))).toEqual([]);
    }
    expect(missing).toEqual([]);
  });

  it('installs an executable `sextant` that validates a config and runs the quickstart', async () => {
    const sextant = path.join(project, 'node_modules', '.bin', 'sextant');
    const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect((await execFileAsync(sextant, ['--version'])).stdout).toBe(`${version}\n`);
    const example = path.join(project, 'node_modules', '@sextant', 'example-quickstart', 'sextant.yaml');
    expect((await execFileAsync(sextant, ['validate', '--config', example])).stdout).toContain(
      'ok, 1 adapter(s): local (file)',
    );

    const [discovery, admin] = [await freePort(), await freePort()];
    const child = spawn(sextant, [], {
      cwd: project,
      env: {
        ...process.env,
        SEXTANT_DISCOVERY: `127.0.0.1:${discovery}`,
        SEXTANT_ADMIN: `127.0.0.1:${admin}`,
        SEXTANT_XDS: '127.0.0.1:0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${admin}/readyz`).catch(() => undefined))?.ok === true,
        { timeoutMs: 30_000, message: () => `the installed quickstart to be ready:\n${output}` },
      );
      const response = await fetch(`http://127.0.0.1:${discovery}/v1/registration`);
      const body = (await response.json()) as { 'service-key': string }[];
      expect(body.map((e) => e['service-key'])).toContain('reviews.default.svc.cluster.local|http');
      // v3 loads protobufjs on first use, from @sextant/envoy's directory in this npm layout
      // (the bundled CLI leaves it out: scripts/bundle.js).
      const v3 = await fetch(`http://127.0.0.1:${discovery}/v3/discovery:clusters`, {
        method: 'POST',
        body: JSON.stringify({
          node: { id: 'sidecar~10.0.0.9~productpage-v1.default~default.svc.cluster.local' },
        }),
      });
      expect(v3.status).toBe(200);
      const clusters = (await v3.json()) as { resources: { name: string }[] };
      expect(clusters.resources.map((r) => r.name)).toContain(
        'outbound|9080||reviews.default.svc.cluster.local',
      );
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  }, 60_000);

  it('lets an adapter author type-check against the installed SDK, and sextant load the result', async () => {
    fs.writeFileSync(path.join(project, 'adapter.ts'), ADAPTER_SOURCE);
    fs.writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'node16',
          moduleResolution: 'node16',
          strict: true,
          skipLibCheck: true,
          outDir: 'built',
          types: ['node'],
          typeRoots: [path.join(REPOSITORY, 'node_modules', '@types')],
        },
        files: ['adapter.ts'],
      }),
    );
    const tsc = path.join(REPOSITORY, 'node_modules', 'typescript', 'bin', 'tsc');
    await execFileAsync(process.execPath, [tsc, '-p', project]).catch((error: { stdout?: string }) => {
      throw new Error(`tsc failed:\n${error.stdout ?? String(error)}`);
    });

    fs.writeFileSync(
      path.join(project, 'sextant.yaml'),
      'adapters:\n  - { name: mine, type: ./built/adapter.js, hostname: a.example }\n',
    );
    const sextant = path.join(project, 'node_modules', '.bin', 'sextant');
    const validated = await execFileAsync(sextant, [
      'validate',
      '--config',
      path.join(project, 'sextant.yaml'),
    ]);
    expect(validated.stdout).toContain('ok, 1 adapter(s): mine (./built/adapter.js)');
    const loaded = await execFileAsync(
      process.execPath,
      [
        '-e',
        "for (const m of process.argv.slice(1)) require(m); console.log('ok')",
        '@sextant/testkit',
        '@sextant/testkit/consul',
        '@sextant/testkit/kubernetes',
        '@sextant/testkit/nomad',
        '@sextant/testkit/envoy-v1',
      ],
      { cwd: project },
    );
    expect(loaded.stdout).toBe('ok\n');
  }, 60_000);
});
