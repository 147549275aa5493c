import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  checkAdapterFactory,
  formatProblem,
  silentLogger,
  validateAdapterOptions,
  type AdapterContext,
} from '@sextant/core';
import { waitFor } from '@sextant/testkit';
import { FakeKubernetesApi, k8sService } from '@sextant/testkit/kubernetes';
import * as kubernetesModule from '../src';
import { chooseConfigSource } from '../src/config-source';
import { resyncPeriodMs } from '../src/options';
import { AdapterWorld, FAST_TIMING } from './support/run-adapter';

const context = (dir: string, env: Record<string, string> = {}): AdapterContext => ({
  name: 'k8s',
  logger: silentLogger,
  baseDir: dir,
  resolvePath: (path) => resolve(dir, path),
  env,
});

describe('kubernetes adapter: options and configuration', () => {
  const factory = checkAdapterFactory(kubernetesModule, 'kubernetes');

  it('is what the daemon loads for type: kubernetes, with defaults applied by its schema', () => {
    expect(factory).toBe(kubernetesModule.adapter);
    const options: Record<string, unknown> = {};
    expect(validateAdapterOptions(factory, options)).toEqual([]);
    expect(options).toEqual({ clusterDomain: 'cluster.local', resyncPeriod: '30m' });
  });

  it('refuses options it cannot use, naming each option path', () => {
    const problems = validateAdapterOptions(
      factory,
      {
        namespaces: ['default', 'Bad_NS'],
        clusterDomain: 'cluster..local',
        resyncPeriod: '5',
        kubeConfig: 'x',
      },
      { at: ['adapters', 1] },
    );
    expect(problems.map(formatProblem)).toEqual([
      'adapters[1].kubeConfig: unknown field (did you mean "kubeconfig"?)',
      expect.stringMatching(/^adapters\[1\]\.namespaces\[1\]: "Bad_NS" is not a namespace name/),
      expect.stringMatching(/^adapters\[1\]\.clusterDomain: "cluster\.\.local" is not a DNS name/),
      'adapters[1].resyncPeriod: not a duration (write it like 100ms, 1s, 5m or 1m30s) ("5")',
    ]);
  });

  it('relists at most once a minute, or never with 0s', () => {
    expect(resyncPeriodMs({ resyncPeriod: '10s' })).toBe(60_000);
    expect(resyncPeriodMs({ resyncPeriod: '0s' })).toBe(0);
    expect(resyncPeriodMs({})).toBe(30 * 60_000);
  });

  describe('choosing where to connect', () => {
    const choose = (options: object, env: Record<string, string> = {}) =>
      chooseConfigSource(options, context('/etc/sextant', env));

    it('prefers the kubeconfig option, relative to the config file', () => {
      expect(
        choose({ kubeconfig: 'k/east.yaml', context: 'east' }, { KUBERNETES_SERVICE_HOST: '10.96.0.1' }),
      ).toEqual({
        valid: true,
        source: {
          kind: 'kubeconfig',
          file: '/etc/sextant/k/east.yaml',
          chosenBy: 'kubeconfig',
          context: 'east',
        },
      });
    });

    it('runs in-cluster when KUBERNETES_SERVICE_HOST is set, and refuses a context there', () => {
      expect(choose({}, { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' })).toEqual({
        valid: true,
        source: { kind: 'in-cluster', pathPrefix: '', host: '10.96.0.1', port: '443' },
      });
      const refused = choose({ context: 'east' }, { KUBERNETES_SERVICE_HOST: '10.96.0.1' });
      expect(refused.valid).toBe(false);
      expect(refused.valid ? undefined : refused.problem.path).toBe('context');
    });

    it('falls back to $KUBECONFIG’s first file, then ~/.kube/config', () => {
      expect(choose({}, { KUBECONFIG: '/a/one:/a/two', HOME: '/home/op' })).toMatchObject({
        source: { file: '/a/one', chosenBy: '$KUBECONFIG' },
      });
      expect(choose({}, { HOME: '/home/op' })).toMatchObject({ source: { file: '/home/op/.kube/config' } });
    });
  });

  describe('check (sextant validate)', () => {
    let world: AdapterWorld;
    beforeEach(async () => {
      world = await AdapterWorld.start();
    });
    afterEach(() => world.close());
    const check = (options: object, env: Record<string, string> = {}) =>
      kubernetesModule.adapter.check?.(options, context(world.dir, env)) ?? Promise.resolve([]);

    it('accepts a kubeconfig that names a usable context', async () => {
      expect(await check({ kubeconfig: world.kubeconfig() })).toEqual([]);
    });

    it('names the option when the kubeconfig is missing or lacks the context', async () => {
      expect(await check({ kubeconfig: 'nope.yaml' })).toEqual([
        {
          path: 'kubeconfig',
          message: `cannot load ${join(world.dir, 'nope.yaml')} (from kubeconfig): it does not exist`,
        },
      ]);
      const file = world.kubeconfig();
      expect(await check({ kubeconfig: file, context: 'west' })).toEqual([
        { path: 'context', message: `no context "west" in ${file} (it has: fake)` },
      ]);
    });

    it('reports an in-cluster run without a service account', async () => {
      const [problem] = await check({}, { KUBERNETES_SERVICE_HOST: '127.0.0.1' });
      expect(problem?.message).toMatch(
        /^running in-cluster, but cannot read .*\/var\/run\/secrets\/kubernetes\.io\/serviceaccount\/token/,
      );
    });
  });

  describe('running with a configuration that cannot be used yet', () => {
    let world: AdapterWorld;
    beforeEach(async () => {
      world = await AdapterWorld.start();
    });
    afterEach(() => world.close());

    it('stays syncing with the reason until the kubeconfig appears', async () => {
      world.fake.put(k8sService({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
      const file = join(world.dir, 'late-kubeconfig');
      const a = world.run({ kubeconfig: file });
      await waitFor(() => a.sink.detail !== undefined);
      expect(a.sink.status).toBe('syncing');
      expect(a.sink.detail).toBe(`kubeconfig: cannot load ${file} (from kubeconfig): it does not exist`);
      world.fake.writeKubeconfig(file, { token: 'test-token' });
      await a.ready();
      expect(a.sink.services.has('web.default.svc.cluster.local')).toBe(true);
    });

    it('names a context the kubeconfig lacks', async () => {
      const file = world.kubeconfig();
      const a = world.run({ kubeconfig: file, context: 'west' });
      await waitFor(() => a.sink.detail !== undefined);
      expect(a.sink.detail).toBe(`context: no context "west" in ${file} (it has: fake)`);
    });
  });

  describe('in-cluster, with the service account’s rotating token', () => {
    let fake: FakeKubernetesApi;
    let world: AdapterWorld;
    beforeEach(async () => {
      world = await AdapterWorld.start();
      fake = await FakeKubernetesApi.start({ tls: true, tokens: ['sa-token-1'], bookmarkIntervalMs: 0 });
    });
    afterEach(async () => {
      await world.close();
      await fake.close();
    });

    it('connects over HTTPS with the mounted CA and token, and re-reads the token after a 401', async () => {
      fake.put(k8sService({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
      const account = fake.writeServiceAccount(join(world.dir, 'pod'), 'sa-token-1');
      const a = world.run(
        {},
        { timing: FAST_TIMING, inClusterPathPrefix: account.pathPrefix },
        { env: { ...account.env } },
      );
      await a.ready();
      await waitFor(() => fake.openWatches() === 4);

      // The kubelet rotates the projected token; the API server stops accepting the old one.
      writeFileSync(account.tokenFile, 'sa-token-2');
      fake.setTokens(['sa-token-2']);
      fake.endWatches();
      fake.put(k8sService({ name: 'api', ports: [{ name: 'grpc', port: 9090 }] }));
      await waitFor(() => a.sink.services.has('api.default.svc.cluster.local'));
      expect(fake.requests.some((r) => r.token === 'sa-token-2' && r.status === 200)).toBe(true);
      expect(a.sink.statuses()).not.toContain('degraded');
    });
  });
});
