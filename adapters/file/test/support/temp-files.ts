import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
    const staging = join(this.root, `staging-${(this.staged += 1)}`);
    writeFileSync(staging, text);
    renameSync(staging, file);
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
