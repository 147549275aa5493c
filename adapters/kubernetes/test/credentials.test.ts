import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redactor } from '@sextant/adapter-kit';
import { Registry } from '@sextant/core';
import { RequestRecorder, waitFor } from '@sextant/testkit';
import { FakeKubernetesApi, k8sService } from '@sextant/testkit/kubernetes';
import { KubeConfig } from '@kubernetes/client-node';
import { rememberAuthorization, rememberKubeConfigCredentials } from '../src/credentials';
import { recordingLogger, type LogRecord } from './support/recording-logger';
import { AdapterWorld, FAST_TIMING, TOKEN } from './support/run-adapter';

/** A log as an operator's log shipper gets it: errors with their message, stack and cause. */
function logText(records: readonly LogRecord[]): string {
  return JSON.stringify(records, (_key, value: unknown) =>
    value instanceof Error ? { message: value.message, stack: value.stack, cause: value.cause } : value,
  );
}

const redirectMessage = (target: string, path: string) =>
  `the API server answered 307 redirecting to ${target}${path}; ` +
  'redirects are not followed so the credentials are not sent elsewhere';

describe('kubernetes adapter: credentials never leave', () => {
  describe('redirects', () => {
    let world: AdapterWorld;
    let target: RequestRecorder;
    beforeEach(async () => {
      world = await AdapterWorld.start();
      target = await RequestRecorder.start();
      world.fake.put(k8sService({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
    });
    afterEach(async () => {
      await world.close();
      await target.close();
    });

    it('follows no redirect on a list: the target never gets the token, and the redirect is a fault naming it', async () => {
      // Another port of the same host: node-fetch would send Authorization along.
      const fault = world.fake.inject({
        status: 307,
        redirectTo: target.url,
        resource: 'services',
        verb: 'list',
      });
      const a = world.run();
      const expected = `services: ${redirectMessage(target.url, '/api/v1/services')}`;
      await waitFor(() => a.sink.status === 'syncing' && a.sink.detail === expected, {
        message: () => `syncing: ${expected} (now ${a.sink.status}: ${a.sink.detail ?? ''})`,
      });
      // Retried with backoff, each time refused again; the target hears nothing.
      await waitFor(() => fault.hits >= 3, { message: 'retries of the list' });
      expect(target.carrying(TOKEN)).toEqual([]);
      expect(target.requests).toEqual([]);
      fault.remove();
      await a.ready();
    });

    it('follows no redirect on a watch either, and says where it was sent', async () => {
      const a = world.run();
      await a.ready();
      await waitFor(() => world.fake.openWatches() === 4, { message: 'four open watches' });
      const fault = world.fake.inject({
        status: 307,
        redirectTo: target.url,
        resource: 'endpointslices',
        verb: 'watch',
      });
      world.fake.endWatches();
      const expected = `endpointslices: ${redirectMessage(target.url, '/apis/discovery.k8s.io/v1/endpointslices')}`;
      await waitFor(() => a.sink.status === 'degraded' && a.sink.detail === expected, {
        message: () => `degraded: ${expected} (now ${a.sink.status}: ${a.sink.detail ?? ''})`,
      });
      expect(target.requests).toEqual([]);
      fault.remove();
      await a.ready();
    });
  });

  describe('echoed credentials', () => {
    let world: AdapterWorld;
    let fake: FakeKubernetesApi;
    let registry: Registry;
    const registryLogger = recordingLogger();
    beforeEach(async () => {
      world = await AdapterWorld.start();
      registry = new Registry({ adapters: ['k8s'], logger: registryLogger });
    });
    afterEach(async () => {
      registry.close();
      await world.close();
      await fake?.close();
    });

    it('never shows or logs a token the API server echoes, the rotated service-account token included', async () => {
      const [first, second] = ['sa-echoed-first-4be1', 'sa-echoed-second-93aa'];
      fake = await FakeKubernetesApi.start({ tls: true, tokens: [first], bookmarkIntervalMs: 0 });
      fake.put(k8sService({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
      const account = fake.writeServiceAccount(join(world.dir, 'pod'), first);
      const echo = (request: { token: string | undefined }) =>
        `Internal error occurred: bearer token ${request.token ?? ''} rejected by the webhook`;
      const echoed = 'Internal error occurred: bearer token <redacted> rejected by the webhook';

      // At start, through client-node's lists.
      const listFault = fake.inject({ status: 500, message: echo, resource: 'services', verb: 'list' });
      const a = world.run(
        {},
        { timing: FAST_TIMING, inClusterPathPrefix: account.pathPrefix },
        { env: { ...account.env } },
        registry.sink('k8s'),
      );
      await waitFor(() => a.sink.status === 'syncing' && a.sink.detail === `services: ${echoed}`, {
        message: () => `syncing with the echo redacted (now ${a.sink.status}: ${a.sink.detail ?? ''})`,
      });
      listFault.remove();
      await a.ready();
      await waitFor(() => fake.openWatches() === 4, { message: 'four open watches' });

      // The kubelet rotates the token; then a watch is answered with an error quoting the new one.
      writeFileSync(account.tokenFile, second);
      fake.setTokens([second]);
      fake.endWatches();
      await waitFor(() => fake.openWatches() === 4 && fake.requests.some((r) => r.token === second), {
        message: 'watches again with the rotated token',
      });
      fake.inject({ status: 500, message: echo, resource: 'endpointslices', verb: 'watch' });
      fake.endWatches();
      await waitFor(() => a.sink.status === 'degraded' && a.sink.detail === `endpointslices: ${echoed}`, {
        message: () => `degraded with the echo redacted (now ${a.sink.status}: ${a.sink.detail ?? ''})`,
      });
      expect(fake.requests.some((r) => r.token === second && r.status === 500)).toBe(true);

      const shown = JSON.stringify(registry.adapterStatuses());
      const logged = `${logText(a.logger.records)}\n${logText(registryLogger.records)}`;
      for (const token of [first, second]) {
        expect(shown).not.toContain(token);
        expect(logged).not.toContain(token);
        expect(JSON.stringify(a.sink.calls)).not.toContain(token);
      }
      expect(registry.adapterStatuses()[0]).toMatchObject({ status: 'degraded', recentRejections: [] });
    });

    it('names where a kubeconfig is not valid YAML without quoting its lines, which hold tokens', async () => {
      const file = join(world.dir, 'broken-kubeconfig');
      writeFileSync(
        file,
        [
          'apiVersion: v1',
          'users:',
          '- name: u',
          '  user:',
          '    token: kubeconfig-token-d41f',
          '  bad: [x',
          'contexts: []',
          '',
        ].join('\n'),
      );
      const a = world.run({ kubeconfig: file });
      await waitFor(() => a.sink.detail !== undefined, { message: 'a status saying why' });
      expect(a.sink.detail).toBe(
        `kubeconfig: cannot load ${file} (from kubeconfig): not valid YAML: ` +
          'missed comma between flow collection entries at line 7, column 1',
      );
      expect(logText(a.logger.records)).not.toContain('kubeconfig-token-d41f');
    });
  });

  describe('what the redactor is told', () => {
    it('learns the tokens, passwords and auth-provider secrets of a kubeconfig', () => {
      const config = new KubeConfig();
      config.loadFromOptions({
        clusters: [{ name: 'c', server: 'https://k8s:6443', skipTLSVerify: false }],
        users: [
          { name: 'a', token: 'user-token-1' },
          { name: 'b', username: 'admin', password: 'basic-password-2' },
          {
            name: 'c',
            authProvider: {
              name: 'oidc',
              config: { 'id-token': 'id-token-3', 'idp-issuer-url': 'https://idp' },
            },
          },
        ],
        contexts: [{ name: 'c', cluster: 'c', user: 'a' }],
        currentContext: 'c',
      });
      const redactor = new Redactor();
      rememberKubeConfigCredentials(config, redactor);
      expect(redactor.redact('user-token-1 basic-password-2 id-token-3 https://idp')).toBe(
        '<redacted> <redacted> <redacted> https://idp',
      );
    });

    it('learns the credential of an Authorization header: a bearer token, a basic-auth pair', () => {
      const redactor = new Redactor();
      rememberAuthorization('Bearer exec-plugin-token', redactor);
      rememberAuthorization(`Basic ${Buffer.from('admin:pa55word').toString('base64')}`, redactor);
      rememberAuthorization(undefined, redactor);
      expect(
        redactor.redact(
          `exec-plugin-token ${Buffer.from('admin:pa55word').toString('base64')} admin:pa55word pa55word`,
        ),
      ).toBe('<redacted> <redacted> <redacted> <redacted>');
    });
  });
});
