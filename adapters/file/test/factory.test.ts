import { resolve } from 'node:path';
import {
  checkAdapterFactory,
  formatProblem,
  silentLogger,
  validateAdapterOptions,
  type AdapterContext,
} from '@sextant/core';
import * as fileAdapterModule from '../src';
import { pollIntervalMs } from '../src/options';
import { TempFiles } from './support/temp-files';

describe('file adapter factory', () => {
  // As the daemon sees it: the module checked, its options untyped until the schema passes them.
  const factory = checkAdapterFactory(fileAdapterModule, 'file');

  it('is what the daemon loads for type: file', () => {
    expect(factory).toBe(fileAdapterModule.adapter);
    expect(factory.type).toBe('file');
  });

  it('requires path and defaults pollInterval to 2s and maxFileSize to 64 MiB', () => {
    const options: Record<string, unknown> = { path: 'services.yaml' };
    expect(validateAdapterOptions(factory, options)).toEqual([]);
    expect(options).toEqual({ path: 'services.yaml', pollInterval: '2s', maxFileSize: 67108864 });
  });

  it('refuses options it does not know or cannot use, naming each', () => {
    const problems = validateAdapterOptions(
      factory,
      { pollInterval: '2', watch: true },
      { at: ['adapters', 0] },
    );
    expect(problems.map(formatProblem)).toEqual([
      'adapters[0].path: missing required field',
      'adapters[0].watch: unknown field (expected one of: path, pollInterval, maxFileSize)',
      'adapters[0].pollInterval: not a duration (write it like 100ms, 1s, 5m or 1m30s) ("2")',
    ]);
  });

  it('never polls faster than every 100 ms', () => {
    expect(pollIntervalMs({ path: 'x', pollInterval: '1ms' })).toBe(100);
    expect(pollIntervalMs({ path: 'x', pollInterval: '1m' })).toBe(60_000);
    expect(pollIntervalMs({ path: 'x' })).toBe(2000);
  });

  describe('check (sextant validate)', () => {
    let files: TempFiles;
    let context: AdapterContext;
    beforeEach(() => {
      files = new TempFiles();
      context = {
        name: 'file',
        logger: silentLogger,
        baseDir: files.root,
        resolvePath: (path) => resolve(files.root, path),
        env: {},
      };
    });
    afterEach(() => files.cleanup());

    const check = (path: string) =>
      fileAdapterModule.adapter.check?.({ path }, context) ?? Promise.resolve([]);

    it('finds nothing wrong with a valid file', async () => {
      files.replace('services: []\n');
      expect(await check('config/services.yaml')).toEqual([]);
    });

    it('reports every problem of an invalid file, located', async () => {
      files.replace(
        'services:\n  - { hostname: "a b", ports: [{ name: http, port: 80 }, { name: http, port: 81 }] }\n',
      );
      expect((await check('config/services.yaml')).map(formatProblem)).toEqual([
        `${files.file}:2:17: services[0].hostname: not a valid hostname ("a b")`,
        `${files.file}:2:66: services[0].ports[1].name: duplicate port name "http": ports[0] has it already`,
      ]);
    });

    it('reports a missing file', async () => {
      expect((await check('config/nope.yaml')).map(formatProblem)).toEqual([
        `${files.dir}/nope.yaml: the file does not exist`,
      ]);
    });

    it('reports a directory given as the file', async () => {
      expect((await check('config')).map(formatProblem)).toEqual([
        `${files.dir}: the file is a directory, not a regular file`,
      ]);
    });
  });

  describe('offlineState (sextant validate checks rules against it)', () => {
    let files: TempFiles;
    let context: AdapterContext;
    beforeEach(() => {
      files = new TempFiles();
      context = {
        name: 'file',
        logger: silentLogger,
        baseDir: files.root,
        resolvePath: (path) => resolve(files.root, path),
        env: {},
      };
    });
    afterEach(() => files.cleanup());

    const offlineState = (path: string) => fileAdapterModule.adapter.offlineState?.({ path }, context);

    it('is what the adapter would report, read once', async () => {
      files.replace(
        'services:\n  - hostname: a.example\n    ports: [{ name: http, port: 80 }]\n    instances: [{ address: 10.0.0.1, labels: { version: v1 } }]\n',
      );
      const state = await offlineState('config/services.yaml');
      expect(state?.services.map((s) => [s.hostname, s.ports])).toEqual([
        ['a.example', [{ name: 'http', port: 80, protocol: 'http' }]],
      ]);
      expect(state?.instances.map((i) => [i.address, i.labels])).toEqual([['10.0.0.1', { version: 'v1' }]]);
    });

    it('is undefined for a file that cannot be used (check says why)', async () => {
      files.replace('services: [{ hostname: "a b" }]\n');
      expect(await offlineState('config/services.yaml')).toBeUndefined();
      expect(await offlineState('config/nope.yaml')).toBeUndefined();
    });
  });
});
