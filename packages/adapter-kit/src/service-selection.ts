import { anyMatches, Glob } from './glob';

/**
 * The `services` option: which of a platform's services, and which of their instances, an
 * adapter reports, by name and by tag, as globs (`*`, `?`). Platforms whose instances carry tags
 * (Consul, Nomad) share it, so operators write the same selection for each.
 */
export interface ServiceSelectionOptions {
  /** Only these names. Absent: every name. An empty list selects no name. */
  readonly include?: readonly string[];
  /** Never these names. Absent: the adapter's default (usually none). */
  readonly exclude?: readonly string[];
  /** Only instances with at least one of these tags (and only services where some instance has one). */
  readonly includeTags?: readonly string[];
  /** Never instances with one of these tags. */
  readonly excludeTags?: readonly string[];
}

const globs = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

/** JSON Schema (draft-07) of ServiceSelectionOptions, for an adapter's `optionsSchema`. */
export const serviceSelectionSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { include: globs, exclude: globs, includeTags: globs, excludeTags: globs },
} as const;

/** What a platform leaves out unless the operator says otherwise. */
export interface ServiceSelectionDefaults {
  /** Names excluded when the option gives no `exclude` (Consul: its servers' own `consul` service). */
  readonly exclude?: readonly string[];
}

/**
 * Decides in two steps, so that an excluded service costs nothing. Names are decided from the
 * platform's list of services alone, before any watch on one of them is started. Tags are decided
 * per instance, since each instance carries its own (a canary adds some); the list's union of a
 * service's tags already rules out a service none of whose instances can qualify.
 */
export class ServiceSelection {
  private readonly include: readonly Glob[] | undefined;
  private readonly exclude: readonly Glob[];
  private readonly includeTags: readonly Glob[] | undefined;
  private readonly excludeTags: readonly Glob[];

  constructor(options: ServiceSelectionOptions = {}, defaults: ServiceSelectionDefaults = {}) {
    const compile = (patterns: readonly string[]) => patterns.map((pattern) => new Glob(pattern));
    this.include = options.include && compile(options.include);
    // A given `exclude` replaces the default rather than adding to it, so it can also lift it.
    this.exclude = compile(options.exclude ?? defaults.exclude ?? []);
    this.includeTags = options.includeTags && compile(options.includeTags);
    this.excludeTags = compile(options.excludeTags ?? []);
  }

  /** Whether a service, listed with the union of its instances' tags, is worth a watch. */
  wantsService(name: string, tagUnion: readonly string[]): boolean {
    if (this.include && !anyMatches(this.include, name)) return false;
    if (anyMatches(this.exclude, name)) return false;
    return this.hasIncludedTag(tagUnion);
  }

  /** Whether one instance, by its own tags, is reported. */
  wantsInstance(tags: readonly string[]): boolean {
    if (!this.hasIncludedTag(tags)) return false;
    return !tags.some((tag) => anyMatches(this.excludeTags, tag));
  }

  private hasIncludedTag(tags: readonly string[]): boolean {
    const includeTags = this.includeTags;
    return !includeTags || tags.some((tag) => anyMatches(includeTags, tag));
  }
}
