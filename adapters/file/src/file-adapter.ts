import {
  formatProblem,
  type Adapter,
  type FileSizeLimit,
  type Logger,
  type RegistrySink,
} from '@sextant/core';
import { watchFile, type FileObservation } from './file-watcher';
import { summarizeProblems } from './problem-summary';
import { interpretServicesFile } from './read-services-file';

export interface FileAdapterSettings {
  /** Absolute path of the services file. */
  readonly file: string;
  readonly pollIntervalMs: number;
  readonly sizeLimit: FileSizeLimit;
  readonly logger: Logger;
}

/**
 * Reports the services file's contents: the whole state on every valid version of the file.
 * A file that is missing, unreadable or invalid leaves the last good state in place and turns
 * the status to `degraded` with the problems, until a valid version appears.
 */
export class FileAdapter implements Adapter {
  constructor(private readonly settings: FileAdapterSettings) {}

  async run(sink: RegistrySink, signal: AbortSignal): Promise<void> {
    const { file, pollIntervalMs, sizeLimit, logger } = this.settings;
    let loaded = false;
    // The watcher calls back only when the file differs from the last read, so each distinct
    // bad version is logged once, not on every poll.
    const report = (observation: FileObservation): void => {
      const result = interpretServicesFile(file, observation);
      if (result.valid) {
        sink.replaceAll(result.value);
        sink.setStatus('ready');
        loaded = true;
        logger.info({ file, services: result.value.services.length }, 'services file loaded');
        return;
      }
      sink.setStatus('degraded', summarizeProblems(result.problems));
      logger.error(
        { file, problems: result.problems.map(formatProblem) },
        loaded
          ? 'services file cannot be used; keeping the services last loaded from it'
          : 'services file cannot be used; no services loaded from it yet',
      );
    };
    await watchFile(file, report, signal, { pollIntervalMs, sizeLimit, logger });
  }
}
