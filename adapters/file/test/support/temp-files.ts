import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A temp directory with a watched subdirectory (`dir`, holding `file`) and a staging area
 * outside it. `replace` writes the staging file and renames it over `file`: the rename is the
 * one event the watched directory sees, so the next read after that event sees the new bytes.
 */
export class TempFiles {
  readonly root = mkdtempSync(join(tmpdir(), 'sextant-file-'));
  readonly dir = join(this.root, 'config');
  readonly file = join(this.dir, 'services.yaml');
  private staged = 0;

  constructor() {
    mkdirSync(this.dir);
  }

  replace(text: string, file = this.file): void {
    this.replaceWith((staging) => writeFileSync(staging, text), file);
  }

  /** Puts a FIFO where the file was: a read that opens it waits for a writer that never comes. */
  replaceWithFifo(): void {
    this.replaceWith((staging) => execFileSync('mkfifo', [staging]));
  }

  /** Puts a symlink to `target` (e.g. /dev/zero) where the file was. */
  replaceWithSymlink(target: string): void {
    this.replaceWith((staging) => symlinkSync(target, staging));
  }

  /** Puts a sparse file of `bytes` zeros where the file was: huge to read, no disk space taken. */
  replaceWithSparse(bytes: number): void {
    this.replaceWith((staging) => {
      writeFileSync(staging, '');
      truncateSync(staging, bytes);
    });
  }

  private replaceWith(create: (staging: string) => void, file = this.file): void {
    const staging = join(this.root, `staging-${(this.staged += 1)}`);
    create(staging);
    renameSync(staging, file);
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
