import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';

/** As readRegularFile opens (core/files): never waits on a FIFO or a device swapped in. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/**
 * What tells a file's content from any other: its length and SHA-256. Kept in place of the bytes
 * themselves, which for 10,000 services would hold 10 MB for as long as the file does not change.
 */
export interface ContentDigest {
  readonly size: number;
  readonly sha256: Buffer;
}

export function contentDigest(bytes: Uint8Array): ContentDigest {
  return { size: bytes.length, sha256: createHash('sha256').update(bytes).digest() };
}

export function sameDigest(a: ContentDigest, b: ContentDigest): boolean {
  return a.size === b.size && a.sha256.equals(b.sha256);
}

/**
 * Whether `file` is a regular file holding exactly the content of `expected`, read a piece at a
 * time into `scratch` and hashed as it comes: a poll of a file that did not change (the usual
 * case) allocates next to nothing, where reading it whole would leave a copy of it (10 MB for
 * 10,000 services) to the garbage collector every poll. Hashing costs about what comparing the
 * bytes would. Any doubt — another size, not a regular file, an error — is "no", and the caller
 * reads the file whole.
 */
export async function holdsExactly(file: string, expected: ContentDigest, scratch: Buffer): Promise<boolean> {
  let handle: FileHandle | undefined;
  try {
    const before = await stat(file);
    if (!before.isFile() || before.size !== expected.size) return false;
    handle = await open(file, OPEN_FLAGS);
    const stats = await handle.stat();
    if (!stats.isFile() || stats.size !== expected.size) return false;
    const hash = createHash('sha256');
    let at = 0;
    while (at < expected.size) {
      const { bytesRead } = await handle.read(scratch, 0, Math.min(scratch.length, expected.size - at), at);
      if (bytesRead === 0) return false;
      hash.update(scratch.subarray(0, bytesRead));
      at += bytesRead;
    }
    // Nothing more: it did not grow while read.
    if ((await handle.read(scratch, 0, 1, at)).bytesRead !== 0) return false;
    return hash.digest().equals(expected.sha256);
  } catch {
    return false;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
