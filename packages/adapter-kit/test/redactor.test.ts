import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger, RegistrySink } from '@sextant/core';
import { REDACTED, Redactor, TokenSource } from '../src';

interface Written {
  readonly level: string;
  readonly args: readonly unknown[];
  readonly bindings: readonly unknown[];
}

/** A logger keeping its calls as made, with the bindings of the child that made them. */
function keepingLogger(written: Written[], bindings: unknown[] = []): Logger {
  const level = (name: string) =>
    function (this: unknown, ...args: unknown[]) {
      written.push({ level: name, args, bindings });
    };
  return {
    trace: level('trace'),
    debug: level('debug'),
    info: level('info'),
    warn: level('warn'),
    error: level('error'),
    child: (more) => keepingLogger(written, [...bindings, more]),
  };
}

describe('Redactor', () => {
  it('replaces every known credential in a text, a longer one first', () => {
    const redactor = new Redactor();
    redactor.add('abc');
    redactor.add('abc-def');
    redactor.add(undefined);
    redactor.add('');
    redactor.add('  ');
    expect(redactor.size).toBe(2);
    expect(redactor.redact('token abc-def, then abc, then abcabc')).toBe(
      `token ${REDACTED}, then ${REDACTED}, then ${REDACTED}${REDACTED}`,
    );
    expect(redactor.redact('nothing secret')).toBe('nothing secret');
  });

  it('keeps the most recent credentials when rotation adds many', () => {
    const redactor = new Redactor();
    for (let i = 0; i < 100; i += 1) redactor.add(`rotated-token-${String(i).padStart(3, '0')}`);
    expect(redactor.size).toBe(64);
    expect(redactor.redact('rotated-token-099')).toBe(REDACTED);
    expect(redactor.redact('rotated-token-000')).toBe('rotated-token-000');
  });

  it('redacts status details on their way into the sink, and passes data through as it is', () => {
    const redactor = new Redactor();
    const calls: unknown[][] = [];
    const recorded: RegistrySink = {
      replaceAll: (...args) => calls.push(['replaceAll', ...args]),
      upsertService: (...args) => calls.push(['upsertService', ...args]),
      removeService: (...args) => calls.push(['removeService', ...args]),
      replaceRules: (...args) => calls.push(['replaceRules', ...args]),
      setStatus: (...args) => calls.push(['setStatus', ...args]),
    };
    const sink = redactor.sink(recorded);
    redactor.add('s3cret');
    sink.setStatus('degraded', 'Nomad answered 500 "bad token s3cret"');
    sink.setStatus('ready');
    const service = {
      hostname: 'web.example',
      ports: [{ name: 'http', port: 80, protocol: 'http' as const }],
    };
    sink.upsertService(service, [{ address: '10.0.0.1', port: 80, portName: 'http' }]);
    sink.removeService('api.example');
    sink.replaceAll({ services: [service], instances: [] });
    const rule = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'a' },
      spec: {},
    };
    sink.replaceRules('kv', [rule]);
    const problem = {
      file: 'consul-kv:rules/a',
      path: '',
      severity: 'error' as const,
      code: 'syntax',
      message: 'echoed s3cret',
    };
    sink.replaceRules('kv', [], [problem]);
    expect(calls).toEqual([
      ['setStatus', 'degraded', `Nomad answered 500 "bad token ${REDACTED}"`],
      ['setStatus', 'ready'],
      ['upsertService', service, [{ address: '10.0.0.1', port: 80, portName: 'http' }]],
      ['removeService', 'api.example'],
      ['replaceAll', { services: [service], instances: [] }],
      ['replaceRules', 'kv', [rule]],
      ['replaceRules', 'kv', [], [{ ...problem, message: `echoed ${REDACTED}` }]],
    ]);
  });

  it('redacts log messages, fields (errors, causes and nesting included) and child bindings', () => {
    const redactor = new Redactor();
    const written: Written[] = [];
    const logger = redactor.logger(keepingLogger(written));
    redactor.add('s3cret');
    const cause = new Error('socket said s3cret');
    const error = Object.assign(new Error('refused s3cret', { cause }), { code: 'E_s3cret' });
    const child = logger.child({ source: 'file with s3cret' });
    child.warn({ err: error, reasons: ['a s3cret', { deep: 's3cret' }], n: 3 }, 'failing with s3cret');
    logger.info('plain s3cret');
    logger.error({ url: new URL('http://x/?t=s3cret') });
    const everything = JSON.stringify(written);
    expect(everything).not.toContain('s3cret');
    expect(written[0]).toMatchObject({
      level: 'warn',
      bindings: [{ source: `file with ${REDACTED}` }],
      args: [
        {
          err: {
            type: 'Error',
            message: `refused ${REDACTED}`,
            code: `E_${REDACTED}`,
            cause: { type: 'Error', message: `socket said ${REDACTED}` },
          },
          reasons: [`a ${REDACTED}`, { deep: REDACTED }],
          n: 3,
        },
        `failing with ${REDACTED}`,
      ],
    });
    expect((written[0]?.args[0] as { err: { stack: string } }).err.stack).toContain(`refused ${REDACTED}`);
    expect(written[1]?.args).toEqual([`plain ${REDACTED}`]);
    expect(written[2]?.args).toEqual([{ url: `http://x/?t=${REDACTED}` }]);
    // The caller's objects are left as they were.
    expect(error.message).toBe('refused s3cret');
  });

  it('passes log records through untouched while it knows no credential, and bounds cycles and depth', () => {
    const redactor = new Redactor();
    const written: Written[] = [];
    const logger = redactor.logger(keepingLogger(written));
    const fields = { a: 1 };
    logger.info(fields, 'm');
    expect(written[0]?.args[0]).toBe(fields);
    redactor.add('s3cret');
    const cyclic: Record<string, unknown> = { name: 's3cret' };
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = { leaf: 's3cret' };
    for (let i = 0; i < 50; i += 1) deep = { deep };
    logger.info({ cyclic, deep });
    const text = JSON.stringify(written[1]?.args);
    expect(text).toContain('[Circular]');
    expect(text).toContain('[too deep]');
    expect(text).not.toContain('s3cret');
  });

  it('learns the tokens a TokenSource holds: a given one, and each one read from its file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sextant-kit-redactor-'));
    try {
      const given = new Redactor();
      new TokenSource({ kind: 'value', value: 'given-token' }, given);
      expect(given.redact('given-token')).toBe(REDACTED);

      const file = join(dir, 'token');
      writeFileSync(file, 'first-token\n');
      const redactor = new Redactor();
      const source = new TokenSource({ kind: 'file', path: file }, redactor);
      expect(redactor.size).toBe(0);
      await source.get();
      writeFileSync(file, 'second-token\n');
      await source.changedSince('first-token');
      expect(redactor.redact('first-token second-token')).toBe(`${REDACTED} ${REDACTED}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
