// A proxyless gRPC server (grpc-js-xds XdsServer, gRFC A36) in a process of its own: grpc-js-xds
// keeps one xDS client per process, which would outlive the test in the test's own process. It
// fetches its listener from the bootstrap's server_listener_resource_name_template, with
// xDS server credentials (mTLS when its listener says so, else the plain-text fallback).
//
// Environment: GRPC_XDS_BOOTSTRAP_CONFIG (the bootstrap, JSON); SEXTANT_E2E_LISTEN (ip:port to
//   bind); SEXTANT_E2E_NAME (what it answers).
// It answers /sextant.e2e.Echo/Who with "<name> <client identity>", the identity being the URI
//   subjectAltName of the client certificate, or "plaintext" without one.
// Stdout: {"serving":<port>} once its listener arrived and it serves. It ends when stdin closes.
'use strict';
const readline = require('node:readline');
const grpc = require('@grpc/grpc-js');
const xds = require('@grpc/grpc-js-xds');

// Registers the xds: resolver and the HTTP filters (the router among them) the listener names.
xds.register();
const passThrough = (bytes) => bytes;
const name = process.env.SEXTANT_E2E_NAME ?? 'server';
const server = new xds.XdsServer();
server.addService(
  {
    Who: {
      path: '/sextant.e2e.Echo/Who',
      requestStream: false,
      responseStream: false,
      requestSerialize: passThrough,
      requestDeserialize: passThrough,
      responseSerialize: passThrough,
      responseDeserialize: passThrough,
    },
  },
  {
    Who: (call, reply) => {
      const peer = call.getAuthContext().sslPeerCertificate?.subjectaltname ?? 'plaintext';
      reply(null, Buffer.from(`${name} ${peer}`));
    },
  },
);
const credentials = new xds.XdsServerCredentials(grpc.ServerCredentials.createInsecure());
server.bindAsync(process.env.SEXTANT_E2E_LISTEN, credentials, (error, port) => {
  if (error) {
    process.stderr.write(`bind failed: ${error.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify({ serving: port })}\n`);
});

readline.createInterface({ input: process.stdin }).on('close', () => {
  server.forceShutdown();
  process.exit(0);
});
