import { globToRegExp, matchesAny } from './glob';
import { DEFAULTS, type ServiceSelection } from './options';

/**
 * Which Consul services and instances the adapter reports (the `services` option). Names are
 * decided from the catalog list alone, so an excluded service costs no watch; tags are decided per
 * instance, with the catalog's tag union ruling out services none of whose instances can qualify.
 */
export class ServiceFilter {
  private readonly include: readonly RegExp[] | undefined;
  private readonly exclude: readonly RegExp[];
  private readonly includeTags: readonly RegExp[] | undefined;
  private readonly excludeTags: readonly RegExp[];

  constructor(selection: ServiceSelection = {}) {
    this.include = selection.include?.map(globToRegExp);
    this.exclude = (selection.exclude ?? DEFAULTS.exclude).map(globToRegExp);
    this.includeTags = selection.includeTags?.map(globToRegExp);
    this.excludeTags = (selection.excludeTags ?? []).map(globToRegExp);
  }

  /** Whether a service in the catalog list (`name` with the union of its instances' tags) is worth a watch. */
  wantsService(name: string, tagUnion: readonly string[]): boolean {
    if (this.include && !matchesAny(this.include, name)) return false;
    if (matchesAny(this.exclude, name)) return false;
    return !this.includeTags || tagUnion.some((tag) => matchesAny(this.includeTags as RegExp[], tag));
  }

  /** Whether one instance, by its own tags, is reported. */
  wantsInstance(tags: readonly string[]): boolean {
    if (this.includeTags && !tags.some((tag) => matchesAny(this.includeTags as RegExp[], tag))) return false;
    return !tags.some((tag) => matchesAny(this.excludeTags, tag));
  }
}
