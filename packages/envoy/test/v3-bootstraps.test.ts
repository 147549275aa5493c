import fs from 'node:fs';
import path from 'node:path';
import { SourceDocument } from '@sextant/core';
import { DEFAULT_V3_OPTIONS, parseMessage } from '../src';
import { bootstrapType, unknownFields } from './bootstrap-proto';

/**
 * The example Envoy bootstraps (examples/quickstart/envoy-v3-*.yaml) are read as Envoy reads them:
 * as an envoy.config.bootstrap.v3.Bootstrap in proto3 JSON, where a misspelt field is an error.
 */

const QUICKSTART = path.resolve(__dirname, '..', '..', '..', 'examples', 'quickstart');

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
