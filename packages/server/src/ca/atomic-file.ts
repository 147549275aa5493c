import { randomBytes } from 'node:crypto';
import { link, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes `file` so that a reader sees the old contents or the new, never a part: the contents go
 * to a temporary file beside it (created with `mode`, so a key is never readable by others, not
 * even for a moment), flushed, then renamed over it.
 */
export async function writeFileAtomically(file: string, contents: string, mode: number): Promise<void> {
  const temporary = await writeTemporary(file, contents, mode);
  try {
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

/**
 * Like writeFileAtomically, but only when `file` does not exist yet: resolves false (and leaves
 * the file alone) when another process created it first.
 */
export async function createFileAtomically(file: string, contents: string, mode: number): Promise<boolean> {
  const temporary = await writeTemporary(file, contents, mode);
  try {
    await link(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

async function writeTemporary(file: string, contents: string, mode: number): Promise<string> {
  const temporary = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const handle = await open(temporary, 'wx', mode);
  try {
    await handle.writeFile(contents, 'utf8');
    // The mode given to open is masked by the umask; the key's must be exact.
    await handle.chmod(mode);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await handle.close();
  return temporary;
}
