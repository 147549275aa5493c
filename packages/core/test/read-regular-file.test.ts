import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileReadError, readRegularFile } from '../src';

const limit = { maxBytes: 64 * 1024 * 1024, setting: 'option maxFileSize' };

/** Why reading `file` fails, as the error says it. */
async function refusal(file: string, sizeLimit = limit): Promise<string> {
  const error = await readRegularFile(file, sizeLimit).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof FileReadError)) throw new Error(`expected a FileReadError, got ${String(error)}`);
  expect(error.file).toBe(file);
  return error.message;
}

describe('readRegularFile', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sextant-read-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a regular file, also through a symlink', async () => {
    const file = join(dir, 'services.yaml');
    writeFileSync(file, 'services: []\n');
    symlinkSync(file, join(dir, 'link.yaml'));
    expect((await readRegularFile(file, limit)).toString()).toBe('services: []\n');
    expect((await readRegularFile(join(dir, 'link.yaml'), limit)).toString()).toBe('services: []\n');
  });

  it('refuses a FIFO at once, without waiting for a writer', async () => {
    const fifo = join(dir, 'services.yaml');
    execFileSync('mkfifo', [fifo]);
    expect(await refusal(fifo)).toBe(`${fifo} is a FIFO, not a regular file`);
  });

  it('refuses a symlink to /dev/zero, which would stream for ever', async () => {
    const link = join(dir, 'services.yaml');
    symlinkSync('/dev/zero', link);
    expect(await refusal(link)).toBe(`${link} is a character device, not a regular file`);
  });

  it('refuses a directory and a missing file, saying which', async () => {
    mkdirSync(join(dir, 'sub'));
    expect(await refusal(join(dir, 'sub'))).toBe(`${join(dir, 'sub')} is a directory, not a regular file`);
    expect(await refusal(join(dir, 'nope.yaml'))).toBe(`${join(dir, 'nope.yaml')} does not exist`);
    expect(await refusal(join(dir, 'nope', 'x.yaml'))).toBe(`${join(dir, 'nope', 'x.yaml')} does not exist`);
  });

  it('refuses a file over the limit before reading it, naming the size, the limit and its setting', async () => {
    const file = join(dir, 'big.yaml');
    // Sparse: 100 MiB that take no disk space, and would take 100 MiB of memory if read.
    writeFileSync(file, '');
    truncateSync(file, 100 * 1024 * 1024);
    expect(await refusal(file)).toBe(
      `${file} is 104857600 bytes; the limit is 67108864 (option maxFileSize)`,
    );
  });

  it('reads no more than the limit allows from a file whose size stat does not tell', async () => {
    // Files of /proc say they are empty, and are not.
    const status = '/proc/self/status';
    expect((await readRegularFile(status, limit)).toString()).toMatch(/^Name:/);
    expect(await refusal(status, { maxBytes: 10, setting: 'fixed' })).toBe(
      `${status} is more than 10 bytes; the limit is 10 (fixed)`,
    );
  });
});
