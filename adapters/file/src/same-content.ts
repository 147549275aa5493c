import { constants } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';

/** As readRegularFile opens (core/files): never waits on a FIFO or a device swapped in. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/**
 * Whether `file` is a regular file holding exactly `bytes`, read a piece at a time into `scratch`
 * and compared as it comes: a poll of a file that did not change (the usual case) allocates
 * nothing, where reading it whole would leave a copy of it (10 MB for 10,000 services) to the
 * garbage collector every poll. Any doubt — another size, not a regular file, an error — is "no",
 * and the caller reads the file whole.
 */
export async function holdsExactly(file: string, bytes: Buffer, scratch: Buffer): Promise<boolean> {
  let handle: FileHandle | undefined;
  try {
    const before = await stat(file);
    if (!before.isFile() || before.size !== bytes.length) return false;
    handle = await open(file, OPEN_FLAGS);
    const stats = await handle.stat();
    if (!stats.isFile() || stats.size !== bytes.length) return false;
    let at = 0;
    while (at < bytes.length) {
      const { bytesRead } = await handle.read(scratch, 0, Math.min(scratch.length, bytes.length - at), at);
      if (bytesRead === 0) return false;
      if (!scratch.subarray(0, bytesRead).equals(bytes.subarray(at, at + bytesRead))) return false;
      at += bytesRead;
    }
    // Nothing more: it did not grow while read.
    return (await handle.read(scratch, 0, 1, at)).bytesRead === 0;
  } catch {
    return false;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
