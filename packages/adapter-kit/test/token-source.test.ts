import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redactor, TokenFileError, TokenSource } from '../src';

describe('TokenSource', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sextant-kit-token-'));
    file = join(dir, 'token');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives a token given as a value, or none, and never reads for them', async () => {
    const value = new TokenSource({ kind: 'value', value: 'secret' }, new Redactor());
    expect(value.latest()).toBe('secret');
    expect(await value.get()).toBe('secret');
    expect(await value.changedSince('secret')).toBe(false);
    const none = new TokenSource({ kind: 'none' }, new Redactor());
    expect([await none.get(), none.latest(), await none.changedSince(undefined)]).toEqual([
      undefined,
      undefined,
      false,
    ]);
  });

  it('reads a token file once, trimmed, and keeps it', async () => {
    writeFileSync(file, '  first\n');
    const source = new TokenSource({ kind: 'file', path: file }, new Redactor());
    expect(source.latest()).toBeUndefined();
    expect(await source.get()).toBe('first');
    writeFileSync(file, 'second\n');
    expect(await source.get()).toBe('first');
    expect(source.latest()).toBe('first');
  });

  it('re-reads the file after a refusal, telling whether the token changed', async () => {
    writeFileSync(file, 'first');
    const source = new TokenSource({ kind: 'file', path: file }, new Redactor());
    const used = await source.get();
    expect(await source.changedSince(used)).toBe(false);
    writeFileSync(file, 'second');
    expect(await source.changedSince(used)).toBe(true);
    expect([await source.get(), source.latest()]).toEqual(['second', 'second']);
    // Another request refused with the old token finds the new one without reading again.
    writeFileSync(file, 'third');
    expect(await source.changedSince(used)).toBe(true);
    expect(await source.get()).toBe('second');
  });

  it('fails naming the file, never keeps a failed read, and keeps the last token meanwhile', async () => {
    const source = new TokenSource({ kind: 'file', path: file }, new Redactor());
    const missing = await source.get().catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(TokenFileError);
    expect((missing as TokenFileError).message).toBe(`cannot read the token file ${file}: ENOENT`);
    expect((missing as TokenFileError).problem).toBe('unreadable');
    writeFileSync(file, ' \n');
    await expect(source.get()).rejects.toThrow(`the token file ${file} is empty`);
    writeFileSync(file, 'first');
    expect(await source.get()).toBe('first');
    rmSync(file);
    expect(await source.changedSince('first')).toBe(false);
    expect(source.latest()).toBe('first');
    await expect(source.get()).rejects.toThrow(TokenFileError);
  });

  it('shares one read among concurrent users', async () => {
    writeFileSync(file, 'first');
    const source = new TokenSource({ kind: 'file', path: file }, new Redactor());
    const [a, b] = [source.get(), source.get()];
    expect(a).toBe(b);
    expect(await a).toBe('first');
  });
});
