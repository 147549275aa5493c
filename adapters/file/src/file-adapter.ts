import type { Adapter, FileSizeLimit, Logger, RegistrySink } from '@sextant/core';
import { watchFile } from './file-watcher';
import { ReaderThread } from './reader-thread';
import { ServicesFileReporter } from './services-file-reporter';

export interface FileAdapterSettings {
  /** Absolute path of the services file. */
  readonly file: string;
  readonly pollIntervalMs: number;
  readonly sizeLimit: FileSizeLimit;
  readonly logger: Logger;
}

/**
 * Reports the services file's contents: the whole state on the first valid version, then what each
 * valid version changed. A file that is missing, unreadable or invalid leaves the last good state
 * in place and turns the status to `degraded` with the problems, until a valid version appears.
 */
export class FileAdapter implements Adapter {
  constructor(private readonly settings: FileAdapterSettings) {}

  async run(sink: RegistrySink, signal: AbortSignal): Promise<void> {
    const { file, pollIntervalMs, sizeLimit, logger } = this.settings;
    const thread = ReaderThread.create();
    if (!thread) {
      logger.warn(
        { file },
        'no reader thread in this build: the services file is read on the main thread, which waits for it',
      );
    }
    const reporter = new ServicesFileReporter(file, sink, logger, thread);
    await watchFile(file, (observation) => reporter.observe(observation), signal, {
      pollIntervalMs,
      sizeLimit,
      logger,
    });
    await reporter.close();
  }
}
