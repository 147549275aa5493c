import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '@sextant/core';
import { RequestRecorder, waitFor } from '@sextant/testkit';
import { FakeNomad, type FakeNomadOptions } from '@sextant/testkit/nomad';
import type { NomadAdapterOptions } from '../src';
import { recordingLogger, runAdapter, type RunningAdapter } from './support/run-adapter';

const web = (address: string) => ({ ServiceName: 'web', Address: address, Port: 8080 });

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A log as an operator's log shipper gets it: errors with their message, stack and cause. */
function logText(entries: readonly unknown[]): string {
  return JSON.stringify(entries, (_key, value: unknown) =>
    value instanceof Error ? { message: value.message, stack: value.stack, cause: value.cause } : value,
  );
}

describe('nomad adapter: credentials never leave', () => {
  let nomad: FakeNomad;
  const running: RunningAdapter[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((a) => a.stop()));
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await nomad.close();
  });

  async function startNomad(options: FakeNomadOptions): Promise<FakeNomad> {
    nomad = await FakeNomad.start(options);
    return nomad;
  }

  function start(options: NomadAdapterOptions, registry?: Registry): RunningAdapter {
    const adapter = runAdapter(
      { address: nomad.url, ...options },
      registry ? { forwardTo: registry.sink('nomad') } : {},
    );
    running.push(adapter);
    return adapter;
  }

  const settled = (watches: number) =>
    waitFor(() => nomad.parkedQueries() === watches, {
      message: () => `${watches} parked queries (now ${nomad.parkedQueries()})`,
    });

  it('follows no redirect: the target never gets the token, and the redirect is a fault naming it', async () => {
    const target = await RequestRecorder.start();
    cleanups.push(() => target.close());
    const token = 'nomad-redirected-token-9e41';
    await startNomad({ acl: { tokens: { [token]: { read: '*' } } } });
    nomad.register(web('10.0.0.1'));
    const a = start({ token });
    await a.waitForStatus('ready');
    await settled(2);

    // A proxy in front of Nomad now sends every request to another port.
    nomad.failNext({ redirectTo: target.url, times: Infinity });
    nomad.dropConnections();
    const redirect = (path: string) =>
      `Nomad answered 307 redirecting to ${target.url}${path}; ` +
      'redirects are not followed so the token is not sent elsewhere';
    // Both watches fail, each naming where it was sent.
    const both = `listing services: ${redirect('/v1/services')}; namespace default: ${redirect('/v1/service/web')}`;
    await waitFor(() => a.sink.status === 'degraded' && a.sink.detail === both, {
      message: () => `degraded: ${both} (now ${a.sink.status}: ${a.sink.detail ?? ''})`,
    });
    // Retried with backoff, each time refused again; the target hears nothing.
    const before = nomad.requests.length;
    await waitFor(() => nomad.requests.length >= before + 4, { message: 'retries' });
    expect(target.carrying(token)).toEqual([]);
    expect(target.requests).toEqual([]);
    expect(a.sink.status).toBe('degraded');

    nomad.clearFaults();
    await a.waitForStatus('ready');
  });

  it('never shows or logs a token Nomad echoes in an error, the rotated one from the token file included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sextant-nomad-echo-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const registryLogger = recordingLogger();
    const registry = new Registry({ adapters: ['nomad'], logger: registryLogger });
    cleanups.push(() => registry.close());
    const [first, second] = ['nomad-echoed-first-51d2', 'nomad-echoed-second-0c7e'];
    writeFileSync(join(dir, 'token'), `${first}\n`);
    await startNomad({ acl: { tokens: { [first]: { read: '*' } } } });
    nomad.register(web('10.0.0.1'));
    const a = start({ tokenFile: join(dir, 'token') }, registry);
    await a.waitForStatus('ready');
    await settled(2);

    const echoing = () => {
      nomad.failNext({
        status: 500,
        body: (request) => `failed to resolve ACL token ${request.token ?? ''}: no such token`,
        times: Infinity,
      });
      nomad.dropConnections();
    };
    echoing();
    const echoed = 'Nomad answered 500 "failed to resolve ACL token <redacted>: no such token"';
    await a.waitForStatus(
      'degraded',
      new RegExp(`^listing services: ${escape(echoed)}; namespace default: ${escape(echoed)}$`),
    );
    nomad.clearFaults();
    await a.waitForStatus('ready');

    // The token is rotated: the file is read again after a 403, and Nomad echoes the new token.
    await settled(2);
    nomad.acl.setToken(second, { read: '*' });
    nomad.acl.revokeToken(first);
    writeFileSync(join(dir, 'token'), `${second}\n`);
    nomad.dropConnections();
    await waitFor(() => nomad.requests.filter((r) => r.token === second).length >= 2);
    echoing();
    await waitFor(() => nomad.requests.filter((r) => r.token === second).length >= 4);
    await a.waitForStatus(
      'degraded',
      /namespace default: Nomad answered 500 "failed to resolve ACL token <redacted>/,
    );

    const shown = JSON.stringify(registry.adapterStatuses());
    const logged = `${logText(a.logger.entries)}\n${logText(registryLogger.entries)}`;
    for (const token of [first, second]) {
      expect(shown).not.toContain(token);
      expect(logged).not.toContain(token);
      expect(JSON.stringify(a.sink.calls)).not.toContain(token);
    }
    expect(registry.adapterStatuses()[0]).toMatchObject({ status: 'degraded', recentRejections: [] });
  });
});
