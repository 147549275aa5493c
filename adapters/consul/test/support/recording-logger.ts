import type { Logger } from '@sextant/core';

export interface LogRecord {
  readonly level: string;
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

/** A Logger keeping every record (children included), to assert on what an operator reads. */
export function recordingLogger(records: LogRecord[] = [], bindings: Record<string, unknown> = {}) {
  const at =
    (level: string) =>
    (first: string | object, msg?: string): void => {
      if (typeof first === 'string') records.push({ level, msg: first, fields: { ...bindings } });
      else records.push({ level, msg: msg ?? '', fields: { ...bindings, ...first } });
    };
  const logger: Logger & { readonly records: LogRecord[]; text(): string } = {
    records,
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => recordingLogger(records, { ...bindings, ...more }),
    /** Everything logged, serialised as a log shipper would see it. */
    text: () => records.map((r) => JSON.stringify({ level: r.level, msg: r.msg, ...r.fields })).join('\n'),
  };
  return logger;
}
