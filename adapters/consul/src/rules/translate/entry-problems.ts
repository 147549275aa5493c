/**
 * Something in a Consul config entry that Sextant cannot translate. An `error` keeps the entry out
 * (its last translatable version, if any, stays in use); a `warning` names a field left out of an
 * entry that is otherwise applied.
 */
export interface EntryProblem {
  /** `consul-config:<kind>/<name>`, as the entry's rules name their source. */
  readonly entry: string;
  /** The field, in Consul's names: `Routes[1].Match.HTTP.PathRegex`, `Subsets.v1.Filter`. */
  readonly field: string;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

/** `consul-config:service-router/web: Routes[1].Match.HTTP.PathRegex: …`, as status lines and logs show it. */
export function formatEntryProblem(problem: EntryProblem): string {
  const field = problem.field === '' ? '' : ` ${problem.field}`;
  const applied = problem.severity === 'error' ? ' (entry not applied)' : ' (field ignored)';
  return `${problem.entry}${field}: ${problem.message}${applied}`;
}

/** The source name of an entry's rules and problems. */
export function entrySource(kind: string, name: string): string {
  return `consul-config:${kind}/${name}`;
}

/**
 * Reads a JSON object from Consul field by field, recording a problem for anything of the wrong
 * type (Consul validates its entries, but what comes over the wire is checked all the same).
 */
export class EntryFields {
  constructor(
    readonly value: Readonly<Record<string, unknown>>,
    readonly path: string,
    private readonly report: (field: string, message: string, severity?: 'error' | 'warning') => void,
  ) {}

  static of(
    value: unknown,
    path: string,
    report: (field: string, message: string, severity?: 'error' | 'warning') => void,
  ): EntryFields | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      report(path, 'not an object');
      return undefined;
    }
    return new EntryFields(value as Record<string, unknown>, path, report);
  }

  at(field: string): string {
    return this.path === '' ? field : `${this.path}.${field}`;
  }

  has(field: string): boolean {
    const value = this.value[field];
    return (
      value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0)
    );
  }

  error(field: string, message: string): void {
    this.report(this.at(field), message, 'error');
  }

  warn(field: string, message: string): void {
    this.report(this.at(field), message, 'warning');
  }

  string(field: string): string | undefined {
    const value = this.value[field];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'string') return value;
    this.error(field, 'not a string');
    return undefined;
  }

  number(field: string): number | undefined {
    const value = this.value[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    this.error(field, 'not a number');
    return undefined;
  }

  boolean(field: string): boolean {
    const value = this.value[field];
    if (value === undefined || value === null) return false;
    if (typeof value === 'boolean') return value;
    this.error(field, 'not a boolean');
    return false;
  }

  object(field: string): EntryFields | undefined {
    return EntryFields.of(this.value[field], this.at(field), this.report);
  }

  /** Each item of a list, with its path (`Routes[2]`). */
  list(field: string): { value: unknown; path: string }[] {
    const value = this.value[field];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.error(field, 'not a list');
      return [];
    }
    return value.map((item, index) => ({ value: item, path: `${this.at(field)}[${index}]` }));
  }

  objects(field: string): EntryFields[] {
    return this.list(field).flatMap(({ value, path }) => {
      const fields = EntryFields.of(value, path, this.report);
      return fields ? [fields] : [];
    });
  }

  strings(field: string): string[] {
    return this.list(field).flatMap(({ value, path }) => {
      if (typeof value === 'string') return [value];
      this.report(path, 'not a string', 'error');
      return [];
    });
  }

  /** A map of string keys to objects (`Subsets`), each with its path (`Subsets.v1`). */
  entries(field: string): { key: string; fields: EntryFields }[] {
    const map = this.object(field);
    if (!map) return [];
    return Object.entries(map.value).flatMap(([key, value]) => {
      const fields = EntryFields.of(value ?? {}, map.at(key), this.report);
      return fields ? [{ key, fields }] : [];
    });
  }

  /** A map of string keys to strings (`Add`, `Set` of header modifiers). */
  stringMap(field: string): Record<string, string> | undefined {
    const map = this.object(field);
    if (!map) return undefined;
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(map.value)) {
      if (typeof value === 'string') out[key] = value;
      else this.report(map.at(key), 'not a string', 'error');
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
}
