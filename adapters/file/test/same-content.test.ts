import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contentDigest, holdsExactly } from '../src/same-content';
import { TempFiles } from './support/temp-files';

describe('holdsExactly', () => {
  let files: TempFiles;
  beforeEach(() => (files = new TempFiles()));
  afterEach(() => files.cleanup());

  const content = contentDigest(Buffer.from('x'.repeat(1000) + 'end'));
  // Smaller than the file, so that it is compared a piece at a time.
  const scratch = Buffer.alloc(64);

  it('says yes only for the very same bytes', async () => {
    files.replace(`${'x'.repeat(1000)}end`);
    expect(await holdsExactly(files.file, content, scratch)).toBe(true);
    files.replace(`${'x'.repeat(1000)}END`);
    expect(await holdsExactly(files.file, content, scratch)).toBe(false);
    files.replace(`${'x'.repeat(1000)}end!`);
    expect(await holdsExactly(files.file, content, scratch)).toBe(false);
    files.replace('x');
    expect(await holdsExactly(files.file, content, scratch)).toBe(false);
  });

  it('says no, without waiting, for what is not a regular file or not there', async () => {
    expect(await holdsExactly(join(files.dir, 'missing'), content, scratch)).toBe(false);
    expect(await holdsExactly(files.dir, content, scratch)).toBe(false);
    const fifo = join(files.dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(await holdsExactly(fifo, contentDigest(Buffer.alloc(0)), scratch)).toBe(false);
    writeFileSync(join(files.dir, 'empty'), '');
    expect(await holdsExactly(join(files.dir, 'empty'), contentDigest(Buffer.alloc(0)), scratch)).toBe(true);
  });
});
