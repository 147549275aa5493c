import type { Logger } from '@sextant/core';

export interface LogRecord {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  readonly msg: string;
  /** The record's fields, with the bindings of the child logger that wrote it. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A Logger keeping what it is told, children included, for tests to read what an operator would. */
export function recordingLogger(
  records: LogRecord[] = [],
  bindings: Record<string, unknown> = {},
): Logger & { readonly records: LogRecord[] } {
  const log =
    (level: LogRecord['level']) =>
    (first: string | object, msg?: string): void => {
      if (typeof first === 'string') records.push({ level, msg: first, fields: { ...bindings } });
      else records.push({ level, msg: msg ?? '', fields: { ...bindings, ...first } });
    };
  return {
    records,
    trace: log('trace'),
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (more) => recordingLogger(records, { ...bindings, ...more }),
  };
}
