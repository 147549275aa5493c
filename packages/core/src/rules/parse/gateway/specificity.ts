import type { HttpRoute, MatchSpecificity } from '../../model';

const PATH_RANK: Readonly<Record<MatchSpecificity['path'], number>> = { exact: 0, regex: 1, prefix: 2 };

/**
 * Gateway API's precedence between two matches, most specific first: an exact path, then a
 * regular expression (the spec leaves its place to implementations; before prefixes, so a regex
 * is not shadowed by the default `/`), then prefixes; a longer path first; a method; more
 * headers; more query parameters. 0 for a tie, which the route's age and name then break.
 */
export function compareSpecificity(a: MatchSpecificity, b: MatchSpecificity): number {
  return (
    PATH_RANK[a.path] - PATH_RANK[b.path] ||
    b.pathLength - a.pathLength ||
    Number(b.method) - Number(a.method) ||
    b.headers - a.headers ||
    b.queryParams - a.queryParams
  );
}

/** The last tie-break: the order the rules and matches are written in. */
export function compareWritten(a: MatchSpecificity, b: MatchSpecificity): number {
  return a.rule - b.rule || a.match - b.match;
}

/** Routes of one HTTPRoute in precedence order (stable: routes split from one match stay together). */
export function bySpecificity(routes: readonly HttpRoute[]): HttpRoute[] {
  return [...routes].sort((a, b) => {
    if (!a.specificity || !b.specificity) return 0;
    return compareSpecificity(a.specificity, b.specificity) || compareWritten(a.specificity, b.specificity);
  });
}
