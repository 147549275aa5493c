import fs from 'node:fs';
import path from 'node:path';
import { SourceDocument } from '@sextant/core';
import protobuf from 'protobufjs';
import { DEFAULT_V3_OPTIONS, parseMessage } from '../src';
import { protoSources } from './v3-pgv';

/**
 * The example Envoy bootstraps (examples/quickstart/envoy-v3-*.yaml) are read as Envoy reads them:
 * as an envoy.config.bootstrap.v3.Bootstrap in proto3 JSON, where a misspelt field is an error.
 */

const QUICKSTART = path.resolve(__dirname, '..', '..', '..', 'examples', 'quickstart');

function bootstrapType(): protobuf.Type {
  const root = protoSources();
  if (!root.lookup('envoy.config.bootstrap.v3.Bootstrap')) {
    root.loadSync('envoy/config/bootstrap/v3/bootstrap.proto', { keepCase: true });
    root.resolveAll();
  }
  return root.lookupType('envoy.config.bootstrap.v3.Bootstrap');
}

/** Fields of a proto3 JSON value that its message does not define (Envoy rejects a bootstrap with any). */
function unknownFields(type: protobuf.Type, json: unknown, at = ''): string[] {
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

describe.each(['envoy-v3-ads.yaml', 'envoy-v3-rest.yaml'])('the example bootstrap %s', (file) => {
  const text = fs.readFileSync(path.join(QUICKSTART, file), 'utf8');
  const json = SourceDocument.parse(text, file).value as Record<string, unknown>;

  it('is a valid Bootstrap with no unknown fields', () => {
    const type = bootstrapType();
    expect(() => parseMessage(type, json)).not.toThrow();
    expect(unknownFields(type, json)).toEqual([]);
  });

  it('names the cluster Sextant`s config sources point back at, on Sextant`s default ports', () => {
    const clusters = (json.static_resources as { clusters: { name: string }[] }).clusters;
    expect(clusters.map((c) => c.name)).toContain(DEFAULT_V3_OPTIONS.xdsClusterName);
    expect(text).toMatch(file.includes('rest') ? /port_value: 15003/ : /port_value: 15010/);
  });
});
