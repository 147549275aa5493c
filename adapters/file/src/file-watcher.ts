import { watch } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FileReadError, readRegularFile, silentLogger, type FileSizeLimit, type Logger } from '@sextant/core';
import { contentDigest, holdsExactly, sameDigest, type ContentDigest } from './same-content';

/** What a read of the watched file found. */
export type FileObservation =
  | { readonly kind: 'content'; readonly bytes: Buffer }
  | {
      readonly kind: 'unreadable';
      /** Why, in words: `does not exist`, `is a FIFO, not a regular file`. */
      readonly reason: string;
    };

/** Starts watching a directory: `onEvent` for anything happening in it, `onError` if the watch breaks. */
export type WatchDirectory = (
  dir: string,
  onEvent: () => void,
  onError: (error: Error) => void,
) => { close(): void };

export interface FileWatcherOptions {
  /** Re-read this often whatever the notifications say. */
  readonly pollIntervalMs: number;
  /** A larger file is not read (and reported unreadable, saying so). */
  readonly sizeLimit: FileSizeLimit;
  /** After a notification, wait this long for more before reading, so a writer can finish. Default 30 ms. */
  readonly settleMs?: number;
  readonly logger?: Logger;
  /** Defaults to fs.watch; tests substitute one that misses events. */
  readonly watchDirectory?: WatchDirectory;
}

const DEFAULT_SETTLE_MS = 30;
const SCRATCH_BYTES = 256 * 1024;

const fsWatchDirectory: WatchDirectory = (dir, onEvent, onError) => {
  const watcher = watch(dir, { persistent: true }, onEvent);
  watcher.on('error', onError);
  return watcher;
};

/**
 * Calls `onChange` with the first read of `file` and then whenever a read differs from the one
 * before (other bytes, or readable ↔ not, or another error), until `signal` aborts. Resolves
 * once every watcher, timer and read it started is finished; never rejects.
 *
 * It watches the parent directory, not the file: editors save by writing a new file and renaming
 * it over the old one, a file may be deleted and created again, and a Kubernetes ConfigMap volume
 * swaps a symlink next to the file; a watch on the file itself would go deaf after any of these.
 * fs.watch can also miss events (some network and overlay mounts, or the directory itself being
 * replaced), so a poll re-reads the file every `pollIntervalMs` and re-establishes the watch.
 */
export function watchFile(
  file: string,
  onChange: (observation: FileObservation) => void,
  signal: AbortSignal,
  options: FileWatcherOptions,
): Promise<void> {
  return new FileWatcher(file, onChange, signal, options).run();
}

class FileWatcher {
  private readonly dir: string;
  private readonly settleMs: number;
  private readonly logger: Logger;
  private readonly watchDirectory: WatchDirectory;
  private directoryWatch: { close(): void } | undefined;
  /** dev:ino of the watched directory: a directory replaced under the same name needs a new watch. */
  private watchedIdentity: string | undefined;
  private lastWatchFailure: string | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private checkAgain = false;
  /** The last observation reported, its content by digest (the reporter has the bytes). */
  private last: SeenObservation | undefined;
  /** What holdsExactly reads the file into, piece by piece. */
  private readonly scratch = Buffer.allocUnsafe(SCRATCH_BYTES);

  constructor(
    private readonly file: string,
    private readonly onChange: (observation: FileObservation) => void,
    private readonly signal: AbortSignal,
    private readonly options: FileWatcherOptions,
  ) {
    this.dir = dirname(file);
    this.settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
    this.logger = options.logger ?? silentLogger;
    this.watchDirectory = options.watchDirectory ?? fsWatchDirectory;
  }

  async run(): Promise<void> {
    if (this.signal.aborted) return;
    const aborted = new Promise<void>((resolve) =>
      this.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    this.pollTimer = setInterval(() => this.requestCheck(), this.options.pollIntervalMs);
    this.requestCheck();
    await aborted;
    clearInterval(this.pollTimer);
    clearTimeout(this.settleTimer);
    // A read in flight finishes (and reports nothing) before run() resolves: no I/O outlives it.
    await this.checking;
    this.closeWatch();
  }

  /** Checks now, or right after the check in progress, so reads never overlap. */
  private requestCheck(): void {
    if (this.signal.aborted) return;
    if (this.checking) {
      this.checkAgain = true;
      return;
    }
    this.checking = this.checkUntilCurrent().finally(() => {
      this.checking = undefined;
    });
  }

  private async checkUntilCurrent(): Promise<void> {
    do {
      this.checkAgain = false;
      await this.check();
    } while (this.checkAgain && !this.signal.aborted);
  }

  private async check(): Promise<void> {
    try {
      // Watch before reading, so a change made during the read still sends an event.
      await this.ensureWatch();
      if (this.signal.aborted) return;
      if (
        this.last?.kind === 'content' &&
        (await holdsExactly(this.file, this.last.digest(), this.scratch))
      ) {
        this.logger.trace({ file: this.file, changed: false }, 'file checked');
        return;
      }
      if (this.signal.aborted) return;
      const observation = await readObservation(this.file, this.options.sizeLimit);
      if (this.signal.aborted) return;
      // The first version is reported before its digest is taken (on a later turn of the event
      // loop): only the next check needs it, and a daemon's first snapshot waits on this read.
      const seen = seenObservation(observation, this.last === undefined);
      const changed = !sameObservation(this.last, seen);
      this.logger.trace({ file: this.file, changed }, 'file checked');
      if (!changed) return;
      this.last = seen;
      this.onChange(observation);
    } catch (error) {
      this.logger.error({ err: error, file: this.file }, 'checking the file failed');
    }
  }

  private async ensureWatch(): Promise<void> {
    const identity = await stat(this.dir).then(
      (s) => `${s.dev}:${s.ino}`,
      () => undefined,
    );
    if (this.signal.aborted || (this.directoryWatch && identity === this.watchedIdentity)) return;
    this.closeWatch();
    // Gone: nothing to watch until the poll finds the directory again.
    if (identity === undefined) return;
    try {
      this.directoryWatch = this.watchDirectory(
        this.dir,
        () => this.onEvent(),
        (error) => this.onWatchError(error),
      );
      this.watchedIdentity = identity;
      this.lastWatchFailure = undefined;
    } catch (error) {
      this.warnWatchFailure(error as Error);
    }
  }

  private onEvent(): void {
    if (this.signal.aborted) return;
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => this.requestCheck(), this.settleMs);
  }

  /** The poll re-establishes a broken watch; retrying at once could spin on a persistent error. */
  private onWatchError(error: Error): void {
    this.closeWatch();
    this.warnWatchFailure(error);
  }

  private warnWatchFailure(error: Error): void {
    if (error.message === this.lastWatchFailure) return;
    this.lastWatchFailure = error.message;
    this.logger.warn(
      { err: error, dir: this.dir },
      `cannot watch ${this.dir}; re-reading ${this.file} every ${this.options.pollIntervalMs} ms instead`,
    );
  }

  private closeWatch(): void {
    this.directoryWatch?.close();
    this.directoryWatch = undefined;
    this.watchedIdentity = undefined;
  }
}

/**
 * Reads `file` once, if it is a regular file within the size limit (a FIFO or a device in its
 * place is refused, never waited on); never rejects.
 */
export async function readObservation(file: string, sizeLimit: FileSizeLimit): Promise<FileObservation> {
  try {
    return { kind: 'content', bytes: await readRegularFile(file, sizeLimit) };
  } catch (error) {
    if (error instanceof FileReadError) return { kind: 'unreadable', reason: error.reason };
    return { kind: 'unreadable', reason: `cannot be read: ${(error as Error).message}` };
  }
}

type SeenObservation =
  | { readonly kind: 'content'; readonly digest: () => ContentDigest }
  | Extract<FileObservation, { readonly kind: 'unreadable' }>;

function seenObservation(observation: FileObservation, later: boolean): SeenObservation {
  if (observation.kind !== 'content') return observation;
  if (!later) {
    const digest = contentDigest(observation.bytes);
    return { kind: 'content', digest: () => digest };
  }
  let bytes: Buffer | undefined = observation.bytes;
  let digest: ContentDigest | undefined;
  const take = (): ContentDigest => {
    digest ??= contentDigest(bytes as Buffer);
    bytes = undefined;
    return digest;
  };
  setImmediate(take);
  return { kind: 'content', digest: take };
}

function sameObservation(a: SeenObservation | undefined, b: SeenObservation): boolean {
  if (a?.kind === 'content' && b.kind === 'content') return sameDigest(a.digest(), b.digest());
  if (a?.kind === 'unreadable' && b.kind === 'unreadable') return a.reason === b.reason;
  return false;
}
