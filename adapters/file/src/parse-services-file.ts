import {
  compileValidator,
  ConfigError,
  formatFieldPath,
  SourceDocument,
  type AdapterState,
  type Problem,
  type Validation,
} from '@sextant/core';
import { CORE_SCHEMA, load } from 'js-yaml';
import { checkServicesFile } from './check-services-file';
import { servicesFileSchema, type ServicesFile } from './services-file-schema';
import { toAdapterState } from './to-adapter-state';

const validateServicesFile = compileValidator<ServicesFile>(servicesFileSchema);

/**
 * Parses a services file (YAML, or JSON, which YAML 1.2 reads) into the state the file adapter
 * reports. Every problem is reported, each naming `file`, line, column and field, e.g.
 * `services.yaml:14:9: services[2].instances[0].address: not an IP address ("10.0.1.x")`.
 */
export function parseServicesFile(text: string, file: string): Validation<AdapterState> {
  // Positions are needed only to report problems, and building a document that keeps them costs
  // about ten times a plain parse (seconds for a file of 5,000 services). So a file is first
  // parsed plainly; only when that fails, or finds any problem, is it parsed again with positions.
  // The located parse is the authority: it is what decides and reports every problem.
  const value = plainParse(text);
  if (value !== undefined && value !== null) {
    const unlocated = {
      value,
      problem: (path: FieldPathLike, message: string) => ({ file, path: formatFieldPath(path), message }),
    };
    if (validateServicesFile(value).valid && checkServicesFile(unlocated).length === 0) {
      return { valid: true, value: toAdapterState(value as ServicesFile) };
    }
  }
  return locatedParse(text, file);
}

type FieldPathLike = Parameters<typeof formatFieldPath>[0];

/** JSON or YAML 1.2 (core schema) without positions; undefined when it does not parse. */
function plainParse(text: string): unknown {
  try {
    return /^\s*[{[]/.test(text) ? JSON.parse(text) : load(text, { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
}

function locatedParse(text: string, file: string): Validation<AdapterState> {
  let document: SourceDocument;
  try {
    document = SourceDocument.parse(text, file);
  } catch (error) {
    if (error instanceof ConfigError) return { valid: false, problems: [...error.problems] };
    throw error;
  }
  if (document.value === null || document.value === undefined) {
    return {
      valid: false,
      problems: [document.problem([], 'the file is empty: expected a "services:" list')],
    };
  }
  const schema = validateServicesFile(document.value, { document });
  const problems = [...(schema.valid ? [] : schema.problems), ...checkServicesFile(document)];
  if (problems.length > 0) return { valid: false, problems: inFileOrder(problems) };
  return { valid: true, value: toAdapterState(document.value as ServicesFile) };
}

/** Schema and semantic problems interleaved as they appear in the file, as an editor would list them. */
function inFileOrder(problems: readonly Problem[]): Problem[] {
  return [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}
