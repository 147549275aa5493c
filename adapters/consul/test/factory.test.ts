import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  checkAdapterFactory,
  formatProblem,
  silentLogger,
  validateAdapterOptions,
  type AdapterContext,
} from '@sextant/core';
import * as consulAdapterModule from '../src';
import { resolveSettings } from '../src/settings';

const context = (env: Record<string, string> = {}, baseDir = '/etc/sextant'): AdapterContext => ({
  name: 'consul',
  logger: silentLogger,
  baseDir,
  resolvePath: (path) => resolve(baseDir, path),
  env,
});

const settings = (options: Record<string, unknown>, env: Record<string, string> = {}) => {
  const result = resolveSettings(options, context(env));
  if (!result.valid) throw new Error(result.problems.map(formatProblem).join('; '));
  return result.value;
};

describe('consul adapter factory and options', () => {
  const factory = checkAdapterFactory(consulAdapterModule, 'consul');

  it('is what the daemon loads for type: consul', () => {
    expect(factory).toBe(consulAdapterModule.adapter);
    expect(factory.type).toBe('consul');
  });

  it('needs no option at all, and fills the documented defaults', () => {
    const options: Record<string, unknown> = {};
    expect(validateAdapterOptions(factory, options)).toEqual([]);
    expect(options).toEqual({
      health: 'passing',
      defaultProtocol: 'http',
      wait: '5m',
      hostname: '{service}.service.{dc}.consul',
      maxConcurrentRequests: 100,
      maxStaleness: '30s',
      datacenterRefresh: '1m',
      rateLimit: { burst: 100, interval: '20ms' },
    });
  });

  it('refuses what it cannot use, naming each option', () => {
    const problems = validateAdapterOptions(
      factory,
      {
        address: 'consul:8500',
        health: 'warning',
        wait: '5',
        datacenters: ['dc 1'],
        services: { include: 'web' },
        maxConcurrentRequests: 2,
        rateLimit: { burst: 0, interval: 'often' },
        acl: true,
      },
      { at: ['adapters', 1] },
    );
    expect(problems.map(formatProblem)).toEqual([
      expect.stringMatching(
        /^adapters\[1\]\.acl: unknown field \(expected one of: address, token, tokenFile, tls,/,
      ),
      'adapters[1].address: not an http:// or https:// URL ("consul:8500")',
      'adapters[1].datacenters[0]: "dc 1" is not a datacenter name (letters, digits, "_" and "-") or "*"',
      'adapters[1].services.include: expected array, got string ("web")',
      'adapters[1].health: expected one of "passing", "passing-or-warning", got "warning"',
      'adapters[1].wait: not a duration of at most 576h (write it like 100ms, 1s, 5m or 1m30s) ("5")',
      'adapters[1].maxConcurrentRequests: must be >= 4 (2)',
      'adapters[1].rateLimit.burst: must be >= 1 (0)',
      'adapters[1].rateLimit.interval: not a duration of at most 576h (write it like 100ms, 1s, 5m or 1m30s) ("often")',
    ]);
  });

  it('takes rules.kvPrefix, a KV prefix read as a folder, and refuses one with a leading slash', () => {
    expect(validateAdapterOptions(factory, { rules: { kvPrefix: 'sextant/rules' } })).toEqual([]);
    expect(settings({ rules: { kvPrefix: 'sextant/rules' } }).rulesKvPrefix).toBe('sextant/rules/');
    expect(settings({ rules: { kvPrefix: 'sextant/rules/' } }).rulesKvPrefix).toBe('sextant/rules/');
    expect(settings({}).rulesKvPrefix).toBeUndefined();
    const problems = validateAdapterOptions(factory, { rules: { kvPrefix: '/sextant/rules/', kv: true } });
    expect(problems.map(formatProblem)).toEqual([
      expect.stringMatching(/^rules\.kv: unknown field/),
      expect.stringMatching(
        /^rules\.kvPrefix: "\/sextant\/rules\/" is not a KV prefix without a leading "\/"/,
      ),
    ]);
  });

  it('requires {service} in the hostname template, and {dc} when several datacenters are served', () => {
    const problems = (options: Record<string, unknown>) =>
      validateAdapterOptions(factory, options).map(formatProblem);
    expect(problems({ hostname: 'web.consul' })).toEqual([
      'hostname: "web.consul" is not a template containing {service}',
    ]);
    expect(problems({ hostname: '{service}.{region}.consul' })).toEqual([
      'hostname: "{service}.{region}.consul" is not a template whose only placeholders are {service} and {dc}',
    ]);
    expect(problems({ hostname: '{service}.service.consul', datacenters: ['dc1'] })).toEqual([]);
    expect(problems({ hostname: '{service}.service.consul' })).toEqual([]);
    expect(problems({ hostname: '{service}.service.consul', datacenters: ['dc1', 'dc2'] })).toEqual([
      'hostname: "{service}.service.consul" is not a template containing {dc}, which several datacenters need',
    ]);
    expect(problems({ hostname: '{service}.service.consul', datacenters: ['*'] })).toEqual([
      'hostname: "{service}.service.consul" is not a template containing {dc}, which several datacenters need',
    ]);
  });

  describe('settings from options and environment', () => {
    it('defaults the address to CONSUL_HTTP_ADDR (scheme optional, CONSUL_HTTP_SSL for https), else 127.0.0.1:8500', () => {
      expect(settings({}).address.href).toBe('http://127.0.0.1:8500/');
      expect(settings({}, { CONSUL_HTTP_ADDR: '10.0.0.5:8500' }).address.href).toBe('http://10.0.0.5:8500/');
      expect(settings({}, { CONSUL_HTTP_ADDR: '10.0.0.5:8501', CONSUL_HTTP_SSL: 'true' }).address.href).toBe(
        'https://10.0.0.5:8501/',
      );
      expect(
        settings({ address: 'https://consul.internal:8501' }, { CONSUL_HTTP_ADDR: '10.0.0.5:8500' }).address
          .href,
      ).toBe('https://consul.internal:8501/');
    });

    it('refuses a unix socket or a garbled CONSUL_HTTP_ADDR, naming the variable', () => {
      const problems = (env: Record<string, string>) => {
        const result = resolveSettings({}, context(env));
        return result.valid ? [] : result.problems.map(formatProblem);
      };
      expect(problems({ CONSUL_HTTP_ADDR: 'unix:///var/run/consul.sock' })).toEqual([
        'env CONSUL_HTTP_ADDR: a unix socket ("unix:///var/run/consul.sock") is not supported: ' +
          "set address to the agent's http:// or https:// URL",
      ]);
      expect(problems({ CONSUL_HTTP_ADDR: 'ftp://x' })).toEqual([
        'env CONSUL_HTTP_ADDR: not an address of the Consul HTTP API ("ftp://x")',
      ]);
    });

    it('takes the token from token, tokenFile, CONSUL_HTTP_TOKEN, CONSUL_HTTP_TOKEN_FILE, in that order', () => {
      const env = { CONSUL_HTTP_TOKEN: 'env-token', CONSUL_HTTP_TOKEN_FILE: 'env.token' };
      expect(settings({ token: 't', tokenFile: 'f' }, env).token).toEqual({ kind: 'value', value: 't' });
      expect(settings({ tokenFile: 'f' }, env).token).toEqual({ kind: 'file', path: '/etc/sextant/f' });
      expect(settings({}, env).token).toEqual({ kind: 'value', value: 'env-token' });
      expect(settings({}, { CONSUL_HTTP_TOKEN_FILE: 'env.token' }).token).toEqual({
        kind: 'file',
        path: '/etc/sextant/env.token',
      });
      expect(settings({}).token).toEqual({ kind: 'none' });
    });

    it('takes TLS files from tls or CONSUL_CACERT and friends, only for an https address', () => {
      const env = {
        CONSUL_CACERT: '/pki/ca.pem',
        CONSUL_CLIENT_CERT: 'client.pem',
        CONSUL_CLIENT_KEY: 'client-key.pem',
        CONSUL_TLS_SERVER_NAME: 'server.dc1.consul',
      };
      expect(settings({ address: 'https://10.0.0.5:8501' }, env).tls).toEqual({
        ca: '/pki/ca.pem',
        cert: '/etc/sextant/client.pem',
        key: '/etc/sextant/client-key.pem',
        serverName: 'server.dc1.consul',
      });
      expect(settings({ address: 'https://10.0.0.5:8501', tls: { ca: 'mine.pem' } }, env).tls?.ca).toBe(
        '/etc/sextant/mine.pem',
      );
      expect(settings({}, env).tls).toBeUndefined();
      const result = resolveSettings({ address: 'http://10.0.0.5:8500', tls: { ca: 'ca.pem' } }, context());
      expect(result.valid ? [] : result.problems.map(formatProblem)).toEqual([
        'tls: given, but the address is http://: use an https:// address for TLS',
      ]);
      const half = resolveSettings({ address: 'https://10.0.0.5:8501', tls: { cert: 'c.pem' } }, context());
      expect(half.valid ? [] : half.problems.map(formatProblem)).toEqual([
        'tls.key: a client certificate needs both cert and key',
      ]);
    });

    it('reads the datacenter selection: the agent’s own, a list, or every one', () => {
      expect(settings({}).datacenters).toEqual({ kind: 'local' });
      expect(settings({ datacenters: ['dc1', 'dc2', 'dc1'] }).datacenters).toEqual({
        kind: 'listed',
        names: ['dc1', 'dc2'],
      });
      expect(settings({ datacenters: ['*'], datacenterRefresh: '30s' }).datacenters).toEqual({
        kind: 'all',
        refreshMs: 30_000,
      });
    });

    it('caps wait at Consul’s maximum of 10 minutes', () => {
      expect(settings({ wait: '1h' }).waitMs).toBe(600_000);
      expect(settings({ wait: '100ms' }).waitMs).toBe(100);
    });
  });

  describe('check (sextant validate)', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sextant-consul-check-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('reads the token file and TLS files without contacting Consul', async () => {
      writeFileSync(join(dir, 'token'), 'secret\n');
      writeFileSync(join(dir, 'ca.pem'), 'PEM');
      const check = consulAdapterModule.adapter.check;
      expect(
        await check?.(
          { address: 'https://127.0.0.1:1', tokenFile: 'token', tls: { ca: 'ca.pem' } },
          context({}, dir),
        ),
      ).toEqual([]);
      const problems = await check?.(
        { address: 'https://127.0.0.1:1', tokenFile: 'missing', tls: { ca: 'nope.pem' } },
        context({}, dir),
      );
      expect(problems?.map(formatProblem)).toEqual([
        `tls.ca: cannot read ${dir}/nope.pem: ENOENT`,
        `tokenFile: cannot read the token file ${dir}/missing: ENOENT`,
      ]);
    });
  });
});
