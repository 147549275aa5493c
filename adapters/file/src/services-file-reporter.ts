import { formatProblem, type Logger, type Problem, type RegistrySink } from '@sextant/core';
import type { FileObservation } from './file-watcher';
import { summarizeProblems } from './problem-summary';
import type { ReaderThread } from './reader-thread';
import { ServicesFileReader, type FileReading } from './services-file-reader';
import { reportsToAdapterState } from './to-adapter-state';

/**
 * An edit of a JSON file of at most QUICK_FILE_BYTES whose new and changed services hold at most
 * QUICK_CHANGED_BYTES is told on the main thread: finding what changed costs some 3 ms per MB, and
 * parsing and checking that some 10 ms per MB. Anything else goes to the reader thread.
 */
const QUICK_FILE_BYTES = 16 * 1024 * 1024;
const QUICK_CHANGED_BYTES = 1024 * 1024;

/**
 * Turns what the file watcher sees into reports on the sink: a full resync for the first valid
 * version, then for each later one only the services it added, changed or removed. Versions are
 * read one at a time; one seen while another is being read waits, and is replaced by any newer
 * one, so a file rewritten faster than it can be read costs one read per read, not a backlog.
 */
export class ServicesFileReporter {
  /**
   * Reads the first valid version and quick edits, and keeps the digests of the last valid version
   * (reads every version without a reader thread).
   */
  private readonly here = new ServicesFileReader();
  private loaded = false;
  private latest: FileObservation | undefined;
  private working: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly sink: RegistrySink,
    private readonly logger: Logger,
    /** Where versions after the first are read; undefined: here. */
    private readonly thread: ReaderThread | undefined,
  ) {}

  /** A read of the file that differs from the one before. */
  observe(observation: FileObservation): void {
    if (this.closed) return;
    this.latest = observation;
    this.working ??= this.work().finally(() => (this.working = undefined));
  }

  /** Stops reading; resolves once no read is in progress and the reader thread has stopped. */
  async close(): Promise<void> {
    this.closed = true;
    this.latest = undefined;
    await this.thread?.close();
    await this.working;
  }

  private async work(): Promise<void> {
    for (let next = this.latest; next && !this.closed; next = this.latest) {
      this.latest = undefined;
      await this.report(next);
    }
  }

  private async report(observation: FileObservation): Promise<void> {
    if (observation.kind === 'unreadable') {
      this.refuse([{ file: this.file, path: '', message: `the file ${observation.reason}` }]);
      return;
    }
    let reading: FileReading;
    try {
      reading = await this.read(observation.bytes);
    } catch (error) {
      if (this.closed) return;
      const message = `the file could not be read: ${(error as Error).message}`;
      this.refuse([{ file: this.file, path: '', message }]);
      return;
    }
    if (this.closed) return;
    if (!reading.valid) {
      this.refuse(reading.problems);
      return;
    }
    this.apply(reading);
  }

  private async read(bytes: Buffer): Promise<FileReading> {
    // Until its first valid version this adapter has never been ready, so the daemon is not ready
    // and serves nothing that reading here could hold up; and here the file is read at once,
    // without waiting for a worker to start, which is what makes the daemon ready soonest.
    if (!this.loaded || !this.thread) return this.here.read(bytes, this.file);
    // An edit of a few services in a JSON file is told here in a few milliseconds.
    const quick =
      bytes.length <= QUICK_FILE_BYTES ? this.here.readQuickly(bytes, QUICK_CHANGED_BYTES) : undefined;
    if (quick) return quick;
    // The rest (YAML, a large change, a version with problems) is parsed in the worker.
    const { reading, base } = await this.thread.read(bytes, this.file, this.here.base());
    if (reading.valid) this.here.adopt(base);
    return reading;
  }

  private apply(reading: Extract<FileReading, { valid: true }>): void {
    const { file, sink, logger } = this;
    if (reading.complete) {
      sink.replaceAll(reportsToAdapterState(reading.changed));
      logger.info({ file, services: reading.total }, 'services file loaded');
    } else {
      for (const hostname of reading.removed) sink.removeService(hostname);
      for (const { service, instances } of reading.changed) sink.upsertService(service, instances);
      logger.info(
        { file, services: reading.total, changed: reading.changed.length, removed: reading.removed.length },
        'services file changed',
      );
    }
    sink.setStatus('ready');
    this.loaded = true;
  }

  // The watcher reports only versions that differ from the last read, so each distinct bad
  // version is logged once, not on every poll.
  private refuse(problems: readonly Problem[]): void {
    this.sink.setStatus('degraded', summarizeProblems(problems));
    this.logger.error(
      { file: this.file, problems: problems.map(formatProblem) },
      this.loaded
        ? 'services file cannot be used; keeping the services last loaded from it'
        : 'services file cannot be used; no services loaded from it yet',
    );
  }
}
