import type { NomadServiceRegistration } from './wire';

export interface PageRequest {
  /** `?per_page=`; 0 or less means everything. */
  readonly perPage: number;
  /** `?next_token=`, from the previous page's `X-Nomad-NextToken`. */
  readonly nextToken: string;
  /** `?reverse=true`. */
  readonly reverse: boolean;
}

export interface Page {
  readonly items: NomadServiceRegistration[];
  /** Token of the first item of the next page; undefined on the last page. */
  readonly nextToken?: string;
}

/** A registration's pagination token: `<namespace>.<ID>` (Nomad's tokenizer with namespace and ID). */
export function pageToken(registration: NomadServiceRegistration): string {
  return `${registration.Namespace}.${registration.ID}`;
}

/**
 * Nomad's paginator over registrations in token order: it skips items before `nextToken` (so a
 * token whose item was deleted meanwhile resumes at the next one rather than failing), takes
 * `perPage`, and names the next page by the token of its first item.
 */
export function paginate(items: readonly NomadServiceRegistration[], request: PageRequest): Page {
  const ordered = [...items].sort((a, b) => compare(pageToken(a), pageToken(b)));
  if (request.reverse) ordered.reverse();
  const start =
    request.nextToken === ''
      ? 0
      : ordered.findIndex((item) =>
          request.reverse ? pageToken(item) <= request.nextToken : pageToken(item) >= request.nextToken,
        );
  if (start < 0) return { items: [] };
  if (request.perPage <= 0) return { items: ordered.slice(start) };
  const end = start + request.perPage;
  const next = ordered[end];
  return next
    ? { items: ordered.slice(start, end), nextToken: pageToken(next) }
    : { items: ordered.slice(start) };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
