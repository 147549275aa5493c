import { showValue } from '../../../schema/show-value';
import type { HeaderEdits } from '../../model';
import { Fields } from '../fields';
import { headerNameProblem, headerValueProblem } from '../headers';

const HEADER_MODIFIER = { known: ['set', 'add', 'remove'] } as const;
const HTTP_HEADER = { known: ['name', 'value'] } as const;
/** Gateway API caps each of set, add and remove at 16 entries. */
const MAX_EDITS = 16;

/**
 * An HTTPHeaderFilter (`{ set: [{name, value}], add: [...], remove: [names] }`) at
 * `parent.<name>`: header names compared without case, each at most once per list.
 */
export function readHeaderModifier(parent: Fields, name: string): HeaderEdits | undefined {
  const fields = parent.message(name, HEADER_MODIFIER, { required: true });
  if (!fields) return undefined;
  const set = readHeaders(fields, 'set');
  const add = readHeaders(fields, 'add');
  const remove: string[] = [];
  let failed = set === undefined || add === undefined;
  const items = fields.strings('remove');
  if (items.length > MAX_EDITS) {
    fields.ctx.error(fields.at('remove'), 'invalid-value', `at most ${MAX_EDITS} headers`);
    failed = true;
  }
  for (const item of items) {
    const header = checkedName(fields, item.value, item.path);
    if (header === undefined) failed = true;
    else if (remove.includes(header)) {
      fields.ctx.error(item.path, 'invalid-header', `${showValue(header)} is given twice`);
      failed = true;
    } else remove.push(header);
  }
  if (failed || !set || !add) return undefined;
  return { set, add, remove };
}

function readHeaders(fields: Fields, name: string): Record<string, string> | undefined {
  const ctx = fields.ctx;
  const items = fields.list(name);
  if (items.length > MAX_EDITS) {
    ctx.error(fields.at(name), 'invalid-value', `at most ${MAX_EDITS} headers`);
    return undefined;
  }
  // fromEntries defines own properties: a header named __proto__ stays a header.
  const out: [string, string][] = [];
  let failed = false;
  for (const item of items) {
    const header = Fields.read(ctx, item.value, item.path, HTTP_HEADER);
    const key = header?.string('name', { required: true });
    const value = header?.string('value', { required: true });
    if (!header || key === undefined || value === undefined) {
      failed = true;
      continue;
    }
    const lower = checkedName(header, key, header.at('name'));
    const problem = headerValueProblem(value);
    if (problem !== undefined) ctx.error(header.at('value'), 'invalid-header', problem);
    if (lower === undefined || problem !== undefined) {
      failed = true;
    } else if (out.some(([existing]) => existing === lower)) {
      ctx.error(header.at('name'), 'invalid-header', `${showValue(lower)} is given twice`);
      failed = true;
    } else {
      out.push([lower, value]);
    }
  }
  return failed ? undefined : Object.fromEntries(out);
}

function checkedName(fields: Fields, name: string, path: Parameters<Fields['ctx']['error']>[0]) {
  const problem = headerNameProblem(name);
  if (problem !== undefined) {
    fields.ctx.error(path, 'invalid-header', problem);
    return undefined;
  }
  const lower = name.toLowerCase();
  if (lower === 'host') {
    fields.ctx.error(
      path,
      'invalid-header',
      'the Host header cannot be edited here: use a URLRewrite hostname',
    );
    return undefined;
  }
  return lower;
}
