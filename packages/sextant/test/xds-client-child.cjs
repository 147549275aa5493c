// A proxyless gRPC client (grpc-js with grpc-js-xds) in a process of its own, driven by a test
// over stdin/stdout, one JSON object per line. grpc-js-xds keeps one xDS client per process,
// which reconnects to its server for as long as the process lives: in the test's own process it
// would outlive the test (and keep jest from exiting) whenever the daemon stops first. Here the
// test ends it by closing stdin, or kills it.
//
// Environment: GRPC_XDS_BOOTSTRAP_CONFIG (the bootstrap, JSON).
// Request:  {"id":1,"target":"xds:///echo:50051","method":"/pkg.Svc/M","metadata":{"k":"v"},"deadlineMs":2000}
// Response: {"id":1,"ok":true,"response":"<utf-8 body>"} or {"id":1,"ok":false,"code":14,"details":"..."}
'use strict';
const readline = require('node:readline');
const grpc = require('@grpc/grpc-js');
const xds = require('@grpc/grpc-js-xds');

xds.register();
const clients = new Map();
const passThrough = (bytes) => bytes;

function clientFor(target) {
  let client = clients.get(target);
  if (!client) {
    client = new grpc.Client(target, grpc.credentials.createInsecure());
    clients.set(target, client);
  }
  return client;
}

function call(request) {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(request.metadata ?? {})) metadata.set(key, String(value));
  clientFor(request.target).makeUnaryRequest(
    request.method,
    passThrough,
    passThrough,
    Buffer.from(request.body ?? ''),
    metadata,
    { deadline: Date.now() + (request.deadlineMs ?? 2000) },
    (error, response) => {
      const answer = error
        ? { id: request.id, ok: false, code: error.code, details: error.details }
        : { id: request.id, ok: true, response: response ? response.toString() : '' };
      process.stdout.write(`${JSON.stringify(answer)}\n`);
    },
  );
}

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === '') return;
  call(JSON.parse(line));
});
// stdin closed: the test is done with this client.
lines.on('close', () => {
  for (const client of clients.values()) client.close();
  process.exit(0);
});
