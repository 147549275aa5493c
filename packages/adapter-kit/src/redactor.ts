import type { LogFn, Logger, RegistrySink } from '@sextant/core';

/** What a credential is replaced with. */
export const REDACTED = '<redacted>';

/**
 * Credentials remembered at most. Rotation adds one per rotation; only those sent recently can
 * come back in an answer, and each costs a scan of every text shown or logged.
 */
const MAX_SECRETS = 64;
/** How deep a log record is followed; deeper values are replaced (a record is small, or a bug). */
const MAX_DEPTH = 12;

/**
 * Every credential one adapter holds, and the one place where they are scrubbed from what the
 * adapter shows and logs. A platform (or a proxy in front of it) may echo a request's token in an
 * error body, and that body is what an operator needs to read: the adapter passes it on as it
 * came, and the sink and logger this builds replace each credential with `<redacted>` on the way
 * out, so no status line, log record or child logger can forget to.
 *
 * An adapter makes one per run, tells it every credential as it learns it (from options, the
 * environment, token files, and again when a rotated token is read; for HTTP, the value of the
 * credential header it is about to send), and reports only through `sink(…)` and logs only
 * through `logger(…)`. `TokenSource` tells it the tokens it reads by itself.
 *
 * What the adapter reports as data (services, instances) passes unchanged: it is the platform's
 * listing, not an echo, and rewriting a hostname or a label would change routing.
 */
export class Redactor {
  /** Longest first, so a secret containing another is replaced whole. */
  private secrets: string[] = [];

  /** Remembers a credential; empty and undefined ones are ignored. */
  add(secret: string | undefined): void {
    if (secret === undefined || secret.trim() === '' || this.secrets.includes(secret)) return;
    const kept = [...this.secrets, secret];
    this.secrets = kept.slice(Math.max(0, kept.length - MAX_SECRETS)).sort((a, b) => b.length - a.length);
  }

  /** How many credentials it knows. */
  get size(): number {
    return this.secrets.length;
  }

  /** `text` with every known credential replaced by `<redacted>`. */
  redact(text: string): string {
    let result = text;
    for (const secret of this.secrets) {
      if (result.includes(secret)) result = result.split(secret).join(REDACTED);
    }
    return result;
  }

  /**
   * A value as a log shipper would serialise it (JSON; an Error as its type, message, stack and
   * cause), with every string redacted. Values are copied; the original is left alone.
   */
  redactValue(value: unknown): unknown {
    if (this.secrets.length === 0) return value;
    return this.scrub(value, 0, new Set());
  }

  /** A sink passing everything on to `sink`, with status details redacted. */
  sink(sink: RegistrySink): RegistrySink {
    return {
      replaceAll: (state) => sink.replaceAll(state),
      upsertService: (service, instances) => sink.upsertService(service, instances),
      removeService: (hostname) => sink.removeService(hostname),
      replaceRules: (origin, rules, problems) =>
        problems === undefined
          ? sink.replaceRules(origin, rules)
          : sink.replaceRules(
              origin,
              rules,
              problems.map((problem) => ({ ...problem, message: this.redact(problem.message) })),
            ),
      setStatus: (status, detail) =>
        detail === undefined ? sink.setStatus(status) : sink.setStatus(status, this.redact(detail)),
    };
  }

  /** A logger writing to `logger` with messages, fields and child bindings redacted. */
  logger(logger: Logger): Logger {
    const level =
      (name: 'trace' | 'debug' | 'info' | 'warn' | 'error'): LogFn =>
      (first: string | object, msg?: string) => {
        // Through `logger[name]`, not a detached method: pino's methods need their `this`.
        if (typeof first === 'string') logger[name](this.redact(first));
        else if (msg === undefined) logger[name](this.redactValue(first) as object);
        else logger[name](this.redactValue(first) as object, this.redact(msg));
      };
    return {
      trace: level('trace'),
      debug: level('debug'),
      info: level('info'),
      warn: level('warn'),
      error: level('error'),
      child: (bindings) => this.logger(logger.child(this.redactValue(bindings) as Record<string, unknown>)),
    };
  }

  private scrub(value: unknown, depth: number, path: Set<object>): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (typeof value !== 'object' || value === null) return value;
    if (path.has(value)) return '[Circular]';
    if (depth >= MAX_DEPTH) return '[too deep]';
    path.add(value);
    try {
      const next = (inner: unknown) => this.scrub(inner, depth + 1, path);
      if (Array.isArray(value)) return value.map(next);
      if (value instanceof Error) {
        const { name, message, stack, cause } = value;
        return {
          ...(next({ ...value }) as object),
          type: name,
          message: this.redact(message),
          ...(stack !== undefined && { stack: this.redact(stack) }),
          ...(cause !== undefined && { cause: next(cause) }),
        };
      }
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return next(toJSON.call(value));
      const copy: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value)) copy[this.redact(key)] = next(inner);
      return copy;
    } finally {
      path.delete(value);
    }
  }
}
