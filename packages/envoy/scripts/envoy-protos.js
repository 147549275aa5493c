'use strict';
/**
 * Envoy's v3 API as @grpc/grpc-js-xds ships it (deps/envoy-api and its imports: xds, googleapis,
 * protoc-gen-validate), loaded from the .proto sources with protobufjs. The build turns this root
 * into a JSON descriptor (generate-descriptor.js) so that nothing reads .proto files at run time;
 * tests load the sources directly to read protoc-gen-validate rules, which a JSON descriptor
 * flattens away.
 */
const fs = require('node:fs');
const path = require('node:path');
const protobuf = require('protobufjs');

/**
 * The files whose messages Sextant encodes or decodes. Every type an `@type` names must be among
 * them or their imports: a type missing from the root encodes as an empty Any, which clients NACK.
 */
const ENTRY_PROTOS = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/cluster/v3/cds.proto',
  'envoy/service/endpoint/v3/eds.proto',
  'envoy/service/listener/v3/lds.proto',
  'envoy/service/route/v3/rds.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/cors/v3/cors.proto',
  'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
];

function depsDir() {
  return path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
}

/** A protobufjs root with every entry proto and its imports, field names as written (snake_case). */
function loadEnvoyProtoSources() {
  const includeDirs = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((dir) =>
    path.join(depsDir(), dir),
  );
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    // Well-known types come with protobufjs; descriptor.proto (for custom options) is shipped beside them.
    if (protobuf.common[target]) return target;
    if (target === 'google/protobuf/descriptor.proto') {
      return require.resolve('protobufjs/google/protobuf/descriptor.proto');
    }
    for (const dir of includeDirs) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    throw new Error(`cannot find ${target} (imported by ${origin || 'the entry list'}) under ${depsDir()}`);
  };
  root.loadSync(ENTRY_PROTOS, { keepCase: true });
  root.resolveAll();
  return root;
}

module.exports = { ENTRY_PROTOS, loadEnvoyProtoSources };
