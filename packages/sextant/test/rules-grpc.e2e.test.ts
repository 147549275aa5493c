import { status } from '@grpc/grpc-js';
import { waitFor } from '@sextant/testkit';
import { failFirstAttempt, startGrpcBackend, type GrpcBackend } from './grpc-backend';
import {
  GRPC_PORT,
  documents,
  servicesYaml,
  settledStream,
  startRulesMesh,
  tally,
  versionSubsets,
  virtualService,
  waitUntilServing,
  type RulesMesh,
} from './grpc-rules-harness';
import type { RpcResult } from './xds-client-process';

/**
 * Traffic rules as the real proxyless client (grpc-js-xds) obeys them: the built daemon reads
 * VirtualServices and DestinationRules from rules files and serves them over ADS; RPCs go to
 * real gRPC backends on loopback, each answering with its own name (subsets are the instances
 * labelled `version: v1` and `version: v2`).
 */

const NODE_ID = 'rules-grpc-e2e';
const SPLIT = 'split.e2e.local';
const HEADER = 'header.e2e.local';
const ABORT_HTTP = 'abort-http.e2e.local';
const ABORT_GRPC = 'abort-grpc.e2e.local';
const DELAY = 'delay.e2e.local';
const TIMEOUT = 'timeout.e2e.local';
const RETRY = 'retry.e2e.local';
const NO_RETRY = 'no-retry.e2e.local';

/** Far longer than the 500 ms route timeout, and shorter than the RPCs' own 10 s deadline. */
const TIMEOUT_DELAY_MS = 4000;

const route = (...destinations: string[]) => ['  route:', ...destinations.map((d) => `  - ${d}`)];
const toSubset = (host: string, subset: string, weight?: number) =>
  `{ destination: { host: ${host}, subset: ${subset} }${weight === undefined ? '' : `, weight: ${weight}`} }`;
const toHost = (host: string) => `{ destination: { host: ${host} } }`;

const RULES = {
  'split.yaml': documents(
    versionSubsets(SPLIT),
    virtualService(SPLIT, ['- name: canary', ...route(toSubset(SPLIT, 'v1', 80), toSubset(SPLIT, 'v2', 20))]),
  ),
  'header.yaml': documents(
    versionSubsets(HEADER),
    virtualService(HEADER, [
      '- name: jason',
      '  match: [{ headers: { end-user: { exact: jason } } }]',
      ...route(toSubset(HEADER, 'v2')),
      '- name: everyone-else',
      ...route(toSubset(HEADER, 'v1')),
    ]),
  ),
  'faults.yaml': documents(
    virtualService(ABORT_HTTP, [
      '- fault: { abort: { httpStatus: 503, percentage: { value: 100 } } }',
      ...route(toHost(ABORT_HTTP)),
    ]),
    virtualService(ABORT_GRPC, [
      '- fault: { abort: { grpcStatus: PERMISSION_DENIED, percentage: { value: 100 } } }',
      ...route(toHost(ABORT_GRPC)),
    ]),
    virtualService(DELAY, [
      '- fault: { delay: { fixedDelay: 1s, percentage: { value: 100 } } }',
      ...route(toHost(DELAY)),
    ]),
    virtualService(TIMEOUT, [
      `- fault: { delay: { fixedDelay: ${TIMEOUT_DELAY_MS}ms, percentage: { value: 100 } } }`,
      '  timeout: 500ms',
      ...route(toHost(TIMEOUT)),
    ]),
  ),
  'retries.yaml': documents(
    virtualService(RETRY, ['- retries: { attempts: 3, retryOn: unavailable }', ...route(toHost(RETRY))]),
    virtualService(NO_RETRY, route(toHost(NO_RETRY))),
  ),
};

const target = (host: string) => `${host}:${GRPC_PORT}`;

describe('traffic rules obeyed by a proxyless gRPC client (grpc-js-xds) against the daemon', () => {
  let mesh: RulesMesh;
  const backends: Record<'v1' | 'v2' | 'retried' | 'unretried', GrpcBackend> = {} as never;
  const totalCalls = () => Object.values(backends).reduce((sum, backend) => sum + backend.calls(), 0);

  /**
   * The setup, awaited before cleaning up: a beforeAll that runs out of time on a loaded machine
   * leaves it running, and what it starts afterwards would otherwise outlive the tests.
   */
  let setup: Promise<void> | undefined;

  beforeAll(() => {
    setup = (async () => {
      backends.v1 = await startGrpcBackend('v1');
      backends.v2 = await startGrpcBackend('v2');
      backends.retried = await startGrpcBackend('retried', failFirstAttempt);
      backends.unretried = await startGrpcBackend('unretried', failFirstAttempt);
      const versions = [
        { backend: backends.v1, labels: { version: 'v1' } },
        { backend: backends.v2, labels: { version: 'v2' } },
      ];
      mesh = await startRulesMesh(
        NODE_ID,
        servicesYaml([
          ...[SPLIT, HEADER, ABORT_HTTP, ABORT_GRPC, DELAY, TIMEOUT].map((hostname) => ({
            hostname,
            instances: versions,
          })),
          { hostname: RETRY, instances: [{ backend: backends.retried }] },
          { hostname: NO_RETRY, instances: [{ backend: backends.unretried }] },
        ]),
        RULES,
      );
    })();
    return setup;
  }, 60_000);

  afterAll(async () => {
    await setup?.catch(() => undefined);
    await mesh?.stop();
    await Promise.all(Object.values(backends).map((backend) => backend.stop()));
  }, 60_000);

  it('splits 80/20 between subsets over 1000 RPCs (within ±6 percentage points)', async () => {
    await waitUntilServing(mesh, SPLIT);
    const results = await mesh.client.batch(target(SPLIT), {
      count: 1000,
      concurrency: 50,
      deadlineMs: 10_000,
    });
    const counts = tally(results);
    expect(Object.keys(counts).sort()).toEqual(['v1', 'v2']);
    const v1Share = ((counts.v1 ?? 0) / results.length) * 100;
    expect(Math.abs(v1Share - 80)).toBeLessThanOrEqual(6);
  }, 60_000);

  it('sends RPCs with `end-user: jason` metadata to v2 and every other RPC to v1', async () => {
    await waitUntilServing(mesh, HEADER);
    const options = { count: 50, deadlineMs: 10_000 };
    const marked = await mesh.client.batch(target(HEADER), { ...options, metadata: { 'end-user': 'jason' } });
    const unmarked = await mesh.client.batch(target(HEADER), options);
    const otherUser = await mesh.client.batch(target(HEADER), {
      ...options,
      metadata: { 'end-user': 'jasonx' },
    });
    expect(tally(marked)).toEqual({ v2: 50 });
    expect(tally(unmarked)).toEqual({ v1: 50 });
    expect(tally(otherUser)).toEqual({ v1: 50 });
  }, 60_000);

  it('fails every RPC with the abort status (httpStatus 503 mapped to UNAVAILABLE) without reaching a backend', async () => {
    const before = totalCalls();
    const options = { count: 50, deadlineMs: 10_000 };
    const http = await mesh.client.batch(target(ABORT_HTTP), options);
    const grpc = await mesh.client.batch(target(ABORT_GRPC), options);
    expect(tally(http)).toEqual({ [`code ${status.UNAVAILABLE}`]: 50 });
    expect(tally(grpc)).toEqual({ [`code ${status.PERMISSION_DENIED}`]: 50 });
    // The client's fault filter says so: the failure is injected, not a backend's answer.
    expect(http.filter((r) => !r.ok && /fault/i.test(r.details))).toHaveLength(50);
    expect(totalCalls()).toBe(before);
  }, 60_000);

  it('delays RPCs by the fixed delay, and a route timeout shorter than it ends them with DEADLINE_EXCEEDED', async () => {
    await waitUntilServing(mesh, DELAY);
    const slow = await mesh.client.batch(target(DELAY), { count: 5, deadlineMs: 10_000 });
    expect(slow.filter((r) => r.ok)).toHaveLength(5);
    expect(Math.min(...slow.map((r) => r.ms))).toBeGreaterThanOrEqual(990);

    // Resolved first, so the RPCs below spend their time on the route alone.
    await waitFor(
      async () => (await mesh.client.call(target(TIMEOUT), { deadlineMs: 10_000 })).ok === false,
      {
        timeoutMs: 20_000,
        message: 'an RPC to the timeout host to end',
      },
    );
    // The RPCs' own deadline is 10 s and the delay 4 s: only the 500 ms route timeout
    // (max_stream_duration) can end them with DEADLINE_EXCEEDED sooner.
    const results = await mesh.client.batch(target(TIMEOUT), { count: 5, deadlineMs: 10_000 });
    expect(tally(results)).toEqual({ [`code ${status.DEADLINE_EXCEEDED}`]: 5 });
    for (const r of results) {
      expect(r.ms).toBeGreaterThanOrEqual(450);
      expect(r.ms).toBeLessThan(TIMEOUT_DELAY_MS);
    }
  }, 60_000);

  it('retries the failed first attempt of each RPC under `retries: { attempts: 3, retryOn: unavailable }`, and not without it', async () => {
    await waitUntilServing(mesh, RETRY);
    const retriedBefore = backends.retried.calls();
    const withRetries = await mesh.client.batch(target(RETRY), { count: 30, deadlineMs: 10_000 });
    expect(tally(withRetries)).toEqual({ retried: 30 });
    // Each RPC took exactly two attempts: the first failed, the one retry succeeded.
    expect(backends.retried.calls() - retriedBefore).toBe(60);

    // The same kind of backend behind a route without retries: every first attempt's failure is the RPC's.
    let first: RpcResult | undefined;
    await waitFor(
      async () => {
        first = await mesh.client.call(target(NO_RETRY), { deadlineMs: 3000 });
        return !first.ok && first.code === status.UNAVAILABLE && first.details.includes('first attempt');
      },
      {
        timeoutMs: 20_000,
        message: () => `an RPC to reach the backend without retries (last: ${JSON.stringify(first)})`,
      },
    );
    const unretriedBefore = backends.unretried.calls();
    const without = await mesh.client.batch(target(NO_RETRY), { count: 30, deadlineMs: 10_000 });
    expect(tally(without)).toEqual({ [`code ${status.UNAVAILABLE}`]: 30 });
    expect(without.filter((r) => !r.ok && r.details.includes('first attempt'))).toHaveLength(30);
    expect(backends.unretried.calls() - unretriedBefore).toBe(30);
  }, 60_000);

  it('accepts everything served: no NACK, and every type ACKed at the version last sent', async () => {
    const stream = await settledStream(mesh);
    expect(stream.kind).toBe('grpc');
    expect(Object.keys(stream.types).sort()).toEqual(['cds', 'eds', 'lds']);
    for (const [type, view] of Object.entries(stream.types)) {
      expect([type, view.lastNack]).toEqual([type, null]);
      expect([type, view.lastAcked?.version]).toEqual([type, view.lastSent?.version]);
    }
  }, 60_000);
});
