import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';

/** How big a file may be, and the setting that says so (named in the error, so an operator knows what to change). */
export interface FileSizeLimit {
  readonly maxBytes: number;
  /** e.g. `option maxFileSize`, or `fixed; see docs/configuration.md`. */
  readonly setting: string;
}

/** An operator's file that cannot be read: the file and, in words, why. */
export class FileReadError extends Error {
  override readonly name = 'FileReadError';
  constructor(
    readonly file: string,
    /** e.g. `does not exist`, `is a FIFO, not a regular file`. */
    readonly reason: string,
  ) {
    super(`${file} ${reason}`);
  }
}

// O_NONBLOCK: opening a FIFO (or a device) that was swapped in after the stat must not wait for a
// writer; a regular file ignores the flag. O_NOCTTY: opening a terminal never makes it ours.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/** What is read in one go after the size from fstat, should the file grow while it is read. */
const GROWTH_CHUNK = 64 * 1024;

/**
 * Reads an operator's file (a services file, the daemon config) whole, refusing anything that
 * could block or stream for ever: only a regular file is read (a symlink is followed to one), one
 * over the limit is refused before a byte is read, and never more than the limit plus one byte is
 * read, even if the file grows meanwhile. Every refusal is a FileReadError saying why in words.
 */
export async function readRegularFile(file: string, limit: FileSizeLimit): Promise<Buffer> {
  // stat first, so that a device or FIFO is never even opened in the usual case; the descriptor
  // is checked again below for one swapped in between.
  const before = await stat(file).catch((error: unknown) => {
    throw new FileReadError(file, errnoReason(error));
  });
  checkStats(file, before, limit);
  let handle: FileHandle;
  try {
    handle = await open(file, OPEN_FLAGS);
  } catch (error) {
    throw new FileReadError(file, errnoReason(error));
  }
  try {
    const stats = await handle.stat();
    checkStats(file, stats, limit);
    return await readAtMost(handle, file, stats.size, limit);
  } catch (error) {
    if (error instanceof FileReadError) throw error;
    throw new FileReadError(file, errnoReason(error));
  } finally {
    await handle.close();
  }
}

function checkStats(file: string, stats: Stats, limit: FileSizeLimit): void {
  if (!stats.isFile()) throw new FileReadError(file, `is ${kindOf(stats)}, not a regular file`);
  if (stats.size > limit.maxBytes) {
    throw new FileReadError(
      file,
      `is ${stats.size} bytes; the limit is ${limit.maxBytes} (${limit.setting})`,
    );
  }
}

async function readAtMost(
  handle: FileHandle,
  file: string,
  size: number,
  limit: FileSizeLimit,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  // One read of the size fstat gave (plus one byte, to see the end) is the usual case.
  let next = Math.min(size + 1, limit.maxBytes + 1);
  while (total <= limit.maxBytes) {
    const chunk = Buffer.allocUnsafe(next);
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
    if (bytesRead === 0) break;
    chunks.push(chunk.subarray(0, bytesRead));
    total += bytesRead;
    next = Math.min(GROWTH_CHUNK, limit.maxBytes + 1 - total);
  }
  if (total > limit.maxBytes) {
    // It grew while it was read, or is one whose size stat does not tell (as in /proc).
    throw new FileReadError(
      file,
      `is more than ${limit.maxBytes} bytes; the limit is ${limit.maxBytes} (${limit.setting})`,
    );
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'an unknown kind of file';
}

function errnoReason(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  switch (code) {
    case 'ENOENT':
      return 'does not exist';
    case 'ENOTDIR':
      return 'does not exist (a part of its path is not a directory)';
    case 'EACCES':
    case 'EPERM':
      return 'cannot be read: permission denied';
    case 'ELOOP':
      return 'cannot be read: too many levels of symbolic links';
    case 'EISDIR':
      return 'is a directory, not a regular file';
    default:
      return `cannot be read: ${message}`;
  }
}
