import { clientText } from './client-text';

/**
 * Errors a user can cause. Each carries the offending input and says, once and clearly,
 * what was wrong and where.
 */

/** One thing wrong with an input, located as precisely as the input allows. */
export interface Problem {
  /** File the problem is in, when it came from a file. */
  readonly file?: string;
  /** 1-based line and column of the offending value, when known. */
  readonly line?: number;
  readonly column?: number;
  /** Path of the offending field, e.g. `services[2].instances[0].address`; empty for the whole input. */
  readonly path: string;
  readonly message: string;
}

export function formatProblem(problem: Problem): string {
  const where = problem.file
    ? [problem.file, problem.line, problem.column].filter((part) => part !== undefined).join(':')
    : '';
  const field = problem.path ? `${problem.path}: ` : '';
  return where ? `${where}: ${field}${problem.message}` : `${field}${problem.message}`;
}

/** A configuration (or services file, or adapter options) that cannot be used as written. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly problems: readonly Problem[],
    summary = 'invalid configuration',
  ) {
    super(`${summary}:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
  }
}

/**
 * A document past the DOCUMENT_LIMITS (nested too deeply, too many aliases, aliases expanding it
 * too far): refused whatever else is right or wrong with it.
 */
export class DocumentLimitError extends ConfigError {}

/** An adapter package that cannot be loaded or whose options fail its schema. */
export class AdapterLoadError extends Error {
  override readonly name = 'AdapterLoadError';
  constructor(
    readonly adapter: string,
    readonly problems: readonly Problem[],
  ) {
    super(`adapter "${adapter}": ${problems.map(formatProblem).join('; ')}`);
  }
}

export type ProxyIdentityPart = 'format' | 'type' | 'ip' | 'id' | 'domain';

/** A proxy identity (v1 `service_node`, v3 `node.id`) that does not follow `<type>~<ip>~<id>~<domain>`. */
export class ProxyIdentityError extends Error {
  override readonly name = 'ProxyIdentityError';
  constructor(
    readonly input: string,
    readonly part: ProxyIdentityPart,
    reason: string,
  ) {
    super(`invalid proxy identity "${clientText(input)}": ${part}: ${reason}`);
  }
}

/** A service key that is not `<hostname>|<portName>[|k=v,...]`. */
export class ServiceKeyError extends Error {
  override readonly name = 'ServiceKeyError';
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`invalid service key "${clientText(input)}": ${reason}`);
  }
}
