/**
 * A shell-style glob over one name: `*` matches any run of characters (none included), `?`
 * exactly one; everything else matches itself. Compiled once, to an anchored regular expression.
 */
export class Glob {
  private readonly pattern: RegExp;

  constructor(readonly source: string) {
    const body = [...source]
      .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\/-]/g, '\\$&')))
      .join('');
    this.pattern = new RegExp(`^${body}$`, 's');
  }

  matches(text: string): boolean {
    return this.pattern.test(text);
  }
}

/** Whether any of `globs` matches `text`. */
export function anyMatches(globs: readonly Glob[], text: string): boolean {
  return globs.some((glob) => glob.matches(text));
}
