import protobuf from 'protobufjs';
import { protoSources } from './v3-pgv';

/** envoy.config.bootstrap.v3.Bootstrap, loaded from Envoy's .proto sources beside the resources Sextant encodes. */
export function bootstrapType(): protobuf.Type {
  const root = protoSources();
  if (!root.lookup('envoy.config.bootstrap.v3.Bootstrap')) {
    root.loadSync('envoy/config/bootstrap/v3/bootstrap.proto', { keepCase: true });
    root.resolveAll();
  }
  return root.lookupType('envoy.config.bootstrap.v3.Bootstrap');
}

/** Fields of a proto3 JSON value that its message does not define (Envoy rejects a bootstrap with any). */
export function unknownFields(type: protobuf.Type, json: unknown, at = ''): string[] {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return [];
  const name = type.fullName;
  if (name === '.google.protobuf.Any') {
    const { '@type': typeUrl, ...rest } = json as Record<string, unknown>;
    const inner = type.root.lookupType(String(typeUrl).slice(String(typeUrl).lastIndexOf('/') + 1));
    return unknownFields(inner, rest, at);
  }
  if (name.startsWith('.google.protobuf.')) return [];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(json)) {
    const field =
      type.fields[key] ??
      type.fieldsArray.find((f) => f.name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) === key);
    const where = at ? `${at}.${key}` : key;
    if (!field) {
      problems.push(where);
      continue;
    }
    if (!(field.resolvedType instanceof protobuf.Type)) continue;
    const elements = field.map ? Object.values(value as object) : Array.isArray(value) ? value : [value];
    for (const element of elements) problems.push(...unknownFields(field.resolvedType, element, where));
  }
  return problems;
}
