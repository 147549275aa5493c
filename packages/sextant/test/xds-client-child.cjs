// A proxyless gRPC client (grpc-js with grpc-js-xds) in a process of its own, driven by a test
// over stdin/stdout, one JSON object per line. grpc-js-xds keeps one xDS client per process,
// which reconnects to its server for as long as the process lives: in the test's own process it
// would outlive the test (and keep jest from exiting) whenever the daemon stops first. Here the
// test ends it by closing stdin, or kills it.
//
// Environment: GRPC_XDS_BOOTSTRAP_CONFIG (the bootstrap, JSON) or GRPC_XDS_BOOTSTRAP (a file holding it);
//   SEXTANT_E2E_XDS_CREDENTIALS=1: channels use xDS credentials (gRFC A29: TLS as the cluster says,
//   with the bootstrap's certificate providers; plain text for clusters that say nothing).
// Request:  {"id":1,"target":"xds:///echo:50051","method":"/pkg.Svc/M","metadata":{"k":"v"},"deadlineMs":2000}
// Response: {"id":1,"ok":true,"response":"<utf-8 body>"} or {"id":1,"ok":false,"code":14,"details":"..."},
//   each with "ms" (how long the RPC took) and "at" (epoch ms it ended).
// A batch (one line each way, so hundreds of RPCs cost no pipe round trips), the request with
//   "batch":{"count":500,"concurrency":25}: that many RPCs, so many at a time; or
//   "batch":{"until":"v2","maxMs":5000,"intervalMs":5}: RPCs one after another, each intervalMs after the
//   last ended (leaving the CPU to the daemon), until one is answered "v2", for at most maxMs;
// Response: {"id":1,"results":[{"ok":true,"response":"v1","ms":3.2,"at":1765000000000}, ...],"calls":500}
//   (for `until`: the first and the last 20 results, and "calls": how many were made).
'use strict';
const { performance } = require('node:perf_hooks');
const readline = require('node:readline');
const grpc = require('@grpc/grpc-js');
const xds = require('@grpc/grpc-js-xds');

xds.register();
const clients = new Map();
const passThrough = (bytes) => bytes;

function clientFor(target) {
  let client = clients.get(target);
  if (!client) {
    const insecure = grpc.credentials.createInsecure();
    const credentials =
      process.env.SEXTANT_E2E_XDS_CREDENTIALS === '1' ? new xds.XdsChannelCredentials(insecure) : insecure;
    client = new grpc.Client(target, credentials);
    clients.set(target, client);
  }
  return client;
}

/** One RPC; `done` gets its outcome, how long it took and when it ended. */
function rpc(request, done) {
  const started = performance.now();
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
      const timing = { ms: performance.now() - started, at: Date.now() };
      done(
        error
          ? { ok: false, code: error.code, details: error.details, ...timing }
          : { ok: true, response: response ? response.toString() : '', ...timing },
      );
    },
  );
}

const rpcAsync = (request) => new Promise((resolve) => rpc(request, resolve));

async function batch(request) {
  const { count = 0, concurrency = 1, until, maxMs = 0, intervalMs = 0 } = request.batch;
  if (until !== undefined) {
    const endAt = Date.now() + maxMs;
    const results = [];
    let calls = 0;
    for (;;) {
      const result = await rpcAsync(request);
      calls += 1;
      // Bounded memory however long it runs: the first result and the latest ones say enough.
      results.push(result);
      if (results.length > 21) results.splice(1, 1);
      if ((result.ok && result.response === until) || Date.now() >= endAt) return { results, calls };
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
  const results = [];
  for (let start = 0; start < count; start += concurrency) {
    const wave = Math.min(concurrency, count - start);
    results.push(...(await Promise.all(Array.from({ length: wave }, () => rpcAsync(request)))));
  }
  return { results, calls: results.length };
}

function answer(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function call(request) {
  if (request.batch) {
    batch(request).then((outcome) => answer({ id: request.id, ...outcome }));
    return;
  }
  rpc(request, (result) => answer({ id: request.id, ...result }));
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
