import type { default as Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { FORMATS } from './formats';
import { unknownFieldMessage } from './nearest';
import type { Problem } from '../errors';
import { holdsAtMostValues } from './document-limits';
import { formatFieldPath, pointerToPath, type FieldPath } from './path';
import { showValue } from './show-value';
import type { SourceDocument } from './yaml-source';

// validateSchema: false: checking each schema against the draft-07 meta-schema first compiled the
// meta-schema itself, once per instance: some 50 ms of every start-up. The schemas are Sextant's
// own and its adapters', which their tests check (see the sextant package's schemas test).
export const AJV_OPTIONS = {
  strict: false,
  useDefaults: true,
  verbose: true,
  validateSchema: false,
} as const;

/** ajv's compiler, loaded on first use (some 40 ms): a daemon whose schemas are all precompiled never needs it. */
function ajvClass(): typeof Ajv {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('ajv') as { default: typeof Ajv }).default;
}

function createAjv(allErrors: boolean): Ajv {
  const ajv = new (ajvClass())({ ...AJV_OPTIONS, allErrors });
  for (const [name, format] of Object.entries(FORMATS)) ajv.addFormat(name, format.validate);
  return ajv;
}

/** ajv instances, made on first compile: a schema compiled ahead of time needs none. */
class Compilers {
  private every: Ajv | undefined;
  private first: Ajv | undefined;
  compile(schema: object, allErrors: boolean): ValidateFunction {
    if (allErrors) return (this.every ??= createAjv(true)).compile(schema);
    return (this.first ??= createAjv(false)).compile(schema);
  }
}

const compilers = new Compilers();

/**
 * A schema's two validators compiled ahead of time (by scripts/precompile-validators.js, at build
 * time), with the options compileValidator uses: `every` reports every error, `first` stops at the
 * first. Compiling a large schema costs tens of milliseconds of every start-up.
 */
export interface PrecompiledValidators {
  readonly every: ValidateFunction;
  readonly first: ValidateFunction;
}

/**
 * A document holding more values than this (aliases counted as copies) is checked only up to its
 * first problem. Each problem ajv reports costs some 600 bytes and 9 µs, and a 64 MiB services
 * file can hold 30 million wrong values: reporting them all ran the daemon out of memory.
 */
export const MAX_VALUES_CHECKED_FOR_EVERY_PROBLEM = 100_000;

export type Validation<T> = { valid: true; value: T } | { valid: false; problems: Problem[] };

/** Where a validated value came from, so problems can be located in it. */
export interface ValidationSource {
  /** The document the value was read from, for file:line:column. */
  readonly document?: SourceDocument;
  /** Path of the value inside that document (e.g. `adapters[1]` for one adapter's options). */
  readonly at?: FieldPath;
}

/**
 * Compiles a JSON Schema into a validator whose failures read as sentences naming the field:
 * `services[2].instances[0].address: not an IP address ("10.0.1.x")`. Every problem is reported,
 * in a document of up to MAX_VALUES_CHECKED_FOR_EVERY_PROBLEM values; in a larger one, the first
 * and a note that checking stopped there. Defaults in the schema are applied to the value in place.
 * `precompiled`: the schema's validators compiled ahead of time, used instead of compiling it.
 */
export function compileValidator<T>(
  schema: object,
  precompiled?: PrecompiledValidators,
): (value: unknown, source?: ValidationSource) => Validation<T> {
  const every = precompiled?.every ?? compilers.compile(schema, true);
  let first = precompiled?.first;
  return (value, source = {}) => {
    if (holdsAtMostValues(value, MAX_VALUES_CHECKED_FOR_EVERY_PROBLEM)) {
      if (every(value)) return { valid: true, value: value as T };
      return { valid: false, problems: toProblems(every.errors ?? [], source) };
    }
    first ??= compilers.compile(schema, false);
    if (first(value)) return { valid: true, value: value as T };
    const at = source.at ?? [];
    const message =
      `the document holds more than ${MAX_VALUES_CHECKED_FOR_EVERY_PROBLEM} values, ` +
      'so it is checked only up to its first problem';
    const stopped = source.document
      ? source.document.problem(at, message)
      : { path: formatFieldPath(at), message };
    return { valid: false, problems: [...toProblems(first.errors ?? [], source), stopped] };
  };
}

/** Turns ajv errors into located problems, one per distinct field and message. */
export function toProblems(errors: readonly ErrorObject[], source: ValidationSource = {}): Problem[] {
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const error of errors) {
    const described = describe(error);
    if (described === undefined) continue;
    const path = [...(source.at ?? []), ...pointerToPath(error.instancePath), ...described.extra];
    const problem = source.document
      ? source.document.problem(path, described.message, described.atKey === true)
      : { path: formatFieldPath(path), message: described.message };
    const id = `${problem.path}\n${problem.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    problems.push(problem);
  }
  return problems;
}

function describe(
  error: ErrorObject,
): { message: string; extra: (string | number)[]; atKey?: boolean } | undefined {
  const params = error.params as Record<string, unknown>;
  const shown = error.data === undefined ? '' : ` (${show(error.data)})`;
  switch (error.keyword) {
    case 'required':
      return { message: 'missing required field', extra: [String(params.missingProperty)] };
    case 'additionalProperties': {
      const known = Object.keys(
        (error.parentSchema as { properties?: object } | undefined)?.properties ?? {},
      );
      const field = String(params.additionalProperty);
      return { message: unknownFieldMessage(field, known), extra: [field], atKey: true };
    }
    case 'type':
      return { message: `expected ${String(params.type)}, got ${typeName(error.data)}${shown}`, extra: [] };
    case 'enum':
      return {
        message: `expected one of ${(params.allowedValues as unknown[]).map(show).join(', ')}, got ${show(error.data)}`,
        extra: [],
      };
    case 'const':
      return { message: `expected ${show(params.allowedValue)}, got ${show(error.data)}`, extra: [] };
    case 'format': {
      const format = FORMATS[String(params.format)];
      return { message: `${format?.message ?? `not a valid ${String(params.format)}`}${shown}`, extra: [] };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { message: `must be ${String(params.comparison)} ${String(params.limit)}${shown}`, extra: [] };
    case 'minItems':
      return { message: `must have at least ${String(params.limit)} item(s)`, extra: [] };
    case 'maxItems':
      return { message: `must have at most ${String(params.limit)} item(s)`, extra: [] };
    case 'minLength':
      return {
        message:
          params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters`,
        extra: [],
      };
    case 'pattern': {
      // A schema says in words what its pattern means with `patternDescription`; the regex is the fallback.
      const meaning = (error.parentSchema as { patternDescription?: string } | undefined)?.patternDescription;
      const value = show(error.data);
      return {
        message: meaning
          ? `${value} is not ${meaning}`
          : `${value} does not match the pattern ${String(params.pattern)}`,
        extra: [],
      };
    }
    case 'uniqueItems':
      return { message: `items ${String(params.j)} and ${String(params.i)} are the same`, extra: [] };
    case 'anyOf':
    case 'oneOf':
    case 'if':
      // The branch errors reported alongside say what is wrong; this one only repeats them.
      return undefined;
    default:
      return { message: error.message ?? 'invalid', extra: [] };
  }
}

function show(value: unknown): string {
  return showValue(value);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * Why `schema` is not a valid JSON Schema (draft-07, as ajv reads it), or undefined when it is.
 * compileValidator does not check this (see createAjv); tests of each schema do, here. It compiles
 * ajv's meta-schema, tens of milliseconds: not for start-up.
 */
export function schemaProblem(schema: object): string | undefined {
  const checker = new (ajvClass())({ strict: false, validateSchema: true });
  for (const name of Object.keys(FORMATS)) checker.addFormat(name, true);
  return checker.validateSchema(schema) ? undefined : checker.errorsText(checker.errors);
}
