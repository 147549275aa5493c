import { unknownFieldMessage } from '../../schema/nearest';
import type { FieldPath } from '../../schema/path';
import { showValue } from '../../schema/show-value';
import { readDuration } from './duration';
import type { RuleContext } from './rule-context';

/** The fields a message of the rule language has. */
export interface MessageSpec {
  /** Field names as Istio's JSON writes them (lowerCamelCase); proto names (snake_case) are read too. */
  readonly known: readonly string[];
  /** Fields of Istio's API Sextant does not implement, each with the sentence that refuses it. */
  readonly unsupported?: Readonly<Record<string, string>>;
}

/** A value read from a list or a map, with where it is. */
export interface Located<T> {
  readonly value: T;
  readonly path: FieldPath;
}

export interface Keyed<T> extends Located<T> {
  readonly key: string;
}

/**
 * One message of a rule (`spec`, `spec.http[0].fault`…) read field by field as Istio's jsonpb
 * reads it: JSON names and proto names alike, `null` as unset. Every field is either one the
 * caller reads or refused by name: an unknown field is an error listing the known ones, an
 * unsupported one an error saying why. Readers report what is wrong (located) and return
 * undefined, so a caller carries on and reports everything in one pass.
 */
export class Fields {
  /** Fields already reported as the wrong type: reading one twice reports it once. */
  private readonly wrong = new Set<string>();

  private constructor(
    readonly ctx: RuleContext,
    readonly path: FieldPath,
    private readonly entries: ReadonlyMap<string, { readonly key: string; readonly value: unknown }>,
  ) {}

  /** `value` read as a message at `path`; undefined (reported) when it is not an object. */
  static read(ctx: RuleContext, value: unknown, path: FieldPath, spec: MessageSpec): Fields | undefined {
    if (!isObject(value)) {
      ctx.error(path, 'wrong-type', `expected an object, got ${describe(value)}`);
      return undefined;
    }
    const entries = new Map<string, { key: string; value: unknown }>();
    for (const [key, item] of Object.entries(value)) {
      const name = jsonName(key);
      const reason =
        spec.unsupported && Object.hasOwn(spec.unsupported, name) ? spec.unsupported[name] : undefined;
      if (reason !== undefined) {
        ctx.error([...path, key], 'unsupported-field', reason, { atKey: true });
      } else if (!spec.known.includes(name)) {
        ctx.error([...path, key], 'unknown-field', unknownFieldMessage(key, spec.known), { atKey: true });
      } else if (entries.has(name)) {
        const first = entries.get(name)?.key ?? name;
        ctx.error(
          [...path, key],
          'duplicate-field',
          `given twice, as ${showValue(first)} and as ${showValue(key)}`,
          {
            atKey: true,
          },
        );
      } else if (item !== null && item !== undefined) {
        entries.set(name, { key, value: item });
      }
    }
    return new Fields(ctx, path, entries);
  }

  /** Whether the field is set (to something other than null). */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The fields that are set, by their JSON names. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** The raw value of a field. */
  raw(name: string): unknown {
    return this.entries.get(name)?.value;
  }

  /** The path of a field, spelled as written (its JSON name when absent). */
  at(name: string): FieldPath {
    return [...this.path, this.entries.get(name)?.key ?? name];
  }

  /** Reports a missing required field; true when present. */
  require(name: string): boolean {
    if (this.has(name)) return true;
    this.ctx.error(this.at(name), 'missing-field', 'missing required field');
    return false;
  }

  string(name: string, options: { required?: boolean; nonEmpty?: boolean } = {}): string | undefined {
    if (!this.has(name)) {
      if (options.required) this.require(name);
      return undefined;
    }
    const value = this.raw(name);
    if (typeof value !== 'string') return this.wrongType(name, 'a string', value);
    if (options.nonEmpty && value === '') {
      this.ctx.error(this.at(name), 'invalid-value', 'must not be empty');
      return undefined;
    }
    return value;
  }

  /**
   * A whole number in [min, max]. Quoted digits are read too, as jsonpb reads them for integers
   * (`weight: "50"`).
   */
  integer(name: string, range: { min: number; max: number; required?: boolean }): number | undefined {
    if (!this.has(name)) {
      if (range.required) this.require(name);
      return undefined;
    }
    const raw = this.raw(name);
    const value = typeof raw === 'string' && /^-?\d{1,16}$/.test(raw) ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      return this.wrongType(name, 'a whole number', raw);
    }
    return this.inRange(name, value, range);
  }

  number(name: string, range: { min: number; max: number }): number | undefined {
    if (!this.has(name)) return undefined;
    const value = this.raw(name);
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.wrongType(name, 'a number', value);
    return this.inRange(name, value, range);
  }

  boolean(name: string): boolean | undefined {
    if (!this.has(name)) return undefined;
    const value = this.raw(name);
    if (typeof value !== 'boolean') return this.wrongType(name, 'true or false', value);
    return value;
  }

  /** One of `allowed` (as written, upper case for Istio's enums). */
  oneOf<T extends string>(name: string, allowed: readonly T[], what = 'value'): T | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.ctx.error(
      this.at(name),
      'invalid-value',
      `${showValue(value)} is not a ${what} Sextant supports (expected one of: ${allowed.join(', ')})`,
    );
    return undefined;
  }

  /** A nested message; undefined when absent or not an object (reported). */
  message(name: string, spec: MessageSpec, options: { required?: boolean } = {}): Fields | undefined {
    if (!this.has(name)) {
      if (options.required) this.require(name);
      return undefined;
    }
    return Fields.read(this.ctx, this.raw(name), this.at(name), spec);
  }

  /** The items of a list field; [] when absent or not a list (reported). */
  list(name: string): Located<unknown>[] {
    if (!this.has(name)) return [];
    const value = this.raw(name);
    if (!Array.isArray(value)) {
      this.wrongType(name, 'a list', value);
      return [];
    }
    const at = this.at(name);
    return value.map((item: unknown, index) => ({ value: item, path: [...at, index] }));
  }

  /** Whether the field is an empty list (a list of the wrong type is reported elsewhere). */
  isEmptyList(name: string): boolean {
    const value = this.raw(name);
    return Array.isArray(value) && value.length === 0;
  }

  /** A list of strings; items that are not strings are reported and left out. */
  strings(name: string, options: { nonEmpty?: boolean } = {}): Located<string>[] {
    const out: Located<string>[] = [];
    for (const item of this.list(name)) {
      if (typeof item.value !== 'string') {
        this.ctx.error(item.path, 'wrong-type', `expected a string, got ${describe(item.value)}`);
      } else if (options.nonEmpty && item.value === '') {
        this.ctx.error(item.path, 'invalid-value', 'must not be empty');
      } else {
        out.push({ value: item.value, path: item.path });
      }
    }
    return out;
  }

  /** The entries of a map field (keys as written); [] when absent or not an object (reported). */
  map(name: string): Keyed<unknown>[] {
    if (!this.has(name)) return [];
    const value = this.raw(name);
    if (!isObject(value)) {
      this.wrongType(name, 'a map', value);
      return [];
    }
    const at = this.at(name);
    return Object.entries(value).map(([key, item]) => ({ key, value: item, path: [...at, key] }));
  }

  /** A map of strings (labels, header values); entries that are not strings are reported and left out. */
  stringMap(name: string): Keyed<string>[] {
    const out: Keyed<string>[] = [];
    for (const entry of this.map(name)) {
      if (typeof entry.value === 'string') out.push({ key: entry.key, value: entry.value, path: entry.path });
      else this.ctx.error(entry.path, 'wrong-type', `expected a string, got ${describe(entry.value)}`);
    }
    return out;
  }

  /** Milliseconds of a duration field (`500ms`, `1m30s`); at least 1 ms unless `zero` is allowed. */
  duration(name: string, zero: 'allowed' | 'refused' = 'refused'): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const reading = readDuration(text, zero);
    if ('ms' in reading) return reading.ms;
    this.ctx.error(this.at(name), 'invalid-duration', `${reading.problem} (${showValue(text)})`);
    return undefined;
  }

  /** Istio's `Percent` message (`{ value: 12.5 }`): 0–100. */
  percentage(name: string): number | undefined {
    const percent = this.message(name, { known: ['value'] });
    if (!percent) return undefined;
    return percent.number('value', { min: 0, max: 100 }) ?? (percent.has('value') ? undefined : 0);
  }

  private inRange(name: string, value: number, range: { min: number; max: number }): number | undefined {
    if (value >= range.min && value <= range.max) return value;
    this.ctx.error(
      this.at(name),
      'invalid-value',
      `must be between ${range.min} and ${range.max} (${value})`,
    );
    return undefined;
  }

  private wrongType(name: string, expected: string, value: unknown): undefined {
    if (this.wrong.has(name)) return undefined;
    this.wrong.add(name);
    this.ctx.error(this.at(name), 'wrong-type', `expected ${expected}, got ${describe(value)}`);
    return undefined;
  }
}

/** A proto field name as jsonpb's JSON name: `fixed_delay` → `fixedDelay`, `consecutive_5xx_errors` → `consecutive5xxErrors`. */
export function jsonName(key: string): string {
  return key.includes('_') ? key.replace(/_([a-z0-9])/g, (_, next: string) => next.toUpperCase()) : key;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `string ("abc")`, `number (5)`, `a list`, for messages saying what was found instead. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} (${showValue(value)})`;
}
