import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  AdapterLoadError,
  checkAdapterFactory,
  formatProblem,
  silentLogger,
  validateAdapterOptions,
  type AdapterContext,
} from '@sextant/core';
import * as nomadAdapterModule from '../src';
import type { NomadAdapterOptions } from '../src';
import { resolveSettings } from '../src/settings';

const baseDir = '/etc/sextant';
const context = (env: Record<string, string> = {}): AdapterContext => ({
  name: 'nomad',
  logger: silentLogger,
  baseDir,
  resolvePath: (path) => resolve(baseDir, path),
  env,
});

describe('nomad adapter factory and options', () => {
  const factory = checkAdapterFactory(nomadAdapterModule, 'nomad');

  /** Options as the daemon passes them: through the schema, defaults applied. */
  function validated(options: Record<string, unknown>): { options: NomadAdapterOptions; problems: string[] } {
    const copy = structuredClone(options);
    const problems = validateAdapterOptions(factory, copy, { at: ['adapters', 0] }).map(formatProblem);
    return { options: copy as NomadAdapterOptions, problems };
  }

  it('is what the daemon loads for type: nomad', () => {
    expect(factory).toBe(nomadAdapterModule.adapter);
    expect(factory.type).toBe('nomad');
  });

  it('fills every default', () => {
    expect(validated({})).toEqual({
      problems: [],
      options: {
        namespaces: '*',
        stale: false,
        wait: '5m',
        hostname: '{service}.{namespace}.nomad',
        defaultProtocol: 'http',
        servicePort: 80,
        maxConcurrentRequests: 64,
        maxStaleness: '30s',
        rateLimit: { burst: 100, interval: '20ms' },
        eventStream: true,
        retry: { initial: '1s', max: '30s' },
      },
    });
  });

  it('refuses what it cannot use, naming each option', () => {
    expect(
      validated({
        adress: 'http://nomad:4646',
        address: 'ftp://nomad',
        namespaces: [],
        wait: '5',
        defaultProtocol: 'udp',
        services: { include: 'web' },
      }).problems,
    ).toEqual([
      'adapters[0].adress: unknown field (did you mean "address"?)',
      'adapters[0].address: not an http:// or https:// URL ("ftp://nomad")',
      'adapters[0].namespaces: expected "*", got []',
      'adapters[0].namespaces: must have at least 1 item(s)',
      'adapters[0].wait: not a duration (write it like 100ms, 1s, 5m or 1m30s) ("5")',
      'adapters[0].defaultProtocol: expected one of "http", "http2", "grpc", "tcp", got "udp"',
      'adapters[0].services.include: expected array, got string ("web")',
    ]);
  });

  it('takes {service} and {namespace} in hostname templates, and needs {namespace} for several namespaces', () => {
    expect(validated({ hostname: '{service}.svc.{namespace}.nomad' }).problems).toEqual([]);
    expect(validated({ namespaces: ['default'], hostname: '{service}.nomad' }).problems).toEqual([]);
    expect(validated({ hostname: '{svc}.{namespace}.nomad' }).problems).toEqual([
      'adapters[0].hostname: "{svc}.{namespace}.nomad" is not a template containing {service}',
      'adapters[0].hostname: "{svc}.{namespace}.nomad" is not a template of letters, digits, ".", "_", "-", {service} and {namespace}',
    ]);
    expect(validated({ hostname: '{service}.nomad' }).problems).toEqual([
      'adapters[0].hostname: "{service}.nomad" is not a template containing {namespace}, which several namespaces need',
    ]);
    expect(validated({ namespaces: ['a', 'b'], hostname: '{service}.nomad' }).problems).toHaveLength(1);
  });

  describe('settings from options and the environment', () => {
    const settings = (options: NomadAdapterOptions, env: Record<string, string> = {}) => {
      const result = resolveSettings(validated(options as Record<string, unknown>).options, context(env));
      if (!result.valid) throw new Error(result.problems.map(formatProblem).join('; '));
      return result.value;
    };
    const problems = (options: NomadAdapterOptions, env: Record<string, string> = {}) => {
      const result = resolveSettings(options, context(env));
      return result.valid ? [] : result.problems.map(formatProblem);
    };

    it('defaults to NOMAD_ADDR, NOMAD_TOKEN and NOMAD_REGION, and options win over them', () => {
      expect(settings({}).address.href).toBe('http://127.0.0.1:4646/');
      const fromEnv = settings(
        {},
        { NOMAD_ADDR: 'http://nomad.service:4646', NOMAD_TOKEN: 't0k', NOMAD_REGION: 'eu' },
      );
      expect([fromEnv.address.origin, fromEnv.token, fromEnv.region, fromEnv.mapping.region]).toEqual([
        'http://nomad.service:4646',
        { kind: 'value', value: 't0k' },
        'eu',
        'eu',
      ]);
      const fromOptions = settings(
        { address: 'https://nomad:4646', token: 'mine', region: 'us' },
        { NOMAD_ADDR: 'http://other:4646', NOMAD_TOKEN: 'theirs', NOMAD_REGION: 'eu' },
      );
      expect([fromOptions.address.origin, fromOptions.token, fromOptions.region]).toEqual([
        'https://nomad:4646',
        { kind: 'value', value: 'mine' },
        'us',
      ]);
      expect(settings({ tokenFile: 'secrets/nomad-token' }).token).toEqual({
        kind: 'file',
        path: '/etc/sextant/secrets/nomad-token',
      });
    });

    it('takes TLS files from options (relative to the config) or NOMAD_* variables, for https only', () => {
      const env = {
        NOMAD_CACERT: '/pki/ca.pem',
        NOMAD_CLIENT_CERT: '/pki/cli.pem',
        NOMAD_CLIENT_KEY: '/pki/cli-key.pem',
        NOMAD_TLS_SERVER_NAME: 'server.global.nomad',
      };
      expect(settings({ address: 'https://nomad:4646' }, env).tls).toEqual({
        ca: '/pki/ca.pem',
        cert: '/pki/cli.pem',
        key: '/pki/cli-key.pem',
        serverName: 'server.global.nomad',
      });
      expect(settings({ address: 'https://nomad:4646', tls: { ca: 'ca.pem' } }, env).tls?.ca).toBe(
        '/etc/sextant/ca.pem',
      );
      // A shell exporting NOMAD_CACERT for another cluster does not break a plain-http one.
      expect(settings({ address: 'http://nomad:4646' }, env).tls).toBeUndefined();
    });

    it('reads an empty include or includeTags as no restriction', () => {
      const { selection } = settings({ services: { include: [], includeTags: [], exclude: ['db'] } }).mapping;
      expect(selection.wantsService('web', [])).toBe(true);
      expect(selection.wantsService('db', [])).toBe(false);
      expect(selection.wantsInstance([])).toBe(true);
      const { selection: tagged } = settings({
        services: { include: ['web'], includeTags: ['mesh'] },
      }).mapping;
      expect([tagged.wantsService('web', ['mesh']), tagged.wantsService('api', ['mesh'])]).toEqual([
        true,
        false,
      ]);
      expect([tagged.wantsInstance(['mesh']), tagged.wantsInstance([])]).toEqual([true, false]);
    });

    it('clamps the wait to Nomad’s 5-minute maximum', () => {
      expect(settings({ wait: '10m' }).waitMs).toBe(300_000);
      expect(settings({ wait: '100ms' }).waitMs).toBe(100);
    });

    it('reports what cannot work together, naming the option or variable', () => {
      expect(problems({ token: 'a', tokenFile: 'b' })).toEqual([
        'tokenFile: give token or tokenFile, not both',
      ]);
      expect(problems({ address: 'http://nomad:4646', tls: { ca: 'ca.pem' } })).toEqual([
        'tls: is set, but the address is http://: use https:// to talk TLS to Nomad',
      ]);
      expect(problems({ address: 'https://nomad:4646', tls: { cert: 'c.pem' } })).toEqual([
        'tls.key: a client certificate needs both tls.cert and tls.key (or NOMAD_CLIENT_CERT and NOMAD_CLIENT_KEY)',
      ]);
      expect(problems({}, { NOMAD_ADDR: 'nomad:4646' })).toEqual([
        'NOMAD_ADDR: not an http:// or https:// URL ("nomad:4646")',
      ]);
      expect(problems({ address: 'http://nomad:4646/v1' })).toEqual([
        'address: give the agent\'s address only, like https://nomad.example:4646 ("http://nomad:4646/v1")',
      ]);
    });

    it('refuses to create an adapter with unusable settings, with a named error', () => {
      expect(() => factory.create({}, context({ NOMAD_ADDR: 'nomad:4646' }))).toThrow(AdapterLoadError);
      expect(() => factory.create({}, context({ NOMAD_ADDR: 'nomad:4646' }))).toThrow(
        'adapter "nomad": NOMAD_ADDR: not an http:// or https:// URL ("nomad:4646")',
      );
    });
  });

  describe('check (sextant validate)', () => {
    it('reports token and certificate files that cannot be read', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sextant-nomad-check-'));
      writeFileSync(join(dir, 'ca.pem'), 'x');
      const local: AdapterContext = { ...context(), baseDir: dir, resolvePath: (p) => resolve(dir, p) };
      const options = {
        address: 'https://nomad:4646',
        tokenFile: 'token',
        tls: { ca: 'ca.pem', cert: 'c.pem', key: 'k.pem' },
      };
      expect((await factory.check?.(options, local))?.map(formatProblem)).toEqual([
        `tokenFile: cannot read ${dir}/token: ENOENT`,
        `tls.cert: cannot read ${dir}/c.pem: ENOENT`,
        `tls.key: cannot read ${dir}/k.pem: ENOENT`,
      ]);
      expect(await factory.check?.({}, context())).toEqual([]);
    });
  });
});
