import { clientText } from '@sextant/core';
import type protobuf from 'protobufjs';
import { protobufjs } from './protobufjs';

/**
 * The proto3 JSON mapping (https://protobuf.dev/programming-guides/json/), driven by the loaded
 * descriptor: Envoy's REST-JSON transport posts DiscoveryRequests and reads DiscoveryResponses in
 * it. protobufjs's own `toObject`/`fromObject` are not that mapping (durations as objects, no
 * JSON names, no well-known types but Any), hence this module.
 *
 * Printing uses the field names of the .proto (as Envoy's admin output does; the mapping allows
 * it and every parser accepts it). Parsing accepts both the .proto name and the lowerCamelCase
 * JSON name, and ignores fields the descriptor does not know (a newer client may send them).
 */

/** A JSON body that does not fit the message it should encode; `path` locates the field. */
export class ProtoJsonError extends Error {
  override readonly name = 'ProtoJsonError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(path ? `${clientText(path)}: ${reason}` : reason);
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const WRAPPERS = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map(
    (name) => `.google.protobuf.${name}Value`,
  ),
);
const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const INT32_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  int32: [-2147483648, 2147483647],
  sint32: [-2147483648, 2147483647],
  sfixed32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  fixed32: [0, 4294967295],
};

// ---------------------------------------------------------------- printing

/** A decoded message as proto3 JSON. */
export function printMessage(type: protobuf.Type, message: object): Json {
  const name = type.fullName;
  const record = message as Record<string, unknown>;
  if (name === '.google.protobuf.Any') return printAny(type.root, message);
  if (name === '.google.protobuf.Duration') return printDuration(record);
  if (name === '.google.protobuf.Timestamp') return printTimestamp(record);
  if (WRAPPERS.has(name)) {
    const field = type.fields.value as protobuf.Field;
    return own(record, 'value') ? printScalar(field, record.value) : printScalar(field, defaultOf(field));
  }
  if (name === '.google.protobuf.Struct') return printStruct(type, record);
  if (name === '.google.protobuf.ListValue') return printList(type, record);
  if (name === '.google.protobuf.Value') return printValue(type, record);
  if (name === '.google.protobuf.FieldMask') {
    return ((record.paths as string[] | undefined) ?? []).map(camelCase).join(',');
  }
  const out: Record<string, Json> = {};
  for (const field of type.fieldsArray) {
    if (!own(record, field.name)) continue;
    const value = record[field.name];
    if (value === null || value === undefined) continue;
    if (field.map) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) continue;
      out[field.name] = Object.fromEntries(entries.map(([k, v]) => [k, printElement(field, v)]));
    } else if (field.repeated) {
      const list = value as unknown[];
      if (list.length === 0) continue;
      out[field.name] = list.map((v) => printElement(field, v));
    } else {
      // Scalars without presence are omitted at their default, as the mapping prints them.
      if (!field.partOf && !(field.resolvedType instanceof protobufjs().Type) && isDefault(field, value))
        continue;
      out[field.name] = printElement(field, value);
    }
  }
  return out;
}

/** An encoded google.protobuf.Any as proto3 JSON: `@type` beside the message's fields. */
export function printAnyBytes(root: protobuf.Root, bytes: Uint8Array): Json {
  const anyType = root.lookupType('google.protobuf.Any');
  return printAny(root, anyType.decode(bytes));
}

function printAny(root: protobuf.Root, message: object): Json {
  const { type_url: typeUrl, value } = message as { type_url?: string; value?: Uint8Array };
  if (!typeUrl) return {};
  const type = root.lookupType(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
  const inner = printMessage(type, type.decode(value ?? new Uint8Array()));
  if (inner !== null && typeof inner === 'object' && !Array.isArray(inner) && !isWellKnown(type)) {
    return { '@type': typeUrl, ...inner };
  }
  return { '@type': typeUrl, value: inner };
}

function printElement(field: protobuf.Field, value: unknown): Json {
  const resolved = field.resolvedType;
  if (resolved instanceof protobufjs().Type) return printMessage(resolved, value as object);
  return printScalar(field, value);
}

function printScalar(field: protobuf.Field, value: unknown): Json {
  const resolved = field.resolvedType;
  if (resolved instanceof protobufjs().Enum) {
    const name = resolved.valuesById[value as number];
    return name ?? (value as number);
  }
  if (LONG_TYPES.has(field.type)) return String(value);
  if (field.type === 'bytes') return Buffer.from(value as Uint8Array).toString('base64');
  if (field.type === 'double' || field.type === 'float') {
    const n = value as number;
    return Number.isFinite(n) ? n : String(n);
  }
  return value as Json;
}

function printDuration(record: Record<string, unknown>): string {
  const seconds = BigInt(String(record.seconds ?? 0));
  const nanos = Number(record.nanos ?? 0);
  const negative = seconds < 0n || nanos < 0;
  const abs = (negative ? -seconds : seconds).toString();
  return `${negative ? '-' : ''}${abs}${fraction(Math.abs(nanos))}s`;
}

function printTimestamp(record: Record<string, unknown>): string {
  const seconds = Number(String(record.seconds ?? 0));
  const nanos = Number(record.nanos ?? 0);
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, `${fraction(nanos)}Z`);
}

/** `.5`, `.000001`… as the mapping writes fractions: 0, 3, 6 or 9 digits. */
function fraction(nanos: number): string {
  if (nanos === 0) return '';
  const digits = String(nanos).padStart(9, '0');
  if (digits.endsWith('000000')) return `.${digits.slice(0, 3)}`;
  if (digits.endsWith('000')) return `.${digits.slice(0, 6)}`;
  return `.${digits}`;
}

function printStruct(type: protobuf.Type, record: Record<string, unknown>): Json {
  const valueType = (type.fields.fields as protobuf.Field).resolvedType as protobuf.Type;
  const fields = (record.fields as Record<string, object> | undefined) ?? {};
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, printValue(valueType, v)]));
}

function printList(type: protobuf.Type, record: Record<string, unknown>): Json {
  const valueType = (type.fields.values as protobuf.Field).resolvedType as protobuf.Type;
  return ((record.values as object[] | undefined) ?? []).map((v) => printValue(valueType, v));
}

function printValue(type: protobuf.Type, value: object): Json {
  const record = value as Record<string, unknown>;
  const f = valueFields(type);
  if (own(record, f.struct.name)) {
    return printStruct(
      f.struct.resolvedType as protobuf.Type,
      record[f.struct.name] as Record<string, unknown>,
    );
  }
  if (own(record, f.list.name)) {
    return printList(f.list.resolvedType as protobuf.Type, record[f.list.name] as Record<string, unknown>);
  }
  if (own(record, f.number.name)) return record[f.number.name] as number;
  if (own(record, f.string.name)) return record[f.string.name] as string;
  if (own(record, f.bool.name)) return record[f.bool.name] as boolean;
  return null;
}

/**
 * google.protobuf.Value's fields, found by number: protobufjs bundles that type with camelCase
 * field names (`numberValue`), unlike every other message of the descriptor.
 */
function valueFields(type: protobuf.Type) {
  const byId = (id: number) => {
    const field = type.fieldsById[id];
    if (!field) throw new Error(`${type.fullName} has no field ${id}`);
    return field;
  };
  return { null: byId(1), number: byId(2), string: byId(3), bool: byId(4), struct: byId(5), list: byId(6) };
}

// ---------------------------------------------------------------- parsing

/**
 * How deeply messages may nest in a parsed body, counting the body's own message as 1 (and each
 * Struct, Value and ListValue of a JSON value as one). protoc and protobufjs stop at 100 (past it
 * protobufjs throws a plain Error, and a recursive parser runs out of stack); a real
 * DiscoveryRequest nests fewer than 10 deep.
 */
export const MAX_MESSAGE_DEPTH = 100;

/**
 * A proto3 JSON value as the plain object protobufjs's `fromObject` takes (fields by .proto
 * name, enums by name, 64-bit integers as strings, Anys already encoded). Throws ProtoJsonError
 * naming the offending field, also for messages nested deeper than MAX_MESSAGE_DEPTH.
 */
export function parseMessage(
  type: protobuf.Type,
  json: unknown,
  path = '',
  depth = 1,
): Record<string, unknown> {
  checkDepth(depth, path);
  const name = type.fullName;
  if (name === '.google.protobuf.Any') return parseAny(type.root, json, path, depth);
  if (name === '.google.protobuf.Duration') return parseDuration(json, path);
  if (name === '.google.protobuf.Timestamp') return parseTimestamp(json, path);
  if (WRAPPERS.has(name)) return { value: parseScalar(type.fields.value as protobuf.Field, json, path) };
  if (name === '.google.protobuf.Struct') return parseStruct(type, json, path, depth);
  if (name === '.google.protobuf.ListValue') return parseList(type, json, path, depth);
  if (name === '.google.protobuf.Value') return parseValue(type, json, path, depth);
  if (name === '.google.protobuf.FieldMask') {
    if (typeof json !== 'string') throw new ProtoJsonError(path, `expected a string, got ${describe(json)}`);
    return { paths: json === '' ? [] : json.split(',').map(snakeCase) };
  }
  const object = expectObject(json, path);
  const fields = fieldsByJsonKey(type);
  const out: Record<string, unknown> = {};
  const oneofsSeen = new Map<string, string>();
  for (const [key, value] of Object.entries(object)) {
    const field = fields.get(key);
    if (!field) continue;
    const at = path ? `${path}.${key}` : key;
    if (value === null && field.resolvedType?.fullName !== '.google.protobuf.Value') continue;
    if (field.partOf) {
      const other = oneofsSeen.get(field.partOf.name);
      if (other !== undefined) {
        throw new ProtoJsonError(
          at,
          `"${other}" is already set; they are alternatives (oneof ${field.partOf.name})`,
        );
      }
      oneofsSeen.set(field.partOf.name, key);
    }
    if (field instanceof protobufjs().MapField) {
      const entries = Object.entries(expectObject(value, at));
      out[field.name] = Object.fromEntries(
        entries.map(([k, v]) => [
          parseMapKey(field, k, `${at}.${k}`),
          parseElement(field, v, `${at}.${k}`, depth + 1),
        ]),
      );
    } else if (field.repeated) {
      if (!Array.isArray(value)) throw new ProtoJsonError(at, `expected a list, got ${describe(value)}`);
      out[field.name] = value.map((v, i) => parseElement(field, v, `${at}[${i}]`, depth + 1));
    } else {
      out[field.name] = parseElement(field, value, at, depth + 1);
    }
  }
  return out;
}

/** A field's value; `depth` is what a message value of it would be at. */
function parseElement(field: protobuf.Field, value: unknown, path: string, depth: number): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobufjs().Type) return parseMessage(resolved, value, path, depth);
  return parseScalar(field, value, path);
}

function parseScalar(field: protobuf.Field, value: unknown, path: string): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobufjs().Enum) {
    if (typeof value === 'string') {
      if (!(value in resolved.values)) {
        throw new ProtoJsonError(
          path,
          `"${clientText(value, 60)}" is not one of ${Object.keys(resolved.values).join(', ')}`,
        );
      }
      return value;
    }
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    throw new ProtoJsonError(path, `expected an enum name, got ${describe(value)}`);
  }
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string')
        throw new ProtoJsonError(path, `expected a string, got ${describe(value)}`);
      return value;
    case 'bool':
      if (typeof value !== 'boolean')
        throw new ProtoJsonError(path, `expected true or false, got ${describe(value)}`);
      return value;
    case 'bytes':
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) {
        throw new ProtoJsonError(path, `expected base64 bytes, got ${describe(value)}`);
      }
      return Buffer.from(value, 'base64');
    case 'double':
    case 'float':
      if (typeof value === 'number') return value;
      if (typeof value === 'string' && ['NaN', 'Infinity', '-Infinity'].includes(value)) return Number(value);
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
        return Number(value);
      throw new ProtoJsonError(path, `expected a number, got ${describe(value)}`);
    default:
      return parseInteger(field.type, value, path);
  }
}

function parseInteger(type: string, value: unknown, path: string): number | string {
  const text =
    typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined || !/^-?\d+$/.test(text)) {
    throw new ProtoJsonError(path, `expected an integer, got ${describe(value)}`);
  }
  if (LONG_TYPES.has(type)) {
    const big = BigInt(text);
    const unsigned = type === 'uint64' || type === 'fixed64';
    const [min, max] = unsigned ? [0n, 2n ** 64n - 1n] : [-(2n ** 63n), 2n ** 63n - 1n];
    if (big < min || big > max) throw new ProtoJsonError(path, `${text} is out of range for ${type}`);
    return big.toString();
  }
  const [min, max] = INT32_RANGE[type] ?? [-Infinity, Infinity];
  const n = Number(text);
  if (n < min || n > max) throw new ProtoJsonError(path, `${text} is out of range for ${type}`);
  return n;
}

function parseMapKey(field: protobuf.MapField, key: string, path: string): string {
  if (field.keyType === 'string') return key;
  if (field.keyType === 'bool') {
    if (key !== 'true' && key !== 'false') throw new ProtoJsonError(path, 'map key must be true or false');
    return key;
  }
  return String(parseInteger(field.keyType, key, path));
}

function parseAny(root: protobuf.Root, json: unknown, path: string, depth: number): Record<string, unknown> {
  const object = expectObject(json, path);
  const typeUrl = object['@type'];
  if (typeof typeUrl !== 'string' || !typeUrl.includes('/')) {
    throw new ProtoJsonError(
      path ? `${path}.@type` : '@type',
      'an Any needs "@type": "type.googleapis.com/<message>"',
    );
  }
  const type = root.lookup(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
  if (!(type instanceof protobufjs().Type)) {
    throw new ProtoJsonError(
      path ? `${path}.@type` : '@type',
      `unknown message type "${clientText(typeUrl, 200)}"`,
    );
  }
  // The packed message is one level deeper, although it is encoded on its own: a chain of Anys
  // is as deep to parse as the messages it nests.
  const fields = isWellKnown(type)
    ? parseMessage(type, object.value, `${path}.value`, depth + 1)
    : parseMessage(type, object, path, depth + 1);
  return { type_url: typeUrl, value: type.encode(type.fromObject(fields)).finish() };
}

function parseDuration(json: unknown, path: string): Record<string, unknown> {
  const match = typeof json === 'string' ? /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(json) : null;
  if (!match) throw new ProtoJsonError(path, `expected a duration like "1.5s", got ${describe(json)}`);
  const sign = match[1] ? -1 : 1;
  const nanos = Number((match[3] ?? '').padEnd(9, '0'));
  return { seconds: `${match[1] ?? ''}${match[2]}`, nanos: sign * nanos };
}

function parseTimestamp(json: unknown, path: string): Record<string, unknown> {
  const match =
    typeof json === 'string'
      ? /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(json)
      : null;
  const ms = match ? Date.parse(`${match[1]}${match[3]}`) : NaN;
  if (!match || Number.isNaN(ms)) {
    throw new ProtoJsonError(path, `expected an RFC 3339 timestamp, got ${describe(json)}`);
  }
  return { seconds: String(Math.floor(ms / 1000)), nanos: Number((match[2] ?? '').padEnd(9, '0')) };
}

function parseStruct(
  type: protobuf.Type,
  json: unknown,
  path: string,
  depth: number,
): Record<string, unknown> {
  checkDepth(depth, path);
  const valueType = (type.fields.fields as protobuf.Field).resolvedType as protobuf.Type;
  const object = expectObject(json, path);
  return {
    fields: Object.fromEntries(
      Object.entries(object).map(([k, v]) => [
        k,
        parseValue(valueType, v, path ? `${path}.${k}` : k, depth + 1),
      ]),
    ),
  };
}

function parseList(type: protobuf.Type, json: unknown, path: string, depth: number): Record<string, unknown> {
  checkDepth(depth, path);
  if (!Array.isArray(json)) throw new ProtoJsonError(path, `expected a list, got ${describe(json)}`);
  const valueType = (type.fields.values as protobuf.Field).resolvedType as protobuf.Type;
  return { values: json.map((v, i) => parseValue(valueType, v, `${path}[${i}]`, depth + 1)) };
}

function parseValue(
  type: protobuf.Type,
  json: unknown,
  path: string,
  depth: number,
): Record<string, unknown> {
  checkDepth(depth, path);
  const f = valueFields(type);
  if (json === null) return { [f.null.name]: 'NULL_VALUE' };
  if (typeof json === 'number') return { [f.number.name]: json };
  if (typeof json === 'string') return { [f.string.name]: json };
  if (typeof json === 'boolean') return { [f.bool.name]: json };
  if (Array.isArray(json))
    return { [f.list.name]: parseList(f.list.resolvedType as protobuf.Type, json, path, depth + 1) };
  return { [f.struct.name]: parseStruct(f.struct.resolvedType as protobuf.Type, json, path, depth + 1) };
}

function checkDepth(depth: number, path: string): void {
  if (depth > MAX_MESSAGE_DEPTH) {
    throw new ProtoJsonError(path, `nested too deeply (more than ${MAX_MESSAGE_DEPTH} levels of messages)`);
  }
}

// ---------------------------------------------------------------- shared

const jsonKeys = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

function fieldsByJsonKey(type: protobuf.Type): Map<string, protobuf.Field> {
  let map = jsonKeys.get(type);
  if (!map) {
    map = new Map();
    for (const field of type.fieldsArray) {
      map.set(field.name, field);
      map.set(camelCase(field.name), field);
    }
    jsonKeys.set(type, map);
  }
  return map;
}

function isWellKnown(type: protobuf.Type): boolean {
  const name = type.fullName;
  return (
    WRAPPERS.has(name) ||
    [
      '.google.protobuf.Any',
      '.google.protobuf.Duration',
      '.google.protobuf.Timestamp',
      '.google.protobuf.Struct',
      '.google.protobuf.ListValue',
      '.google.protobuf.Value',
      '.google.protobuf.FieldMask',
    ].includes(name)
  );
}

function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function own(record: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(record, key);
}

function defaultOf(field: protobuf.Field): unknown {
  if (field.type === 'string') return '';
  if (field.type === 'bool') return false;
  if (field.type === 'bytes') return new Uint8Array();
  return 0;
}

function isDefault(field: protobuf.Field, value: unknown): boolean {
  if (field.resolvedType instanceof protobufjs().Enum)
    return value === 0 || value === field.resolvedType.valuesById[0];
  if (field.type === 'bytes') return (value as Uint8Array).length === 0;
  if (LONG_TYPES.has(field.type)) return String(value) === '0';
  return value === defaultOf(field);
}

function expectObject(json: unknown, path: string): Record<string, unknown> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ProtoJsonError(path, `expected an object, got ${describe(json)}`);
  }
  return json as Record<string, unknown>;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return `${typeof value} ${String(value)}`;
}
