import { ConfigError, DocumentLimitError } from '../../errors';
import type { FieldPath } from '../../schema/path';
import { unknownFieldMessage } from '../../schema/nearest';
import { parseAllPlainly } from '../../schema/plain-parse';
import { SourceDocument } from '../../schema/yaml-source';
import type { RuleProblem } from '../problems';
import {
  DEFAULT_RULE_NAMESPACE,
  formatRuleIdentity,
  ruleKey,
  type RuleIdentity,
  type RuleInput,
  type RuleLocation,
} from '../resource';
import { describe, isObject } from './fields';
import { formatRuleLocation, locatedProblem, type ProblemReport } from './located-problem';
import { MAX_PROBLEMS_REPORTED } from './rule-context';
import { readKind } from './rule-kinds';

/**
 * The largest text whose rules are located by line and column. Keeping positions costs the yaml
 * package about 1.5 s and 100 bytes of memory per byte of text; past this size (a thousand
 * rules or more) problems name the file, the document and the field path only.
 */
export const MAX_LOCATED_RULE_CHARACTERS = 1024 * 1024;

/** Fields of a resource besides apiVersion, kind, metadata and spec: what a cluster reports back. */
const IGNORED_TOP_LEVEL = ['status'];
/** Kubernetes ObjectMeta fields a resource exported from a cluster carries; none changes a rule. */
const IGNORED_METADATA = [
  'labels',
  'annotations',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
  'finalizers',
  'ownerReferences',
  'generateName',
  'clusterName',
];

export interface RuleDocuments {
  /** Every resource read, in source order, each identity once. */
  readonly inputs: RuleInput[];
  /**
   * What kept part of the source from being read: a document that does not parse, a resource
   * without kind or name, an unknown kind, an identity given twice. An error here means `inputs`
   * lacks something the source holds.
   */
  readonly problems: RuleProblem[];
}

/**
 * Reads the rule resources in a YAML or JSON text: several documents separated by `---`, each a
 * resource or a `kind: List` of them (`items`). Every resource comes out located (its document,
 * and its path in it) for the problems parsing finds later. Only the kinds Sextant reads are
 * returned; any other is an error naming it and the kinds it could be. The same (kind,
 * namespace, name) twice is an error naming both places; the first is kept.
 */
export function readRuleDocuments(text: string, source: string): RuleDocuments {
  const problems = new SourceProblems(source);
  const inputs: RuleInput[] = [];
  const firstSeen = new Map<string, RuleLocation>();
  const take = (value: unknown, location: RuleLocation): void => {
    for (const input of resourcesIn(value, location, problems)) {
      const key = ruleKey(identityOf(input));
      const first = firstSeen.get(key);
      if (first === undefined) {
        firstSeen.set(key, input.location);
        inputs.push(input);
        continue;
      }
      const identity = formatRuleIdentity(identityOf(input));
      problems.add(input.location, [], {
        rule: identityOf(input),
        severity: 'error',
        code: 'duplicate-identity',
        message:
          `${identity} is defined twice in this source: at ${formatRuleLocation(first)} and at ${formatRuleLocation(input.location)}; ` +
          'the first is used and this one is not',
      });
    }
  };
  if (text.length <= MAX_LOCATED_RULE_CHARACTERS) {
    for (const [documentIndex, document] of parseLocated(text, source, problems).entries()) {
      if (document instanceof SourceDocument)
        take(document.value, { source, document, documentIndex, at: [] });
    }
  } else {
    const plain = parseAllPlainly(text);
    if (plain.ok) {
      for (const [documentIndex, value] of plain.values.entries())
        take(value, { source, documentIndex, at: [] });
    } else {
      const { line, column } = plain;
      problems.push({
        file: source,
        ...(line !== undefined && column !== undefined && { line, column }),
        path: '',
        message: plain.message,
        severity: 'error',
        code: plain.failure === 'limit' ? 'document-limit' : 'syntax',
      });
    }
  }
  return { inputs, problems: problems.all() };
}

/** The documents of the text, each parsed or (in its place) the problem that it does not parse. */
function parseLocated(
  text: string,
  source: string,
  problems: SourceProblems,
): (SourceDocument | undefined)[] {
  let documents: (SourceDocument | ConfigError)[];
  try {
    documents = SourceDocument.parseAll(text, source);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.fromConfigError(error, error instanceof DocumentLimitError ? 'document-limit' : 'syntax');
    return [];
  }
  return documents.map((document) => {
    if (document instanceof SourceDocument) return document;
    problems.fromConfigError(document, 'syntax');
    return undefined;
  });
}

/** The resources in one document: itself, or the items of a `kind: List`. Empty documents hold none. */
function resourcesIn(value: unknown, location: RuleLocation, problems: SourceProblems): RuleInput[] {
  if (value === null || value === undefined) return [];
  if (isObject(value) && value.kind === 'List') {
    const items = value.items;
    if (!Array.isArray(items)) {
      problems.add(location, ['items'], {
        severity: 'error',
        code: 'not-a-resource',
        message: `a List holds its resources in "items", a list (got ${describe(items)})`,
      });
      return [];
    }
    const inputs: RuleInput[] = [];
    for (const [index, item] of items.entries()) {
      const input = readResource(item, { ...location, at: [...location.at, 'items', index] }, problems);
      if (input) inputs.push(input);
    }
    return inputs;
  }
  const input = readResource(value, location, problems);
  return input ? [input] : [];
}

/** One resource's envelope: apiVersion and kind Sextant reads, metadata with a name, and the spec as is. */
function readResource(
  value: unknown,
  location: RuleLocation,
  problems: SourceProblems,
): RuleInput | undefined {
  const report = (
    path: FieldPath,
    code: ProblemReport['code'],
    message: string,
    atKey = false,
  ): undefined => {
    problems.add(location, path, { severity: 'error', code, message, atKey });
    return undefined;
  };
  if (!isObject(value)) {
    return report(
      [],
      'not-a-resource',
      `expected a resource (apiVersion, kind, metadata, spec), got ${describe(value)}`,
    );
  }
  const { apiVersion, kind, metadata, spec } = value;
  if (typeof kind !== 'string')
    return report(
      ['kind'],
      kind === undefined ? 'missing-field' : 'wrong-type',
      'expected the kind of the resource, a string',
    );
  if (typeof apiVersion !== 'string') {
    return report(
      ['apiVersion'],
      apiVersion === undefined ? 'missing-field' : 'wrong-type',
      'expected the apiVersion of the resource, a string',
    );
  }
  const reading = readKind(apiVersion, kind);
  if ('problem' in reading) return report(['kind'], 'unknown-kind', reading.problem);
  if (!isObject(metadata))
    return report(
      ['metadata'],
      metadata === undefined ? 'missing-field' : 'wrong-type',
      'expected metadata with a name',
    );
  const { name, namespace, creationTimestamp } = metadata;
  if (typeof name !== 'string' || name === '')
    return report(['metadata', 'name'], 'missing-field', 'expected the name of the resource, a string');
  if (namespace !== undefined && namespace !== null && typeof namespace !== 'string') {
    return report(
      ['metadata', 'namespace'],
      'wrong-type',
      `expected a namespace, a string (got ${describe(namespace)})`,
    );
  }
  let wrong = false;
  for (const key of Object.keys(value)) {
    if (['apiVersion', 'kind', 'metadata', 'spec', ...IGNORED_TOP_LEVEL].includes(key)) continue;
    wrong = true;
    report(
      [key],
      'unknown-field',
      unknownFieldMessage(key, ['apiVersion', 'kind', 'metadata', 'spec', ...IGNORED_TOP_LEVEL]),
      true,
    );
  }
  for (const key of Object.keys(metadata)) {
    if (['name', 'namespace', ...IGNORED_METADATA].includes(key)) continue;
    wrong = true;
    report(
      ['metadata', key],
      'unknown-field',
      unknownFieldMessage(key, ['name', 'namespace', ...IGNORED_METADATA]),
      true,
    );
  }
  if (wrong) return undefined;
  return {
    apiVersion,
    kind: reading.kind,
    metadata: {
      name,
      ...(typeof namespace === 'string' && namespace !== '' && { namespace }),
      // Kept for Gateway API routes, whose precedence ties go to the oldest.
      ...(typeof creationTimestamp === 'string' && { creationTimestamp }),
    },
    spec,
    location,
  };
}

function identityOf(input: RuleInput): RuleIdentity {
  return {
    kind: input.kind,
    namespace: input.metadata.namespace ?? DEFAULT_RULE_NAMESPACE,
    name: input.metadata.name,
  };
}

/** Problems of a source as a whole, at most MAX_PROBLEMS_REPORTED of them (the rest counted). */
class SourceProblems {
  private readonly found: RuleProblem[] = [];
  private unreported = 0;

  constructor(private readonly source: string) {}

  add(location: RuleLocation, path: FieldPath, report: ProblemReport & { rule?: RuleIdentity }): void {
    this.push(locatedProblem(location, report.rule, path, report));
  }

  fromConfigError(error: ConfigError, code: 'syntax' | 'document-limit'): void {
    for (const problem of error.problems) this.push({ ...problem, severity: 'error', code });
  }

  push(problem: RuleProblem): void {
    if (this.found.length < MAX_PROBLEMS_REPORTED) this.found.push(problem);
    else this.unreported += 1;
  }

  all(): RuleProblem[] {
    if (this.unreported === 0) return this.found;
    return [
      ...this.found,
      {
        file: this.source,
        path: '',
        message: `${this.unreported} more problem(s) not shown (at most ${MAX_PROBLEMS_REPORTED} are reported)`,
        severity: 'error',
        code: 'too-many-problems',
      },
    ];
  }
}
