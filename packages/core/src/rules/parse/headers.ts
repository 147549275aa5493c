import type { FieldPath } from '../../schema/path';
import { showValue } from '../../schema/show-value';
import type { HeaderEdits, HeaderOperations } from '../model';
import type { Fields } from './fields';
import type { RuleContext } from './rule-context';

/** RFC 7230 `token`: what an HTTP header name may be made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Control characters other than tab end a header line early (or are refused by the proxy). */
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}
/** Envoy's header value formatter: `%%`, or `%COMMAND%`, `%COMMAND(arg)%`, `%COMMAND(arg):N%`. */
const COMMAND = /^[A-Z_][A-Z0-9_]*(\([^)]*\))?(:\d+)?$/;

/** What is wrong with a header name a rule matches on or edits, or undefined. */
export function headerNameProblem(name: string): string | undefined {
  if (name === '') return 'a header name cannot be empty';
  if (!TOKEN.test(name)) {
    return `${showValue(name)} is not a header name (letters, digits and !#$%&'*+-.^_\`|~ only)`;
  }
  return undefined;
}

/**
 * What is wrong with a header value a rule sets, or undefined: control characters would split
 * the header, and a `%` Envoy cannot read as a formatter makes it refuse the route (`%%` is a
 * literal `%`).
 */
export function headerValueProblem(value: string): string | undefined {
  if (hasControlCharacter(value)) return 'a header value cannot hold control characters (line breaks, NUL…)';
  for (let i = value.indexOf('%'); i !== -1; i = value.indexOf('%', i)) {
    if (value[i + 1] === '%') {
      i += 2;
      continue;
    }
    const end = value.indexOf('%', i + 1);
    if (end === -1 || !COMMAND.test(value.slice(i + 1, end))) {
      return 'a "%" starts an Envoy formatter (%START_TIME%); write %% for a literal %';
    }
    i = end + 1;
  }
  return undefined;
}

const OPERATIONS = { known: ['request', 'response'] } as const;
const EDITS = { known: ['set', 'add', 'remove'] } as const;

/** Istio's `Headers` (`{ request, response }` × `{ set, add, remove }`) at `fields.<name>`. */
export function readHeaderOperations(parent: Fields, name: string): HeaderOperations | undefined {
  const fields = parent.message(name, OPERATIONS);
  if (!fields) return undefined;
  const request = readEdits(fields, 'request');
  const response = readEdits(fields, 'response');
  return { ...(request && { request }), ...(response && { response }) };
}

function readEdits(parent: Fields, name: string): HeaderEdits | undefined {
  const fields = parent.message(name, EDITS);
  if (!fields) return undefined;
  const ctx = fields.ctx;
  const set = editMap(ctx, fields, 'set');
  const add = editMap(ctx, fields, 'add');
  const remove: string[] = [];
  for (const item of fields.strings('remove')) {
    const header = checkedEditName(ctx, item.value, item.path);
    if (header !== undefined) remove.push(header);
  }
  return { set, add, remove };
}

/** A map of header names to values (`set`, `add`, legacy `appendHeaders`), each checked. */
export function editMap(ctx: RuleContext, fields: Fields, name: string): Record<string, string> {
  // fromEntries defines own properties: a header named __proto__ stays a header.
  const out: [string, string][] = [];
  for (const entry of fields.stringMap(name)) {
    const header = checkedEditName(ctx, entry.key, entry.path);
    const problem = headerValueProblem(entry.value);
    if (problem !== undefined) ctx.error(entry.path, 'invalid-header', problem);
    else if (header !== undefined) out.push([header, entry.value]);
  }
  return Object.fromEntries(out);
}

/** A header name a rule may edit (lower case), or undefined (reported): not a pseudo-header, not Host. */
function checkedEditName(ctx: RuleContext, name: string, path: FieldPath): string | undefined {
  const problem = headerNameProblem(name);
  if (problem !== undefined) {
    const pseudo = name.startsWith(':') ? ' (pseudo-headers cannot be edited)' : '';
    ctx.error(path, 'invalid-header', problem + pseudo, { atKey: true });
    return undefined;
  }
  const lower = name.toLowerCase();
  if (lower === 'host') {
    ctx.error(path, 'invalid-header', 'the Host header cannot be edited here: use rewrite.authority', {
      atKey: true,
    });
    return undefined;
  }
  return lower;
}
