import pino, { type Logger, type LevelWithSilent } from 'pino';
import type * as PinoPretty from 'pino-pretty';
import type { LogOutput } from './log-output';

/**
 * The daemon's logger: JSON lines for machines; human-readable when `pretty` (stdout is a
 * terminal). Lines go to a LogOutput, so a failed write never throws into the code that logs;
 * lines lost that way are reported by the first line that gets through.
 */
export function createLogger(level: LevelWithSilent, output: LogOutput, pretty = false): Logger {
  const format = pretty
    ? prettyFormat({ colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,service' })
    : (line: string) => line;
  const logger: Logger = pino(
    { level, base: { service: 'sextant' } },
    {
      write(line: string) {
        const lost = output.write(format(line));
        if (lost) {
          logger.warn(
            { lostLines: lost.count, reason: lost.reason },
            `${lost.count} log line(s) could not be written (${lost.reason}); writing works again`,
          );
        }
      },
    },
  );
  return logger;
}

/** pino-pretty's formatter, required only for a terminal: a daemon logging JSON never loads it. */
function prettyFormat(options: PinoPretty.PrettyOptions): (line: string) => string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { prettyFactory } = require('pino-pretty') as typeof PinoPretty;
  return prettyFactory(options);
}
