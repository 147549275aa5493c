import {
  compileValidator,
  ConfigError,
  DocumentLimitError,
  formatFieldPath,
  parsePlainly,
  SourceDocument,
  type AdapterState,
  type FieldPath,
  type Problem,
  type Validation,
} from '@sextant/core';
import { checkServicesFile } from './check-services-file';
import { precompiledServicesFileValidators } from './precompiled-validators';
import { servicesFileSchema, type ServicesFile } from './services-file-schema';
import { toAdapterState } from './to-adapter-state';

const validateServicesFile = compileValidator<ServicesFile>(
  servicesFileSchema,
  precompiledServicesFileValidators(),
);

/**
 * The largest file whose problems are located by line and column. Keeping positions costs the
 * yaml package about 1.5 s and 100 bytes of memory per byte of the file: a 50 MB file with one
 * typo would take over a minute and 5 GB. Past this size a problem names its field path only
 * (`services[51234].instances[0].address`), and syntax errors the line and column the plain
 * parser gives.
 */
export const MAX_LOCATED_CHARACTERS = 1024 * 1024;

const EMPTY = 'the file is empty: expected a "services:" list';

/**
 * Parses a services file (YAML, or JSON, which YAML 1.2 reads) into the state the file adapter
 * reports. Every problem is reported, each naming `file`, line, column and field, e.g.
 * `services.yaml:14:9: services[2].instances[0].address: not an IP address ("10.0.1.x")`.
 */
export function parseServicesFile(text: string, file: string): Validation<AdapterState> {
  const checked = checkServicesFileText(text, file);
  return checked.valid ? { valid: true, value: toAdapterState(checked.value) } : checked;
}

/** The services file as written, once it has passed every check; or every problem, located. */
export function checkServicesFileText(text: string, file: string): Validation<ServicesFile> {
  // Positions are needed only to report problems, and building a document that keeps them costs
  // about ten times a plain parse (seconds for a file of 5,000 services). So a file is first
  // parsed plainly; only when that fails, or finds any problem, is it parsed again with positions.
  // The located parse is the authority where it can run: it is what decides and reports every
  // problem then. Both parses hold the file to the same DOCUMENT_LIMITS.
  const plain = parsePlainly(text);
  const locatable = text.length <= MAX_LOCATED_CHARACTERS;
  if (plain.ok) {
    if (!withinJsonBudget(plain.value, text)) {
      return { valid: false, problems: [{ file, path: '', message: tooLongAsJson(text) }] };
    }
    const problems = unlocatedProblems(plain.value, file);
    if (problems.length === 0) return { valid: true, value: plain.value as ServicesFile };
    return locatable ? locatedParse(text, file, problems) : { valid: false, problems };
  }
  const { line, column, message } = plain;
  const at = line === undefined || column === undefined ? {} : { line, column };
  const problems = [{ file, ...at, path: '', message }];
  // What is past a limit the located parse refuses too, only slower.
  if (plain.failure === 'limit' || !locatable) return { valid: false, problems };
  return locatedParse(text, file, problems);
}

/**
 * A services file is handled as JSON: each service's JSON text is what tells whether it changed,
 * and what a worker thread hands back. Written out, a document's JSON is at most about twice as
 * long as its YAML; only aliases (`*name`) repeating long values make it longer (a 100 KB file can
 * repeat a 50 KB string 25,000 times: over a gigabyte of JSON). Past this many characters of JSON
 * per character of the file, plus 4096, a file is refused.
 */
export const MAX_JSON_CHARACTERS_PER_CHARACTER = 4;

/** Whether `value`, parsed from `text`, stays within the JSON budget; always so without aliases. */
export function withinJsonBudget(value: unknown, text: string): boolean {
  if (!text.includes('*')) return true;
  let budget = MAX_JSON_CHARACTERS_PER_CHARACTER * text.length + 4096;
  // Each value costs at least its own characters; aliases are walked as the copies JSON would write.
  const pending: unknown[] = [value];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    if (typeof item === 'string') budget -= item.length + 2;
    else if (typeof item !== 'object' || item === null) budget -= 8;
    else if (Array.isArray(item)) for (const child of item as unknown[]) pending.push(child);
    else
      for (const key of Object.keys(item)) {
        budget -= key.length + 4;
        pending.push((item as Record<string, unknown>)[key]);
      }
    if (budget < 0) return false;
  }
  return true;
}

function tooLongAsJson(text: string): string {
  const limit = MAX_JSON_CHARACTERS_PER_CHARACTER * text.length + 4096;
  return (
    `aliases expand the services to more than ${limit} characters of JSON, the limit for ` +
    `${text.length} characters: write the repeated parts out instead`
  );
}

/** Every problem of a plainly parsed services file, by field path (no line and column). */
export function unlocatedProblems(value: unknown, file: string): Problem[] {
  if (value === null || value === undefined) return [{ file, path: '', message: EMPTY }];
  const schema = validateServicesFile(value);
  return [
    ...(schema.valid ? [] : schema.problems.map((problem) => ({ file, ...problem }))),
    ...checkServicesFile(unlocated(value, file)),
  ];
}

/** Whether a plainly parsed services file passes every check: unlocatedProblems' verdict, without listing. */
export function passesEveryCheck(value: unknown): boolean {
  if (value === null || value === undefined || !validateServicesFile(value).valid) return false;
  return checkServicesFile(unlocated(value)).length === 0;
}

/** A plainly parsed file as checkServicesFile reads it: problems by field path. */
function unlocated(value: unknown, file?: string) {
  return {
    value,
    problem: (path: FieldPath, message: string): Problem => ({ file, path: formatFieldPath(path), message }),
  };
}

/**
 * The file parsed with positions. Should that parse refuse the file for a limit the plain parse
 * does not have (the yaml package allows fewer aliases), what the plain parse found stands:
 * `plainProblems`, unlocated.
 */
function locatedParse(text: string, file: string, plainProblems: Problem[]): Validation<ServicesFile> {
  let document: SourceDocument;
  try {
    document = SourceDocument.parse(text, file);
  } catch (error) {
    if (error instanceof DocumentLimitError) return { valid: false, problems: plainProblems };
    if (error instanceof ConfigError) return { valid: false, problems: [...error.problems] };
    throw error;
  }
  if (document.value === null || document.value === undefined) {
    return { valid: false, problems: [document.problem([], EMPTY)] };
  }
  const schema = validateServicesFile(document.value, { document });
  const problems = [...(schema.valid ? [] : schema.problems), ...checkServicesFile(document)];
  if (problems.length > 0) return { valid: false, problems: inFileOrder(problems) };
  return { valid: true, value: document.value as ServicesFile };
}

/** Schema and semantic problems interleaved as they appear in the file, as an editor would list them. */
function inFileOrder(problems: readonly Problem[]): Problem[] {
  return [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}
