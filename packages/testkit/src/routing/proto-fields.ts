import { SimulationError } from './errors';

/**
 * Readers for Envoy messages given as plain JSON, in either of the forms Sextant produces: proto3
 * JSON as it prints it (the .proto field names, durations as `"1.5s"`, wrappers as bare values,
 * 64-bit integers as strings, enums by name, Anys as `{ "@type", ...fields }`) and the protobufjs
 * object form its renderers build and its servers decode (`{ seconds, nanos }`, `{ value }`,
 * `null` for an unset message, `''` for an unset string). lowerCamelCase JSON names are accepted too.
 */

export type JsonObject = Readonly<Record<string, unknown>>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asObject(value: unknown, path: string): JsonObject {
  if (!isObject(value)) throw new SimulationError(path, `expected an object, got ${describe(value)}`);
  return value;
}

function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/** A field under its .proto name or its JSON name; `null` (protobufjs's unset message) reads as absent. */
export function field(object: JsonObject, name: string): unknown {
  const value = Object.hasOwn(object, name) ? object[name] : object[camelCase(name)];
  return value === null ? undefined : value;
}

/** Which member of a oneof is set, if any. */
export function oneofMember<T extends string>(object: JsonObject, members: readonly T[]): T | undefined {
  return members.find((member) => field(object, member) !== undefined);
}

export function objectField(object: JsonObject, name: string, path: string): JsonObject | undefined {
  const value = field(object, name);
  return value === undefined ? undefined : asObject(value, `${path}.${name}`);
}

export function arrayField(object: JsonObject, name: string, path: string): readonly unknown[] {
  const value = field(object, name);
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new SimulationError(`${path}.${name}`, `expected a list, got ${describe(value)}`);
  return value;
}

/** A string field; proto3's unset string (`''`) is returned as is, the caller decides what it means. */
export function stringField(object: JsonObject, name: string, path: string): string | undefined {
  const value = field(object, name);
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw new SimulationError(`${path}.${name}`, `expected a string, got ${describe(value)}`);
  return value;
}

/** A string list such as `domains`. */
export function stringsField(object: JsonObject, name: string, path: string): string[] {
  return arrayField(object, name, path).map((item, index) => {
    if (typeof item !== 'string') throw new SimulationError(`${path}.${name}[${index}]`, `expected a string`);
    return item;
  });
}

/** A bool or a BoolValue wrapper (bare in proto3 JSON, `{ value }` in object form). */
export function boolField(object: JsonObject, name: string, path: string): boolean | undefined {
  const value = unwrap(field(object, name));
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean')
    throw new SimulationError(`${path}.${name}`, `expected a boolean, got ${describe(value)}`);
  return value;
}

/** An unsigned integer or UInt32Value/UInt64Value wrapper; 64-bit values may come as strings. */
export function uintField(object: JsonObject, name: string, path: string): number | undefined {
  const value = unwrap(field(object, name));
  if (value === undefined) return undefined;
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) {
    throw new SimulationError(`${path}.${name}`, `expected an unsigned integer, got ${describe(value)}`);
  }
  return number;
}

/** A signed 64-bit integer (a string in proto3 JSON and in protobufjs's `longs: String` form). */
export function int64Field(object: JsonObject, name: string, path: string): bigint | undefined {
  const value = unwrap(field(object, name));
  if (value === undefined) return undefined;
  if (
    (typeof value === 'string' && /^-?\d+$/.test(value)) ||
    (typeof value === 'number' && Number.isSafeInteger(value))
  ) {
    return BigInt(value);
  }
  throw new SimulationError(`${path}.${name}`, `expected an integer, got ${describe(value)}`);
}

/** An enum field by name or number (`values[number]`); the first value is proto3's default. */
export function enumField<T extends string>(
  object: JsonObject,
  name: string,
  path: string,
  values: readonly T[],
): T {
  const value = field(object, name);
  if (value === undefined) return values[0] as T;
  const found = typeof value === 'number' ? values[value] : values.find((v) => v === value);
  if (found === undefined) throw new SimulationError(`${path}.${name}`, `unknown value ${describe(value)}`);
  return found;
}

function unwrap(value: unknown): unknown {
  if (isObject(value) && Object.keys(value).every((key) => key === 'value')) return field(value, 'value');
  return value;
}

const DURATION = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/;

/** A google.protobuf.Duration in milliseconds (fractions kept), from `"1.5s"` or `{ seconds, nanos }`. */
export function durationMs(value: unknown, path: string): number {
  if (typeof value === 'string') {
    const match = DURATION.exec(value);
    if (!match) throw new SimulationError(path, `expected a duration such as "1.5s", got ${describe(value)}`);
    const ms = Number(match[2]) * 1000 + Number((match[3] ?? '').padEnd(9, '0')) / 1e6;
    return match[1] ? -ms : ms;
  }
  const record = asObject(value, path);
  const seconds = Number(field(record, 'seconds') ?? 0);
  const nanos = Number(field(record, 'nanos') ?? 0);
  if (!Number.isFinite(seconds) || !Number.isFinite(nanos))
    throw new SimulationError(path, 'expected { seconds, nanos }');
  return seconds * 1000 + nanos / 1e6;
}

export function durationField(object: JsonObject, name: string, path: string): number | undefined {
  const value = field(object, name);
  return value === undefined ? undefined : durationMs(value, `${path}.${name}`);
}

const DENOMINATORS = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 } as const;

/** An envoy.type.v3.FractionalPercent as numerator and denominator (HUNDRED when unset). */
export function fractionalPercent(value: unknown, path: string): { numerator: number; denominator: number } {
  const record = asObject(value, path);
  const numerator = uintField(record, 'numerator', path) ?? 0;
  const name = enumField(record, 'denominator', path, ['HUNDRED', 'TEN_THOUSAND', 'MILLION'] as const);
  return { numerator, denominator: DENOMINATORS[name] };
}

/** The share of requests a FractionalPercent selects: Envoy caps a numerator above the denominator at 100 %. */
export function fractionOf(percent: { numerator: number; denominator: number }): number {
  return Math.min(percent.numerator, percent.denominator) / percent.denominator;
}

/** The message name an Any holds (`envoy.extensions.filters.http.fault.v3.HTTPFault`). */
export function anyTypeName(value: unknown, path: string): string {
  const record = asObject(value, path);
  const typeUrl = record['@type'];
  if (typeof typeUrl !== 'string') {
    const hint =
      field(record, 'type_url') !== undefined
        ? ' (a binary Any cannot be read: give its fields beside "@type")'
        : '';
    throw new SimulationError(path, `expected an Any with "@type"${hint}`);
  }
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

/** A proto map<string, V> given as a JSON object. */
export function mapEntries(object: JsonObject, name: string, path: string): [string, unknown][] {
  const value = objectField(object, name, path);
  return value ? Object.entries(value) : [];
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
