import fs from 'node:fs';
import path from 'node:path';
import { waitFor } from '@sextant/testkit';
import { startFileMesh, tempDir, type DaemonProcess } from './daemon-process';
import type { GrpcBackend } from './grpc-backend';
import { XdsClientProcess, type RpcResult } from './xds-client-process';

/**
 * What the traffic-rules e2e tests share: the built daemon serving a services file and rules
 * files, the real proxyless client (grpc-js-xds, in a child process) dialling
 * `xds:///<host>:50051` through it, and the YAML of hosts and rules.
 */

export const GRPC_PORT = 50051;

/** One host of the services file: its instances are backends, each with its labels. */
export interface MeshHost {
  readonly hostname: string;
  readonly instances: readonly { readonly backend: GrpcBackend; readonly labels?: Record<string, string> }[];
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

/** The rules of `host`: its v1/v2 subsets and one route splitting traffic v1:v2 by these weights. */
export function split(host: string, v1: number, v2: number): string {
  return documents(
    versionSubsets(host),
    virtualService(host, [
      '- route:',
      `  - { destination: { host: ${host}, subset: v1 }, weight: ${v1} }`,
      `  - { destination: { host: ${host}, subset: v2 }, weight: ${v2} }`,
    ]),
  );
}

export interface RulesMesh {
  readonly daemon: DaemonProcess;
  readonly nodeId: string;
  readonly client: XdsClientProcess;
  /**
   * Replaces `rules/<name>` (a rules file the daemon watches) with `text` as editors and
   * deploy tools do, by renaming a complete file over it; returns the file and when it was renamed.
   */
  replaceRules(name: string, text: string): { file: string; renamedAt: number };
  stop(): Promise<void>;
}

/**
 * The built daemon serving `services` and the rules files in `rules` (written before it starts,
 * so its first snapshot already has them), and a grpc-js-xds client process whose bootstrap
 * points at it as node `nodeId`.
 */
export async function startRulesMesh(
  nodeId: string,
  services: string,
  rules: Readonly<Record<string, string>>,
): Promise<RulesMesh> {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'rules'));
  fs.writeFileSync(path.join(dir, 'services.yaml'), services);
  for (const [name, text] of Object.entries(rules)) fs.writeFileSync(path.join(dir, 'rules', name), text);
  const daemon = await startFileMesh(dir, { rules: ['rules/*.yaml'], pollInterval: '1s' });
  const client = XdsClientProcess.start({ xdsServer: `127.0.0.1:${daemon.xdsPort}`, nodeId });
  return {
    daemon,
    nodeId,
    client,
    replaceRules(name, text) {
      const file = path.join(dir, 'rules', name);
      // Outside the rules directory, so no pattern ever sees it half written.
      const next = path.join(dir, `${name}.next`);
      fs.writeFileSync(next, text);
      fs.renameSync(next, file);
      return { file, renamedAt: Date.now() };
    },
    async stop() {
      await client.close();
      if (daemon.child.exitCode === null) await daemon.terminate();
    },
  };
}

/** How many results each backend answered, and failures by status code (`code 14`). */
export function tally(results: readonly RpcResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const result of results) {
    const key = result.ok ? result.response : `code ${result.code}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * Waits until RPCs to `host` succeed (the client has its listener, routes, clusters and
 * endpoints), with generous deadlines for a loaded machine.
 */
export async function waitUntilServing(mesh: RulesMesh, host: string): Promise<void> {
  let last: RpcResult | undefined;
  await waitFor(
    async () => {
      last = await mesh.client.call(`${host}:${GRPC_PORT}`, { deadlineMs: 3000 });
      return last.ok;
    },
    { timeoutMs: 20_000, message: () => `an RPC to ${host} to succeed (last: ${JSON.stringify(last)})` },
  );
}

/** Waits until `count` RPCs in a row to `host` are answered by `backend`; a new rule has arrived then. */
export async function waitUntilAllReach(
  mesh: RulesMesh,
  host: string,
  backend: string,
  count = 10,
): Promise<void> {
  let last: Record<string, number> = {};
  await waitFor(
    async () => {
      last = tally(
        await mesh.client.batch(`${host}:${GRPC_PORT}`, { count, concurrency: 1, deadlineMs: 3000 }),
      );
      return last[backend] === count;
    },
    {
      timeoutMs: 20_000,
      message: () => `every RPC to ${host} to reach ${backend} (last: ${JSON.stringify(last)})`,
    },
  );
}

export interface TypeView {
  readonly lastSent: { readonly version: string; readonly nonce: string } | null;
  readonly lastAcked: { readonly version: string; readonly nonce: string } | null;
  readonly lastNack: { readonly version: string; readonly message: string } | null;
  readonly state: 'SYNCED' | 'STALE' | 'NOT SENT' | 'NACKED';
}

/** A client as /debug/proxies lists it. */
export interface StreamView {
  readonly node: string | null;
  readonly kind: string;
  readonly status: 'connected' | 'disconnected';
  readonly types: Readonly<Record<string, TypeView>>;
}

/**
 * Waits until the client has answered the latest response of every type it subscribes to, and
 * returns its stream: then each type's last ACK is for the version last sent, unless it NACKed.
 */
export async function settledStream(mesh: RulesMesh): Promise<StreamView> {
  let stream: StreamView | undefined;
  await waitFor(
    async () => {
      const url = `${mesh.daemon.admin}/debug/proxies?node=${encodeURIComponent(mesh.nodeId)}`;
      const { clients } = (await (await fetch(url)).json()) as { clients: StreamView[] };
      stream = clients.find((client) => client.status === 'connected');
      const types = Object.values(stream?.types ?? {});
      return (
        types.length > 0 && types.every((t) => t.lastSent !== null && (t.state === 'SYNCED' || t.lastNack))
      );
    },
    { timeoutMs: 10_000, message: () => `the client to answer every response: ${JSON.stringify(stream)}` },
  );
  if (!stream) throw new Error(`no stream for ${mesh.nodeId}`);
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

export async function rulesView(mesh: RulesMesh): Promise<RulesView> {
  return (await (await fetch(`${mesh.daemon.admin}/debug/rules`)).json()) as RulesView;
}
