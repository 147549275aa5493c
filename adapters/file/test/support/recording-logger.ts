import type { Logger } from '@sextant/core';

export interface LogEntry {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

/** A Logger that keeps every entry, so tests can see what an operator would read. */
export function recordingLogger(entries: LogEntry[] = []): Logger & { readonly entries: LogEntry[] } {
  const at =
    (level: LogEntry['level']) =>
    (first: string | object, msg?: string): void => {
      if (typeof first === 'string') entries.push({ level, msg: first, fields: {} });
      else entries.push({ level, msg: msg ?? '', fields: { ...first } });
    };
  return {
    entries,
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => recordingLogger(entries),
  };
}
