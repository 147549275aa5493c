import pino, { type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

/**
 * The daemon's logger: JSON lines for machines; human-readable when stdout is a terminal.
 * pino-pretty runs in-process as a stream (not a worker transport), which also works inside a
 * single-file build.
 */
export function createLogger(level: LevelWithSilent, stream: NodeJS.WritableStream = process.stdout): Logger {
  const options = { level, base: { service: 'sextant' } };
  if ((stream as NodeJS.WriteStream).isTTY) {
    return pino(
      options,
      pretty({
        destination: stream,
        colorize: true,
        translateTime: 'HH:MM:ss.l',
        ignore: 'pid,hostname,service',
        sync: true,
      }),
    );
  }
  return pino(options, stream);
}
