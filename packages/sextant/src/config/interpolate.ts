import type { FieldPath, Problem, SourceDocument } from '@sextant/core';

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string value of a parsed config, after
 * parsing (so a value can never inject YAML structure). `$$` is a literal `$`. A variable that
 * is unset and has no default is a problem located at the value that uses it.
 */
export function interpolateEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  document: SourceDocument,
  problems: Problem[],
  path: FieldPath = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$$') return '$';
      const set = env[name as string];
      if (set !== undefined && set !== '') return set;
      if (fallback !== undefined) return fallback;
      problems.push(
        document.problem(
          path,
          `environment variable ${String(name)} is not set (write \${${String(name)}:-default} to give a default)`,
        ),
      );
      return match;
    });
  }
  if (Array.isArray(value))
    return value.map((item, i) => interpolateEnv(item, env, document, problems, [...path, i]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        interpolateEnv(item, env, document, problems, [...path, key]),
      ]),
    );
  }
  return value;
}
