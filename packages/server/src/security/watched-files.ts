import { readFile } from 'node:fs/promises';
import type { Logger as PinoLogger } from 'pino';

/** A file of a WatchedFiles that cannot be read or used. The message names the setting and file, never contents. */
export class WatchedFileError extends Error {
  override readonly name = 'WatchedFileError';
}

export interface WatchedFilesOptions<T> {
  /** Setting → path, e.g. `{ 'tls.certFile': '/etc/sextant/tls.crt' }`. */
  readonly files: Readonly<Record<string, string>>;
  /** Turns the contents into what is used; throws (a WatchedFileError or any Error) when they are unusable. */
  readonly parse: (contents: Readonly<Record<string, Buffer>>) => T;
  /** What the files are, for log lines: `the xds listener's certificates`. */
  readonly what: string;
  readonly pollIntervalMs: number;
  readonly logger: PinoLogger;
}

/**
 * Files read at start and read again every poll interval, so that rotated certificates or a new
 * token take effect without a restart. A change is taken only when all the files read and parse
 * together (a certificate and its key rotate as a pair, and may be written one after the other):
 * until then the last good value stays in use, and the problem is logged once per distinct
 * contents. Polling rather than fs.watch: it sees Kubernetes' symlink swaps of mounted secrets
 * and editors' renames alike, and reading a few small files a second costs nothing.
 */
export class WatchedFiles<T> {
  private value: T | undefined;
  private lastContents: Readonly<Record<string, Buffer>> | undefined;
  private lastProblem: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading = false;
  private readonly listeners = new Set<(value: T) => void>();

  constructor(private readonly options: WatchedFilesOptions<T>) {}

  /** Reads and parses the files; rejects with a WatchedFileError naming the setting and file. */
  async start(): Promise<T> {
    const contents = await this.read();
    let value: T;
    try {
      value = this.options.parse(contents);
    } catch (error) {
      throw new WatchedFileError(`${this.options.what}: ${(error as Error).message}`, { cause: error });
    }
    this.accept(contents, value);
    this.timer ??= setInterval(() => void this.poll(), this.options.pollIntervalMs).unref();
    return value;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The value in use; throws before start() has resolved. */
  current(): T {
    if (this.value === undefined) throw new Error(`${this.options.what}: not read yet`);
    return this.value;
  }

  /** Calls `listener` with each new value; returns the function that stops it. */
  onChange(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async poll(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const contents = await this.read();
      if (this.timer === undefined || this.sameAsLast(contents)) return;
      const value = this.options.parse(contents);
      this.accept(contents, value);
      this.options.logger.info(`reloaded ${this.options.what}`);
      for (const listener of this.listeners) listener(value);
    } catch (error) {
      const problem = (error as Error).message;
      if (problem !== this.lastProblem) {
        this.lastProblem = problem;
        this.options.logger.warn(
          `cannot reload ${this.options.what}, still using the last good ones: ${problem}`,
        );
      }
    } finally {
      this.reading = false;
    }
  }

  private accept(contents: Readonly<Record<string, Buffer>>, value: T): void {
    this.lastContents = contents;
    this.lastProblem = undefined;
    this.value = value;
  }

  private sameAsLast(contents: Readonly<Record<string, Buffer>>): boolean {
    const last = this.lastContents;
    if (!last) return false;
    return Object.entries(contents).every(([setting, buffer]) => last[setting]?.equals(buffer) === true);
  }

  private async read(): Promise<Record<string, Buffer>> {
    const entries = await Promise.all(
      Object.entries(this.options.files).map(async ([setting, file]): Promise<[string, Buffer]> => {
        try {
          return [setting, await readFile(file)];
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
          throw new WatchedFileError(`${setting}: cannot read ${file}: ${code}`, { cause: error });
        }
      }),
    );
    return Object.fromEntries(entries);
  }
}
