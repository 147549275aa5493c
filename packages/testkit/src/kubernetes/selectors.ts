/**
 * Label and field selectors as the API server reads them from `labelSelector` / `fieldSelector`:
 * comma-separated requirements, all of which must hold. Labels support `k=v`, `k==v`, `k!=v`,
 * `k`, `!k`, `k in (a,b)` and `k notin (a,b)`; fields support `=`, `==` and `!=` on
 * `metadata.name` and `metadata.namespace`.
 */
export type Selector = (labels: Readonly<Record<string, string>>) => boolean;

export class SelectorError extends Error {
  override readonly name = 'SelectorError';
}

type Requirement = (labels: Readonly<Record<string, string>>) => boolean;

export function parseLabelSelector(text: string | null): Selector {
  if (text === null || text.trim() === '') return () => true;
  const requirements = splitRequirements(text).map(parseLabelRequirement);
  return (labels) => requirements.every((requirement) => requirement(labels));
}

function parseLabelRequirement(text: string): Requirement {
  const set = /^([^\s!=(),]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(text);
  if (set) {
    const [, key = '', operator, list = ''] = set;
    const values = new Set(list.split(',').map((value) => value.trim()));
    return operator === 'in'
      ? (labels) => labels[key] !== undefined && values.has(labels[key])
      : (labels) => labels[key] === undefined || !values.has(labels[key]);
  }
  const comparison = /^([^\s!=(),]+)\s*(==|!=|=)\s*([^\s!=(),]*)$/.exec(text);
  if (comparison) {
    const [, key = '', operator, value = ''] = comparison;
    return operator === '!=' ? (labels) => labels[key] !== value : (labels) => labels[key] === value;
  }
  const absent = /^!\s*([^\s!=(),]+)$/.exec(text);
  if (absent) return (labels) => labels[absent[1] ?? ''] === undefined;
  if (/^[^\s!=(),]+$/.test(text)) return (labels) => labels[text] !== undefined;
  throw new SelectorError(`unable to parse requirement: ${JSON.stringify(text)}`);
}

/** The fields a field selector may name, as the API server supports them for every kind. */
export interface SelectableFields {
  readonly 'metadata.name': string;
  readonly 'metadata.namespace': string;
}

export function parseFieldSelector(text: string | null): (fields: SelectableFields) => boolean {
  if (text === null || text.trim() === '') return () => true;
  const requirements = splitRequirements(text).map((requirement) => {
    const match = /^([^\s!=]+)\s*(==|!=|=)\s*([^\s!=]*)$/.exec(requirement);
    const field = match?.[1];
    if (!match || (field !== 'metadata.name' && field !== 'metadata.namespace')) {
      throw new SelectorError(`field label not supported: ${requirement}`);
    }
    const value = match[3] ?? '';
    return match[2] === '!='
      ? (fields: SelectableFields) => fields[field] !== value
      : (fields: SelectableFields) => fields[field] === value;
  });
  return (fields) => requirements.every((requirement) => requirement(fields));
}

/** Splits on commas that are not inside a `( … )` value set. */
function splitRequirements(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (char === '(') depth += 1;
    else if (char === ')') depth -= 1;
    else if (char === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  if (parts.some((part) => part === ''))
    throw new SelectorError(`empty requirement in ${JSON.stringify(text)}`);
  return parts;
}
