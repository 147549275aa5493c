import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import {
  GRPC_PORT,
  call,
  calls,
  documents,
  servicesYaml,
  settledStream,
  startBackend,
  startRulesDaemon,
  tally,
  versionSubsets,
  virtualService,
  waitUntilServing,
  type Backend,
  type RulesDaemon,
} from './grpc-rules-harness';

/**
 * Traffic rules as the real proxyless client (grpc-js-xds 1.14.1) obeys them: the built daemon
 * reads VirtualServices and DestinationRules from rules files and serves them over ADS; RPCs go
 * to real gRPC backends on loopback, each answering with its own name (subsets are the instances
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

/** Longer than the 500 ms route timeout, and than the time its RPCs can take to fail. */
const TIMEOUT_DELAY_MS = 3000;

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

describe('traffic rules obeyed by a proxyless gRPC client (grpc-js-xds) against the daemon', () => {
  let mesh: RulesDaemon;
  const backends: Backend[] = [];
  /**
   * grpc-js-xds's fault filter keeps a delayed call's timer for the whole delay, even after a
   * deadline ended the call; it must run out before the test ends, or jest waits on it.
   */
  let delayTimersEndAt = 0;

  beforeAll(async () => {
    const [v1, v2, flaky] = [
      await startBackend('v1'),
      await startBackend('v2'),
      await startBackend('flaky', { failFirstAttempt: true }),
    ];
    backends.push(v1, v2, flaky);
    const versions = [
      { backend: v1, labels: { version: 'v1' } },
      { backend: v2, labels: { version: 'v2' } },
    ];
    mesh = await startRulesDaemon(
      NODE_ID,
      servicesYaml([
        ...[SPLIT, HEADER, ABORT_HTTP, ABORT_GRPC, DELAY, TIMEOUT].map((hostname) => ({
          hostname,
          instances: versions,
        })),
        ...[RETRY, NO_RETRY].map((hostname) => ({ hostname, instances: [{ backend: flaky }] })),
      ]),
      RULES,
    );
  });

  afterAll(async () => {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, delayTimersEndAt - Date.now())));
    await mesh?.stop();
    await Promise.all(backends.map((b) => b.stop()));
  });

  it('splits 80/20 between subsets over 1000 RPCs (within ±6 percentage points)', async () => {
    const client = mesh.client(SPLIT);
    await waitUntilServing(client);
    const results = await calls(client, 1000);
    const counts = tally(results);
    expect(Object.keys(counts).sort()).toEqual(['v1', 'v2']);
    const v1Share = ((counts.v1 ?? 0) / results.length) * 100;
    expect(Math.abs(v1Share - 80)).toBeLessThanOrEqual(6);
  });

  it('sends RPCs with `end-user: jason` metadata to v2 and every other RPC to v1', async () => {
    const client = mesh.client(HEADER);
    await waitUntilServing(client);
    const marked = await calls(client, 50, { metadata: { 'end-user': 'jason' } });
    const unmarked = await calls(client, 50);
    const otherUser = await calls(client, 50, { metadata: { 'end-user': 'jasonx' } });
    expect(tally(marked)).toEqual({ v2: 50 });
    expect(tally(unmarked)).toEqual({ v1: 50 });
    expect(tally(otherUser)).toEqual({ v1: 50 });
  });

  it('fails every RPC with the abort status, httpStatus 503 mapped to UNAVAILABLE, without reaching a backend', async () => {
    const before = totalCalls(backends);
    const http = await calls(mesh.client(ABORT_HTTP), 50);
    const grpc = await calls(mesh.client(ABORT_GRPC), 50);
    expect(tally(http)).toEqual({ [`code ${status.UNAVAILABLE}`]: 50 });
    expect(tally(grpc)).toEqual({ [`code ${status.PERMISSION_DENIED}`]: 50 });
    // The client's fault filter says so: the failure is injected, not a backend's answer.
    expect(http.every((r) => !r.ok && /fault/i.test(r.details))).toBe(true);
    expect(totalCalls(backends)).toBe(before);
  });

  it('delays RPCs by the fixed delay, and a route timeout shorter than it ends them with DEADLINE_EXCEEDED', async () => {
    const delayed = mesh.client(DELAY);
    await waitUntilServing(delayed);
    const slow = await calls(delayed, 5);
    expect(slow.map((r) => r.ok)).toEqual([true, true, true, true, true]);
    expect(Math.min(...slow.map((r) => r.ms))).toBeGreaterThanOrEqual(990);

    const timedOut = mesh.client(TIMEOUT);
    // The RPC's own deadline is 10 s and the delay 3 s: only the 500 ms route timeout
    // (max_stream_duration) can end it with DEADLINE_EXCEEDED sooner.
    delayTimersEndAt = Date.now() + TIMEOUT_DELAY_MS + 5000;
    const results = await calls(timedOut, 5, { deadlineMs: 10_000 });
    delayTimersEndAt = Date.now() + TIMEOUT_DELAY_MS;
    expect(tally(results)).toEqual({ [`code ${status.DEADLINE_EXCEEDED}`]: 5 });
    // The first RPC also waited for the channel to resolve; the others only for the timeout.
    for (const r of results.slice(1)) {
      expect(r.ms).toBeGreaterThanOrEqual(450);
      expect(r.ms).toBeLessThan(TIMEOUT_DELAY_MS);
    }
  });

  it('retries the failed first attempt of each RPC under `retries: { attempts: 3, retryOn: unavailable }`, and not without it', async () => {
    const flaky = backends[2] as Backend;
    const retrying = mesh.client(RETRY);
    const withRetries = await calls(retrying, 30, () => ({ body: randomUUID() }));
    expect(tally(withRetries)).toEqual({ flaky: 30 });
    // Each RPC took exactly two attempts: the first failed, the one retry succeeded.
    expect(flaky.calls.get(`${RETRY}:${GRPC_PORT}`)).toBe(60);

    const plain = mesh.client(NO_RETRY);
    // The same backend, the same RPCs, a route without retries: every first attempt fails.
    await waitUntilServing(plain, { body: 'warm-up' });
    const without = await calls(plain, 30, () => ({ body: randomUUID() }));
    expect(tally(without)).toEqual({ [`code ${status.UNAVAILABLE}`]: 30 });
    expect(without.every((r) => !r.ok && r.details.includes('first attempt'))).toBe(true);
    expect(flaky.calls.get(`${NO_RETRY}:${GRPC_PORT}`)).toBe(2 + 30);
  });

  it('accepts everything served: no NACK, and every type ACKed at the version last sent', async () => {
    const stream = await settledStream(mesh.daemon.admin, NODE_ID);
    expect(stream.client?.kind).toBe('grpc');
    expect(Object.keys(stream.types).sort()).toEqual(['cds', 'eds', 'lds']);
    for (const [type, view] of Object.entries(stream.types)) {
      expect([type, view.lastNack]).toEqual([type, null]);
      expect([type, view.lastAcked?.version]).toEqual([type, view.lastSent?.version]);
    }
  });
});

function totalCalls(backends: readonly Backend[]): number {
  let total = 0;
  for (const backend of backends) for (const n of backend.calls.values()) total += n;
  return total;
}
