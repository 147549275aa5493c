import protobuf from 'protobufjs';

/**
 * What Envoy checks before it accepts a resource: the protoc-gen-validate rules written in its
 * protos (`(validate.rules)` on fields, `(validate.required)` on oneofs), read from the .proto
 * sources (the generated descriptor drops them), and applied to a rendered resource in the form
 * protobufjs encodes (Anys as `@type` plus fields). Also reports fields the message does not have
 * (protobufjs would drop them silently) and Anys whose type is unknown (they would encode empty).
 * Covers the rules Sextant's resources can meet; an unsupported rule is reported, not skipped.
 */

// The build script is plain CommonJS so that it runs before the TypeScript build.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { loadEnvoyProtoSources } = require('../scripts/envoy-protos') as {
  loadEnvoyProtoSources(): protobuf.Root;
};

let sources: protobuf.Root | undefined;

export function protoSources(): protobuf.Root {
  sources ??= loadEnvoyProtoSources();
  return sources;
}

type Rules = Record<string, unknown>;
type Value = unknown;

export function pgvViolations(typeName: string, value: object): string[] {
  const problems: string[] = [];
  checkMessage(protoSources().lookupType(typeName), value as Record<string, Value>, '', problems);
  return problems;
}

const WRAPPER = /^\.google\.protobuf\.(Double|Float|Int64|UInt64|Int32|UInt32|Bool|String|Bytes)Value$/;

function checkMessage(
  type: protobuf.Type,
  value: Record<string, Value>,
  path: string,
  problems: string[],
): void {
  if (type.fullName === '.google.protobuf.Any') {
    const typeUrl = value['@type'];
    if (typeof typeUrl !== 'string') {
      problems.push(`${path}: an Any without @type`);
      return;
    }
    const inner = protoSources().lookup(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
    if (!(inner instanceof protobuf.Type)) {
      problems.push(`${path}: unknown @type ${typeUrl}`);
      return;
    }
    const { '@type': _type, ...fields } = value;
    checkMessage(inner, fields, path, problems);
    return;
  }
  for (const key of Object.keys(value)) {
    if (!type.fields[key]) problems.push(`${join(path, key)}: ${type.fullName} has no field "${key}"`);
  }
  for (const field of type.fieldsArray) {
    const at = join(path, field.name);
    const fieldValue = value[field.name];
    const rules = rulesOf(field);
    if (fieldValue === undefined || fieldValue === null) {
      if (rules && !field.partOf) checkAbsent(field, rules, at, problems);
      continue;
    }
    if (field.map) {
      const entries = Object.entries(fieldValue as Record<string, Value>);
      if (rules?.map) checkMap(rules.map as Rules, entries.length, at, problems);
      for (const [k, v] of entries)
        checkElement(
          field,
          v,
          `${at}.${k}`,
          (rules?.map as Rules | undefined)?.values as Rules | undefined,
          problems,
        );
    } else if (field.repeated) {
      const list = fieldValue as Value[];
      const repeated = rules?.repeated as Rules | undefined;
      if (repeated) checkRepeated(repeated, list.length, at, problems);
      list.forEach((v, i) =>
        checkElement(field, v, `${at}[${i}]`, repeated?.items as Rules | undefined, problems),
      );
    } else {
      checkElement(field, fieldValue, at, rules, problems);
    }
  }
  for (const oneof of type.oneofsArray) {
    const required = (oneof.parsedOptions as Rules[] | undefined)?.some(
      (o) => o['(validate.required)'] === true,
    );
    if (required && !oneof.oneof.some((name) => value[name] !== undefined && value[name] !== null)) {
      problems.push(`${path || type.name}: one of ${oneof.oneof.join(', ')} is required`);
    }
  }
}

function checkElement(
  field: protobuf.Field,
  value: Value,
  path: string,
  rules: Rules | undefined,
  problems: string[],
): void {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) {
    if (WRAPPER.test(resolved.fullName)) {
      if (rules) checkScalar(rules, (value as { value?: Value }).value ?? 0, path, problems);
      return;
    }
    if (resolved.fullName === '.google.protobuf.Duration' && rules?.duration) {
      checkDuration(rules.duration as Rules, value as { seconds?: number; nanos?: number }, path, problems);
    }
    if (rules?.any && (rules.any as Rules).in) {
      const typeUrl = (value as Record<string, Value>)['@type'];
      if (!((rules.any as Rules).in as string[]).includes(String(typeUrl)))
        problems.push(`${path}: @type ${String(typeUrl)} not allowed`);
    }
    checkMessage(resolved, value as Record<string, Value>, path, problems);
    return;
  }
  if (resolved instanceof protobuf.Enum) {
    const enumRules = rules?.enum as Rules | undefined;
    const number = typeof value === 'string' ? resolved.values[value] : (value as number);
    if (typeof value === 'string' && number === undefined)
      problems.push(`${path}: "${value}" is not a ${resolved.name}`);
    if (enumRules?.defined_only && number !== undefined && resolved.valuesById[number] === undefined) {
      problems.push(`${path}: ${number} is not a defined ${resolved.name}`);
    }
    return;
  }
  if (rules) checkScalar(rules, value, path, problems);
}

function checkScalar(rules: Rules, value: Value, path: string, problems: string[]): void {
  for (const [kind, spec] of Object.entries(rules)) {
    const r = spec as Rules;
    if (kind === 'string') {
      const text = String(value);
      const bytes = Buffer.byteLength(text);
      if (r.min_len !== undefined && [...text].length < Number(r.min_len))
        problems.push(`${path}: shorter than ${String(r.min_len)}`);
      if (r.max_len !== undefined && [...text].length > Number(r.max_len))
        problems.push(`${path}: longer than ${String(r.max_len)}`);
      if (r.min_bytes !== undefined && bytes < Number(r.min_bytes))
        problems.push(`${path}: under ${String(r.min_bytes)} bytes`);
      if (r.max_bytes !== undefined && bytes > Number(r.max_bytes))
        problems.push(`${path}: over ${String(r.max_bytes)} bytes`);
      if (r.prefix !== undefined && !text.startsWith(String(r.prefix)))
        problems.push(`${path}: must start with ${String(r.prefix)}`);
      if (r.well_known_regex !== undefined && /[\0\r\n]/.test(text))
        problems.push(`${path}: not a valid ${String(r.well_known_regex)}`);
      const known = ['min_len', 'max_len', 'min_bytes', 'max_bytes', 'prefix', 'well_known_regex', 'strict'];
      for (const rule of Object.keys(r))
        if (!known.includes(rule)) problems.push(`${path}: unsupported rule string.${rule}`);
    } else if (kind === 'bytes') {
      // As rendered: raw bytes, or (proto3 JSON) base64 text.
      const length =
        value instanceof Uint8Array
          ? value.length
          : typeof value === 'string'
            ? Buffer.from(value, 'base64').length
            : 0;
      if (r.min_len !== undefined && length < Number(r.min_len))
        problems.push(`${path}: under ${String(r.min_len)} bytes`);
      if (r.max_len !== undefined && length > Number(r.max_len))
        problems.push(`${path}: over ${String(r.max_len)} bytes`);
      for (const rule of Object.keys(r))
        if (!['min_len', 'max_len'].includes(rule)) problems.push(`${path}: unsupported rule bytes.${rule}`);
    } else if (['uint32', 'int32', 'uint64', 'int64', 'double', 'float'].includes(kind)) {
      const n = Number(value);
      if (r.gt !== undefined && !(n > Number(r.gt))) problems.push(`${path}: must be > ${String(r.gt)}`);
      if (r.gte !== undefined && !(n >= Number(r.gte))) problems.push(`${path}: must be >= ${String(r.gte)}`);
      if (r.lt !== undefined && !(n < Number(r.lt))) problems.push(`${path}: must be < ${String(r.lt)}`);
      if (r.lte !== undefined && !(n <= Number(r.lte))) problems.push(`${path}: must be <= ${String(r.lte)}`);
      if (r.in !== undefined && !(r.in as number[]).map(Number).includes(n))
        problems.push(`${path}: not one of ${String(r.in)}`);
    } else if (
      kind === 'enum' ||
      kind === 'message' ||
      kind === 'repeated' ||
      kind === 'duration' ||
      kind === 'any'
    ) {
      // Handled where the element's type is known.
    } else {
      problems.push(`${path}: unsupported rule ${kind}`);
    }
  }
}

function checkDuration(
  rules: Rules,
  value: { seconds?: number; nanos?: number },
  path: string,
  problems: string[],
): void {
  const seconds = Number(value.seconds ?? 0) + Number(value.nanos ?? 0) / 1e9;
  const bound = (b: Value) =>
    Number((b as { seconds?: number }).seconds ?? 0) + Number((b as { nanos?: number }).nanos ?? 0) / 1e9;
  if (rules.gt !== undefined && !(seconds > bound(rules.gt)))
    problems.push(`${path}: must be longer than ${bound(rules.gt)}s`);
  if (rules.gte !== undefined && !(seconds >= bound(rules.gte)))
    problems.push(`${path}: must be at least ${bound(rules.gte)}s`);
  if (rules.lt !== undefined && !(seconds < bound(rules.lt)))
    problems.push(`${path}: must be shorter than ${bound(rules.lt)}s`);
  if (rules.lte !== undefined && !(seconds <= bound(rules.lte)))
    problems.push(`${path}: must be at most ${bound(rules.lte)}s`);
}

function checkRepeated(rules: Rules, length: number, path: string, problems: string[]): void {
  if (rules.min_items !== undefined && length < Number(rules.min_items))
    problems.push(`${path}: needs at least ${String(rules.min_items)} items`);
  if (rules.max_items !== undefined && length > Number(rules.max_items))
    problems.push(`${path}: allows at most ${String(rules.max_items)} items`);
}

function checkMap(rules: Rules, size: number, path: string, problems: string[]): void {
  if (rules.min_pairs !== undefined && size < Number(rules.min_pairs))
    problems.push(`${path}: needs at least ${String(rules.min_pairs)} entries`);
}

function rulesOf(field: protobuf.Field): Rules | undefined {
  const options = field.parsedOptions as Rules[] | undefined;
  return options?.find((o) => '(validate.rules)' in o)?.['(validate.rules)'] as Rules | undefined;
}

/** An unset field: messages must be present if required; scalars are checked at their default. */
function checkAbsent(field: protobuf.Field, rules: Rules, path: string, problems: string[]): void {
  if (field.repeated || field.map) {
    if (rules.repeated) checkRepeated(rules.repeated as Rules, 0, path, problems);
    if (rules.map) checkMap(rules.map as Rules, 0, path, problems);
    return;
  }
  if (field.resolvedType instanceof protobuf.Type) {
    const required = Object.values(rules).some((spec) => (spec as Rules | undefined)?.required === true);
    if (required) problems.push(`${path}: required`);
    return;
  }
  if (field.resolvedType instanceof protobuf.Enum) return;
  checkScalar(rules, field.type === 'string' ? '' : 0, path, problems);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
