/**
 * A shell-style glob over one name, as operators write them in `services` options: `*` matches
 * any run of characters (none included), `?` exactly one, everything else itself. There are no
 * character classes or escapes: service names and tags rarely need them, and a pattern that means
 * what it shows needs no quoting in YAML. Compiled once to an anchored regular expression.
 */
export class Glob {
  private readonly pattern: RegExp;

  constructor(readonly source: string) {
    const body = [...source]
      .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\/-]/g, '\\$&')))
      .join('');
    // `s`: a `*` matches any character, line breaks included (a tag is free text).
    this.pattern = new RegExp(`^${body}$`, 's');
  }

  matches(text: string): boolean {
    return this.pattern.test(text);
  }
}

/** Whether any of `globs` matches `text` (none does when the list is empty). */
export function anyMatches(globs: readonly Glob[], text: string): boolean {
  return globs.some((glob) => glob.matches(text));
}
