import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AdapterContext } from '@sextant/core';
import { RecordingSink, waitFor } from '@sextant/testkit';
import adapter, { type FileAdapterOptions } from '../src';
import { recordingLogger } from './support/recording-logger';
import { TempFiles } from './support/temp-files';

/** A services file with one service, `web.test`, whose instances are at these addresses. */
const webAt = (...addresses: string[]): string =>
  [
    'services:',
    '  - hostname: web.test',
    '    ports: [{ name: http, port: 80 }]',
    '    instances:',
    ...addresses.map((address) => `      - { address: ${address}, port: 8080 }`),
    '',
  ].join('\n');

describe('file adapter', () => {
  let files: TempFiles;
  const running: (() => Promise<void>)[] = [];
  beforeEach(() => (files = new TempFiles()));
  afterEach(async () => {
    await Promise.all(running.splice(0).map((stop) => stop()));
    files.cleanup();
  });

  /** Runs the adapter; the poll is an hour, so everything seen here came through the directory watch. */
  function start(options: Partial<FileAdapterOptions> = {}) {
    const logger = recordingLogger();
    const context: AdapterContext = {
      name: 'file',
      logger,
      baseDir: files.root,
      resolvePath: (path) => resolve(files.root, path),
      env: {},
    };
    const sink = new RecordingSink();
    const controller = new AbortController();
    const done = adapter
      .create({ path: files.file, pollInterval: '1h', ...options }, context)
      .run(sink, controller.signal);
    running.push(async () => {
      controller.abort();
      await done;
    });
    const checks = () => logger.entries.filter((e) => e.msg === 'file checked').length;
    return {
      sink,
      logger,
      /** Addresses of web.test's instances as last reported. */
      addresses: () => sink.services.get('web.test')?.instances.map((i) => i.address),
      errors: () => logger.entries.filter((e) => e.level === 'error'),
      /** Replaces the file (one rename into the watched directory) and waits for the read it causes. */
      async replaceAndWaitForCheck(text: string) {
        const before = checks();
        files.replace(text);
        await waitFor(() => checks() > before, { message: 'the adapter to read the replaced file' });
      },
    };
  }

  it('reports the whole file, then ready', async () => {
    files.replace(webAt('10.0.0.1', '10.0.0.2'));
    const a = start();
    await waitFor(() => a.sink.status === 'ready');
    expect(a.sink.calls.map((call) => call.method)).toEqual(['replaceAll', 'setStatus']);
    expect(a.addresses()).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(a.logger.entries.filter((e) => e.level === 'info').map((e) => e.msg)).toEqual([
      'services file loaded',
    ]);
  });

  it('reloads an edit in place', async () => {
    files.replace(webAt('10.0.0.1'));
    const a = start();
    await waitFor(() => a.sink.status === 'ready');
    writeFileSync(files.file, webAt('10.0.0.1', '10.0.0.2'));
    await waitFor(() => a.addresses()?.length === 2 && a.sink.status === 'ready', {
      message: () => `the edit to show (now ${a.addresses()?.join(', ')}, ${a.sink.status})`,
    });
  });

  it('reloads a file replaced by rename, as editors save', async () => {
    files.replace(webAt('10.0.0.1'));
    const a = start();
    await waitFor(() => a.sink.status === 'ready');
    const temp = join(files.dir, '.services.yaml.swp');
    writeFileSync(temp, webAt('10.0.0.3'));
    renameSync(temp, files.file);
    await waitFor(() => a.addresses()?.[0] === '10.0.0.3', {
      message: () => `10.0.0.3 (now ${a.addresses()})`,
    });
    expect(a.sink.status).toBe('ready');
  });

  it('keeps the last state while the file is deleted, and reloads it when it is created again', async () => {
    files.replace(webAt('10.0.0.1'));
    const a = start();
    await waitFor(() => a.sink.status === 'ready');
    const reports = a.sink.calls.length;

    unlinkSync(files.file);
    await waitFor(() => a.sink.status === 'degraded');
    expect(a.sink.detail).toBe(`${files.file}: the file does not exist`);
    expect(a.sink.calls.slice(reports).map((call) => call.method)).toEqual(['setStatus']);
    expect(a.addresses()).toEqual(['10.0.0.1']);

    files.replace(webAt('10.0.0.2'));
    await waitFor(() => a.sink.status === 'ready');
    expect(a.addresses()).toEqual(['10.0.0.2']);
  });

  it('keeps the last state on a broken edit, reports the problems once, and recovers on a fix', async () => {
    files.replace(webAt('10.0.0.1'));
    const a = start();
    await waitFor(() => a.sink.status === 'ready');
    const reports = a.sink.calls.length;

    const broken = webAt('10.0.0.1', '10.0.0.x');
    await a.replaceAndWaitForCheck(broken);
    await waitFor(() => a.sink.status === 'degraded');
    expect(a.sink.detail).toBe(
      `${files.file}:6:20: services[0].instances[1].address: not an IP address ("10.0.0.x")`,
    );
    expect(a.sink.calls.slice(reports).map((call) => call.method)).toEqual(['setStatus']);
    expect(a.addresses()).toEqual(['10.0.0.1']);
    expect(a.errors()).toEqual([
      expect.objectContaining({
        msg: 'services file cannot be used; keeping the services last loaded from it',
        fields: {
          file: files.file,
          problems: [`${files.file}:6:20: services[0].instances[1].address: not an IP address ("10.0.0.x")`],
        },
      }),
    ]);

    // The same bad bytes again: nothing new to say.
    await a.replaceAndWaitForCheck(broken);
    expect(a.errors()).toHaveLength(1);
    expect(a.sink.calls).toHaveLength(reports + 1);

    files.replace(webAt('10.0.0.1', '10.0.0.2'));
    await waitFor(() => a.sink.status === 'ready');
    expect(a.addresses()).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  describe('an edit reports what it changed, not the whole file', () => {
    /** Services a, b and c.test, one instance each; `at` overrides their addresses. */
    const three = (at: Record<string, string> = {}, only = ['a', 'b', 'c']): string =>
      JSON.stringify({
        services: only.map((name) => ({
          hostname: `${name}.test`,
          ports: [{ name: 'http', port: 80 }],
          instances: [{ address: at[name] ?? '10.0.0.1', port: 8080 }],
        })),
      });

    async function loadedWithThree() {
      files.replace(three());
      const a = start();
      await waitFor(() => a.sink.status === 'ready');
      expect(a.sink.calls.map((call) => call.method)).toEqual(['replaceAll', 'setStatus']);
      return { a, before: a.sink.calls.length };
    }

    it('re-reports only the service whose content changed', async () => {
      const { a, before } = await loadedWithThree();
      files.replace(three({ b: '10.0.0.2' }));
      await waitFor(() => a.sink.calls.length >= before + 2, { message: 'the edit to be reported' });
      const calls = a.sink.calls.slice(before);
      expect(calls.map((call) => call.method)).toEqual(['upsertService', 'setStatus']);
      expect(calls[0]).toMatchObject({
        service: { hostname: 'b.test' },
        instances: [{ address: '10.0.0.2' }],
      });
      expect([...a.sink.services.keys()]).toEqual(['a.test', 'b.test', 'c.test']);
    });

    it('reports a service taken out of the file as removed, and one added as upserted', async () => {
      const { a, before } = await loadedWithThree();
      files.replace(three({}, ['a', 'c', 'd']));
      await waitFor(() => a.sink.calls.length >= before + 3, { message: 'the edit to be reported' });
      expect(a.sink.calls.slice(before)).toEqual([
        { method: 'removeService', hostname: 'b.test' },
        expect.objectContaining({
          method: 'upsertService',
          service: expect.objectContaining({ hostname: 'd.test' }),
        }),
        { method: 'setStatus', status: 'ready' },
      ]);
    });
  });

  it('reports nothing for a rewrite with identical content', async () => {
    files.replace(webAt('10.0.0.1'));
    const a = start();
    await waitFor(() => a.sink.status === 'ready');
    const reports = a.sink.calls.length;
    await a.replaceAndWaitForCheck(webAt('10.0.0.1'));
    expect(a.sink.calls).toHaveLength(reports);
  });

  it('is degraded, never ready, while the file is missing at start', async () => {
    const a = start();
    await waitFor(() => a.sink.status === 'degraded');
    expect(a.sink.detail).toBe(`${files.file}: the file does not exist`);
    expect(a.errors().map((e) => e.msg)).toEqual([
      'services file cannot be used; no services loaded from it yet',
    ]);
    files.replace(webAt('10.0.0.1'));
    await waitFor(() => a.sink.status === 'ready');
    expect(a.sink.statuses()).toEqual(['degraded', 'ready']);
    expect(a.addresses()).toEqual(['10.0.0.1']);
  });

  it('is degraded while the file is invalid at start, showing the first five problems', async () => {
    files.replace(webAt('10.0.0.a', '10.0.0.b', '10.0.0.c', '10.0.0.d', '10.0.0.e', '10.0.0.f', '10.0.0.g'));
    const a = start();
    await waitFor(() => a.sink.status === 'degraded');
    const detail = a.sink.detail ?? '';
    expect(detail).toMatch(/ \(and 2 more\)$/);
    expect(detail.split('; ')).toHaveLength(5);
    expect(
      detail.startsWith(
        `${files.file}:5:20: services[0].instances[0].address: not an IP address ("10.0.0.a")`,
      ),
    ).toBe(true);
    expect(a.sink.calls.map((call) => call.method)).toEqual(['setStatus']);
    expect(a.errors()[0]?.fields.problems).toHaveLength(7);
  });

  it('resolves a relative path against the config file directory', async () => {
    files.replace(webAt('10.0.0.1'));
    const a = start({ path: 'config/services.yaml' });
    await waitFor(() => a.sink.status === 'ready');
    expect(a.addresses()).toEqual(['10.0.0.1']);
  });

  describe('a file that must not freeze or blow up the daemon', () => {
    /** Starts on a good file and waits until it is loaded. */
    async function loaded(options: Partial<FileAdapterOptions> = {}) {
      files.replace(webAt('10.0.0.1'));
      const a = start(options);
      await waitFor(() => a.sink.status === 'ready');
      return a;
    }

    /** The adapter turns degraded with `detail`, keeps what it had, and recovers once the file is good again. */
    async function degradesAndRecovers(a: ReturnType<typeof start>, detail: string) {
      await waitFor(() => a.sink.status === 'degraded', { message: () => `degraded (now ${a.sink.status})` });
      expect(a.sink.detail).toBe(detail);
      expect(a.addresses()).toEqual(['10.0.0.1']);
      files.replace(webAt('10.0.0.2'));
      await waitFor(() => a.sink.status === 'ready' && a.addresses()?.[0] === '10.0.0.2', {
        message: () => `the good file to load again (now ${a.sink.status}: ${a.sink.detail})`,
      });
    }

    it('refuses a 0.5 KB YAML alias bomb at once', async () => {
      const a = await loaded();
      const bomb = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (let i = 1; i <= 9; i += 1)
        bomb.push(
          `l${i}: &l${i} [${Array(9)
            .fill(`*l${i - 1}`)
            .join(',')}]`,
        );
      const text = [...bomb, 'services: *l9', ''].join('\n');
      expect(text.length).toBeLessThan(512);
      files.replace(text);
      await degradesAndRecovers(
        a,
        `${files.file}: aliases expand the document to more than ${2 * text.length + 1000} values, ` +
          `the limit for ${text.length} characters: write the repeated parts out instead`,
      );
    });

    it('refuses a file over the size limit without reading it, 64 MiB by default', async () => {
      const a = await loaded();
      files.replaceWithSparse(100 * 1024 * 1024);
      await degradesAndRecovers(
        a,
        `${files.file}: the file is 104857600 bytes; the limit is 67108864 (option maxFileSize)`,
      );
    });

    it('takes the size limit from the option maxFileSize', async () => {
      const a = await loaded({ maxFileSize: 200 });
      files.replace(webAt('10.0.0.1', '10.0.0.2', '10.0.0.3'));
      await degradesAndRecovers(
        a,
        `${files.file}: the file is ${Buffer.byteLength(webAt('10.0.0.1', '10.0.0.2', '10.0.0.3'))} bytes; ` +
          'the limit is 200 (option maxFileSize)',
      );
    });

    it('refuses a symlink to /dev/zero', async () => {
      const a = await loaded();
      files.replaceWithSymlink('/dev/zero');
      await degradesAndRecovers(a, `${files.file}: the file is a character device, not a regular file`);
    });

    it('refuses a FIFO in place of the file, and reads the file again once it is back', async () => {
      const a = await loaded();
      files.replaceWithFifo();
      await degradesAndRecovers(a, `${files.file}: the file is a FIFO, not a regular file`);
    });

    it('is degraded, never ready, with a FIFO at start, and stops at once', async () => {
      files.replaceWithFifo();
      const logger = recordingLogger();
      const sink = new RecordingSink();
      const controller = new AbortController();
      const context = { name: 'file', logger, baseDir: files.root, resolvePath: (p: string) => p, env: {} };
      const done = adapter
        .create({ path: files.file, pollInterval: '100ms' }, context)
        .run(sink, controller.signal);
      await waitFor(() => sink.status === 'degraded');
      expect(sink.detail).toBe(`${files.file}: the file is a FIFO, not a regular file`);
      // Polls go on reading (and refusing) it; stopping must not wait on any of them.
      await waitFor(() => logger.entries.filter((e) => e.msg === 'file checked').length >= 3);
      controller.abort();
      let stopped = false;
      void done.then(() => (stopped = true));
      await waitFor(() => stopped, { timeoutMs: 2000, message: 'the adapter to stop' });
      expect(sink.statuses()).toEqual(['degraded']);
    });

    it('refuses JSON nested 100,000 levels deep, and JSON with a duplicate key', async () => {
      const a = await loaded();
      files.replace(`{"services": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
      await waitFor(() => a.sink.status === 'degraded');
      expect(a.sink.detail).toBe(`${files.file}: the document is nested more than 64 levels deep`);

      files.replace(webAt('10.0.0.1'));
      await waitFor(() => a.sink.status === 'ready');
      const service = '{ "hostname": "web.test", "ports": [{ "name": "http", "port": 80 }] }';
      files.replace(`{\n  "services": [${service}],\n  "services": []\n}\n`);
      await degradesAndRecovers(a, `${files.file}:3:3: Map keys must be unique`);
    });
  });
});
