import fs from 'node:fs';
import path from 'node:path';
import {
  Client,
  credentials,
  Metadata,
  Server,
  ServerCredentials,
  status,
  type ServiceError,
  type ServerUnaryCall,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { register as registerXdsResolver } from '@grpc/grpc-js-xds';
import { freePort, waitFor } from '@sextant/testkit';
import { startDaemon, tempDir, type DaemonProcess } from './daemon-process';

/**
 * What the traffic-rules e2e tests share: real gRPC backends on loopback that answer with their
 * own name, the built daemon serving a services file and rules files, and the real proxyless
 * client (grpc-js-xds) dialling `xds:///<host>:50051` through it.
 */

export const GRPC_PORT = 50051;
const METHOD = '/sextant.e2e.Echo/Who';
const passThrough = (bytes: Buffer) => bytes;

export interface Backend {
  readonly name: string;
  readonly port: number;
  /** Calls received, by the `:authority` the client sent (the host it dialled). */
  readonly calls: Map<string, number>;
  stop(): Promise<void>;
}

export interface BackendOptions {
  /**
   * Fail the first call carrying each request body with UNAVAILABLE and answer the next one:
   * every RPC's first attempt fails, a retry of it succeeds.
   */
  readonly failFirstAttempt?: boolean;
}

/** A gRPC backend that answers every call with its own name. */
export async function startBackend(name: string, options: BackendOptions = {}): Promise<Backend> {
  const calls = new Map<string, number>();
  const attempted = new Set<string>();
  const server = new Server();
  server.addService(
    {
      Who: {
        path: METHOD,
        requestStream: false,
        responseStream: false,
        requestSerialize: passThrough,
        requestDeserialize: passThrough,
        responseSerialize: passThrough,
        responseDeserialize: passThrough,
      },
    },
    {
      Who: (call: ServerUnaryCall<Buffer, Buffer>, reply: sendUnaryData<Buffer>) => {
        const host = call.getHost();
        calls.set(host, (calls.get(host) ?? 0) + 1);
        const id = call.request.toString();
        if (options.failFirstAttempt && !attempted.has(id)) {
          attempted.add(id);
          reply({ code: status.UNAVAILABLE, details: `${name}: first attempt of ${id} fails` });
          return;
        }
        reply(null, Buffer.from(name));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    name,
    port,
    calls,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** One host of the services file: its instances are backends, each with its labels. */
export interface MeshHost {
  readonly hostname: string;
  readonly instances: readonly { readonly backend: Backend; readonly labels?: Record<string, string> }[];
}

export function servicesYaml(hosts: readonly MeshHost[]): string {
  return [
    'services:',
    ...hosts.flatMap((host) => [
      `  - hostname: ${host.hostname}`,
      `    ports: [{ name: grpc, port: ${GRPC_PORT}, protocol: grpc }]`,
      '    instances:',
      ...host.instances.map(
        ({ backend, labels }) =>
          `      - { address: 127.0.0.1, port: ${backend.port}, labels: ${JSON.stringify(labels ?? {})} }`,
      ),
    ]),
    '',
  ].join('\n');
}

/** A YAML multi-document text. */
export function documents(...docs: string[][]): string {
  return docs.map((lines) => lines.join('\n')).join('\n---\n') + '\n';
}

/** A DestinationRule giving `host` the subsets v1 and v2 (instances labelled `version: v1/v2`). */
export function versionSubsets(host: string): string[] {
  return [
    'apiVersion: networking.istio.io/v1',
    'kind: DestinationRule',
    `metadata: { name: ${host.split('.')[0]} }`,
    'spec:',
    `  host: ${host}`,
    '  subsets:',
    '  - { name: v1, labels: { version: v1 } }',
    '  - { name: v2, labels: { version: v2 } }',
  ];
}

/** A VirtualService for `host` whose `http` routes are `httpLines` (YAML, indented under `http:`). */
export function virtualService(host: string, httpLines: string[]): string[] {
  return [
    'apiVersion: networking.istio.io/v1',
    'kind: VirtualService',
    `metadata: { name: ${host.split('.')[0]} }`,
    'spec:',
    `  hosts: [${host}]`,
    '  http:',
    ...httpLines.map((line) => `  ${line}`),
  ];
}

export interface RulesDaemon {
  readonly daemon: DaemonProcess;
  readonly dir: string;
  readonly nodeId: string;
  /** Writes `rules/<name>` (a rules file the daemon watches). */
  writeRules(name: string, text: string): string;
  /** A client channel for `xds:///<host>:50051`. */
  client(host: string): Client;
  stop(): Promise<void>;
}

/**
 * The built daemon serving `services` and the rules files in `rules` (written before it starts,
 * so its first snapshot already has them), and the grpc-js-xds resolver registered in this
 * process with a bootstrap pointing at it as node `nodeId`.
 */
export async function startRulesDaemon(
  nodeId: string,
  services: string,
  rules: Readonly<Record<string, string>>,
  logLevel: 'warn' | 'info' = 'warn',
): Promise<RulesDaemon> {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'rules'));
  fs.writeFileSync(path.join(dir, 'services.yaml'), services);
  const writeRules = (name: string, text: string) => {
    const file = path.join(dir, 'rules', name);
    fs.writeFileSync(file, text);
    return file;
  };
  for (const [name, text] of Object.entries(rules)) writeRules(name, text);
  const xdsPort = await freePort();
  const daemon = await startDaemon(
    dir,
    [
      'listen:',
      '  discovery: ${DISCOVERY}',
      '  admin: ${ADMIN}',
      `  xds: 127.0.0.1:${xdsPort}`,
      'debounce: { after: 50ms, max: 300ms }',
      `log: { level: ${logLevel} }`,
      'rules: [rules/*.yaml]',
      'adapters:',
      '  - { name: local, type: file, path: services.yaml, pollInterval: 1s }',
      '',
    ].join('\n'),
  );
  await waitFor(async () => (await fetch(`${daemon.admin}/readyz`)).ok, {
    timeoutMs: 15_000,
    message: () => `the daemon to be ready:\n${daemon.output()}`,
  });
  process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
    xds_servers: [
      {
        server_uri: `127.0.0.1:${xdsPort}`,
        channel_creds: [{ type: 'insecure' }],
        server_features: ['xds_v3'],
      },
    ],
    node: { id: nodeId, locality: {} },
  });
  registerXdsResolver();
  const clients: Client[] = [];
  return {
    daemon,
    dir,
    nodeId,
    writeRules,
    client(host) {
      const client = new Client(`xds:///${host}:${GRPC_PORT}`, credentials.createInsecure());
      clients.push(client);
      return client;
    },
    async stop() {
      for (const client of clients) client.close();
      // grpc-js-xds ends its ADS stream once the last channel's watches are cancelled. Stopping the
      // daemon first would have it start the stream again, wait-for-ready, and jest wait forever.
      await waitFor(async () => (await proxyStreams(daemon.admin)).length === 0, {
        timeoutMs: 10_000,
        message: 'the gRPC client to end its ADS stream',
      }).catch(() => undefined);
      closeXdsClientChannels();
      const t0 = Date.now();
      await daemon.terminate();
      console.log('TERMINATED', Date.now() - t0);
      for (const ms of [10, 500, 1500]) setTimeout(() => console.log('AFTER', Date.now() - t0, (process as any).getActiveResourcesInfo()), ms).unref();
    },
  };
}

/**
 * Closes grpc-js-xds's own channel to the xDS server, which it keeps open, idle, once no watch
 * is left (it has no API to close it): left open, the daemon waits out its shutdown grace for the
 * connection, and the socket keeps jest alive after the tests.
 */
function closeXdsClientChannels(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const internals = require('@grpc/grpc-js-xds/build/src/xds-client') as {
    getSingletonXdsClient(): { clients?: { client: { adsClient?: { getChannel(): { close(): void } } } }[] };
  };
  for (const { client } of internals.getSingletonXdsClient().clients ?? []) client.adsClient?.getChannel().close();
}

export type CallResult =
  | { readonly ok: true; readonly name: string; readonly ms: number }
  | { readonly ok: false; readonly code: number; readonly details: string; readonly ms: number };

export interface CallOptions {
  /** Metadata (request headers) to send. */
  readonly metadata?: Record<string, string>;
  /** The request body; backends that fail first attempts key them by it. Default: empty. */
  readonly body?: string;
  /** The RPC's own deadline. Default 10 s: generous, so a route's timeout is what ends a call. */
  readonly deadlineMs?: number;
}

/** One RPC; resolves with who answered, or the status it failed with, and how long it took. */
export function call(client: Client, options: CallOptions = {}): Promise<CallResult> {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
  const started = performance.now();
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      METHOD,
      passThrough,
      passThrough,
      Buffer.from(options.body ?? ''),
      metadata,
      { deadline: Date.now() + (options.deadlineMs ?? 10_000) },
      (error: ServiceError | null, response?: Buffer) => {
        const ms = performance.now() - started;
        resolve(
          error
            ? { ok: false, code: error.code, details: error.details, ms }
            : { ok: true, name: response?.toString() ?? '', ms },
        );
      },
    );
  });
}

/** `count` RPCs, `concurrency` at a time. */
export async function calls(
  client: Client,
  count: number,
  options: CallOptions | ((index: number) => CallOptions) = {},
  concurrency = 25,
): Promise<CallResult[]> {
  const results: CallResult[] = [];
  for (let start = 0; start < count; start += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, count - start) }, (_, i) =>
      call(client, typeof options === 'function' ? options(start + i) : options),
    );
    results.push(...(await Promise.all(batch)));
  }
  return results;
}

/** How many results each backend answered, and failures by status code (`code 14`). */
export function tally(results: readonly CallResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const result of results) {
    const key = result.ok ? result.name : `code ${result.code}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Waits until an RPC succeeds (the channel has its listener, clusters and endpoints). */
export async function waitUntilServing(client: Client, options: CallOptions = {}): Promise<void> {
  let last: CallResult | undefined;
  await waitFor(
    async () => {
      last = await call(client, { deadlineMs: 3000, ...options });
      return last.ok;
    },
    { timeoutMs: 15_000, message: () => `an RPC to succeed (last: ${JSON.stringify(last)})` },
  );
}

export interface TypeView {
  readonly lastSent: { readonly version: string; readonly nonce: string } | null;
  readonly lastAcked: { readonly version: string; readonly nonce: string } | null;
  readonly lastNack: { readonly version: string; readonly message: string } | null;
  readonly upToDate: boolean;
  readonly names?: readonly string[];
}

export interface StreamView {
  readonly node: string | null;
  readonly client: { readonly kind: string } | null;
  readonly types: Readonly<Record<string, TypeView>>;
}

export async function proxyStreams(admin: string, node?: string): Promise<StreamView[]> {
  const query = node === undefined ? '' : `?node=${encodeURIComponent(node)}`;
  const body = (await (await fetch(`${admin}/debug/proxies${query}`)).json()) as { streams: StreamView[] };
  return body.streams;
}

/**
 * Waits until the client has answered the latest response of every type it subscribes to, and
 * returns its stream: then each type's last ACK is for the version last sent, unless it NACKed.
 */
export async function settledStream(admin: string, node: string): Promise<StreamView> {
  let stream: StreamView | undefined;
  await waitFor(
    async () => {
      [stream] = await proxyStreams(admin, node);
      const types = Object.values(stream?.types ?? {});
      return types.length > 0 && types.every((t) => t.lastSent !== null && (t.upToDate || t.lastNack));
    },
    { timeoutMs: 10_000, message: () => `the client to answer every response: ${JSON.stringify(stream)}` },
  );
  if (!stream) throw new Error(`no stream for ${node}`);
  return stream;
}

export interface RulesView {
  readonly rules: readonly {
    readonly rule: string;
    readonly source: string;
    readonly state: string;
    readonly errors: readonly { readonly message: string; readonly code: string }[];
  }[];
  readonly sources: readonly {
    readonly source: string;
    readonly problems: readonly { readonly message: string }[];
  }[];
}

export async function rulesView(admin: string): Promise<RulesView> {
  return (await (await fetch(`${admin}/debug/rules`)).json()) as RulesView;
}
