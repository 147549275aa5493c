import type { NomadServiceSelection } from '../options';
import { anyMatches, Glob } from './glob';

/**
 * Which Nomad services are watched and which of their registrations become instances. Names
 * decide at the service level; tags at the registration level, since each allocation carries its
 * own (canaries add `canary_tags`). A service is watched only when some registration could pass,
 * as far as the list's union of its tags tells.
 */
export class ServiceSelection {
  private readonly include: readonly Glob[];
  private readonly exclude: readonly Glob[];
  private readonly includeTags: readonly Glob[];
  private readonly excludeTags: readonly Glob[];

  constructor(selection: NomadServiceSelection = {}) {
    const globs = (patterns: readonly string[] = []) => patterns.map((p) => new Glob(p));
    this.include = globs(selection.include);
    this.exclude = globs(selection.exclude);
    this.includeTags = globs(selection.includeTags);
    this.excludeTags = globs(selection.excludeTags);
  }

  /** Whether to watch `name`, whose registrations together carry `tags`. */
  wantsService(name: string, tags: readonly string[]): boolean {
    if (this.include.length > 0 && !anyMatches(this.include, name)) return false;
    if (anyMatches(this.exclude, name)) return false;
    return this.includeTags.length === 0 || tags.some((tag) => anyMatches(this.includeTags, tag));
  }

  /** Whether a registration with these tags becomes an instance. */
  wantsRegistration(tags: readonly string[]): boolean {
    if (this.includeTags.length > 0 && !tags.some((tag) => anyMatches(this.includeTags, tag))) return false;
    return !tags.some((tag) => anyMatches(this.excludeTags, tag));
  }
}
