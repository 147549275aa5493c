'use strict';
/**
 * Build step: writes Envoy's v3 API (the protos listed in envoy-protos.js) as one protobufjs JSON
 * descriptor to dist/envoy-v3-descriptor.json, where src/v3/protos.ts loads it from both src/
 * (tests) and dist/. Generated, never committed: the protos stay in @grpc/grpc-js-xds.
 */
const fs = require('node:fs');
const path = require('node:path');
const { loadEnvoyProtoSources } = require('./envoy-protos');

const out = path.join(__dirname, '..', 'dist', 'envoy-v3-descriptor.json');
const json = JSON.stringify(loadEnvoyProtoSources().toJSON());
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, json);
console.log(`wrote ${path.relative(process.cwd(), out)} (${Math.round(json.length / 1024)} KiB)`);
