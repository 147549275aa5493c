import fs from 'node:fs';

/** Log lines that could not be written, and why (the last error seen). */
export interface LostLines {
  readonly count: number;
  readonly reason: string;
}

export interface LogOutputOptions {
  /** fs.writeSync's signature; a test passes one that fails as a full disk does. */
  readonly writeSync?: (fd: number, buffer: Buffer, offset: number) => number;
  /** How long in all a line may wait for a reader that is behind (a full pipe), in ms. */
  readonly patienceMs?: number;
}

/**
 * Where the daemon's log lines go: a file descriptor (stdout), written synchronously, whose
 * failures never reach the code that logs. A line that cannot be written (a full disk: ENOSPC,
 * EFBIG; a closed pipe: EPIPE; a reader that stays behind) is counted and dropped, and writing
 * is tried again with the next line, so logging resumes when the disk has room again. Unlike
 * process.stdout, which turns the first failed write into an 'error' event that ends the process
 * and a stream that never writes again.
 */
export class LogOutput {
  private lost = 0;
  private reason = '';
  private readonly writeSync: (fd: number, buffer: Buffer, offset: number) => number;
  private readonly patienceMs: number;
  private readonly pause = new Int32Array(new SharedArrayBuffer(4));

  constructor(
    private readonly fd: number,
    options: LogOutputOptions = {},
  ) {
    this.writeSync = options.writeSync ?? ((fd, buffer, offset) => fs.writeSync(fd, buffer, offset));
    this.patienceMs = options.patienceMs ?? 100;
  }

  /**
   * Writes `text`, or counts it as lost. When it is written after lines were lost, returns
   * those (once), for the caller to say so.
   */
  write(text: string): LostLines | undefined {
    try {
      this.writeAll(Buffer.from(text));
    } catch (error) {
      this.lost += 1;
      this.reason = describe(error);
      return undefined;
    }
    if (this.lost === 0) return undefined;
    const lost = { count: this.lost, reason: this.reason };
    this.lost = 0;
    return lost;
  }

  private writeAll(buffer: Buffer): void {
    // A reader that is behind gets a little time (stdout may be a non-blocking pipe); none while
    // lines are being lost already, so a reader that stopped never slows the daemon down twice.
    let waitMs = this.lost > 0 ? 0 : this.patienceMs;
    let offset = 0;
    while (offset < buffer.length) {
      try {
        offset += this.writeSync(this.fd, buffer, offset);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || waitMs <= 0) throw error;
        Atomics.wait(this.pause, 0, 0, 5);
        waitMs -= 5;
      }
    }
  }
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  const message = (error as Error)?.message ?? String(error);
  return code && !message.startsWith(code) ? `${code}: ${message}` : message;
}
