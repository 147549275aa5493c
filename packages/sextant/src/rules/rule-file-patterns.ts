import fs from 'node:fs/promises';
import path from 'node:path';

/** Extensions of the files a directory pattern includes. */
const RULE_FILE = /\.(ya?ml|json)$/i;

/**
 * The files a `rules:` entry names, resolved against the config's directory: a file (listed even
 * if it does not exist yet: its absence is reported), a directory (its .yaml, .yml and .json
 * files), or a glob with `*` and `?` in the file name (`rules/*.yaml`). Sorted by name, so the
 * order sources are taken in is the same on every host.
 */
export async function resolveRulePattern(
  pattern: string,
  baseDir: string,
): Promise<{ files: string[]; explicit: boolean }> {
  const absolute = path.resolve(baseDir, pattern);
  const name = path.basename(absolute);
  if (/[*?]/.test(name)) {
    const dir = path.dirname(absolute);
    const matcher = globToRegExp(name);
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    return {
      files: names
        .filter((n) => matcher.test(n))
        .sort()
        .map((n) => path.join(dir, n)),
      explicit: false,
    };
  }
  const stats = await fs.stat(absolute).catch(() => undefined);
  if (stats?.isDirectory()) {
    const names = await fs.readdir(absolute).catch(() => [] as string[]);
    return {
      files: names
        .filter((n) => RULE_FILE.test(n))
        .sort()
        .map((n) => path.join(absolute, n)),
      explicit: false,
    };
  }
  return { files: [absolute], explicit: true };
}

/**
 * Every file the `rules:` patterns name now, each once: in pattern order, then name order. This
 * order is the order rule sources take identities in (the first file wins one two files define).
 */
export async function resolveRuleFiles(patterns: readonly string[], baseDir: string): Promise<string[]> {
  const files = new Set<string>();
  for (const pattern of patterns) {
    for (const file of (await resolveRulePattern(pattern, baseDir)).files) files.add(file);
  }
  return [...files];
}

/** Whether a pattern has glob characters where they are not supported (in a directory part). */
export function patternProblem(pattern: string): string | undefined {
  const dir = path.dirname(pattern);
  return /[*?[\]{}]/.test(dir)
    ? 'globs are supported in the file name only (rules/*.yaml), not in directories'
    : /[[\]{}]/.test(path.basename(pattern))
      ? 'only * and ? are glob characters here'
      : undefined;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  // A leading `*` does not match hidden files, as in a shell.
  return new RegExp(`^${glob.startsWith('*') || glob.startsWith('?') ? '(?!\\.)' : ''}${body}$`);
}
