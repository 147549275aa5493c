import { showValue } from './show-value';

/** A location inside a parsed document: object keys and array indexes, outermost first. */
export type FieldPath = readonly (string | number)[];

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Longer keys are cut: a key is input too, and a path is shown in every problem about it. */
const SHOWN_KEY_CHARACTERS = 200;

/** `services[2].instances[0].address`; keys that are not plain names are quoted: `labels["app.kubernetes.io/name"]`. */
export function formatFieldPath(path: FieldPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (segment.length <= SHOWN_KEY_CHARACTERS && PLAIN_KEY.test(segment))
      text += text === '' ? segment : `.${segment}`;
    else text += `[${showValue(segment, SHOWN_KEY_CHARACTERS)}]`;
  }
  return text;
}

/** Splits an ajv `instancePath` (a JSON pointer) into segments; digits become array indexes. */
export function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

/**
 * The segments of a path `formatFieldPath` wrote (`spec.http[0].match[1].headers["x-user"]`), so
 * a path kept as text can be located in its document again. A key too long to have been shown
 * whole comes back as the text shown (which locates its parent).
 */
export function parseFieldPath(text: string): (string | number)[] {
  const path: (string | number)[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '.') i += 1;
    if (text[i] === '[' && text[i + 1] === '"') {
      let end = i + 2;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const quoted = text.slice(i + 1, end + 1);
      path.push(parseQuoted(quoted));
      i = end + 2;
    } else if (text[i] === '[') {
      const end = text.indexOf(']', i);
      const close = end === -1 ? text.length : end;
      path.push(Number(text.slice(i + 1, close)));
      i = close + 1;
    } else {
      let end = i;
      while (end < text.length && text[end] !== '.' && text[end] !== '[') end += 1;
      path.push(text.slice(i, end));
      i = end;
    }
  }
  return path;
}

function parseQuoted(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted;
  }
}
