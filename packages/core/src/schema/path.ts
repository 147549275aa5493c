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
