import {
  Registry,
  RuleStoreConflict,
  RuleStoreUnavailable,
  type RuleIdentity,
  type RuleResource,
  type RuleStore,
  type StoredRule,
} from '@sextant/core';
import { Renderer } from '@sextant/envoy';
import pino from 'pino';
import { createAdminServer, listenOn, ServerMetrics } from '../src';
import { seedBookinfo } from './harness';

/**
 * A store whose platform refuses the write in the way a real store reports it (the Consul KV and
 * Kubernetes stores throw these for a lost compare-and-set and for an unreachable platform).
 */
class RefusingStore implements RuleStore {
  readonly description = 'a refusing store';
  constructor(private readonly refusal: () => Error) {}
  async get(_identity: RuleIdentity): Promise<StoredRule | undefined> {
    return undefined;
  }
  async put(_resource: RuleResource): Promise<StoredRule> {
    throw this.refusal();
  }
  async delete(_identity: RuleIdentity): Promise<boolean> {
    throw this.refusal();
  }
}

const VIRTUAL_SERVICE = JSON.stringify({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'reviews', namespace: 'default' },
  spec: {
    hosts: ['reviews.default.svc.cluster.local'],
    http: [{ route: [{ destination: { host: 'reviews.default.svc.cluster.local' } }] }],
  },
});

async function putThrough(store: RuleStore): Promise<{ status: number; body: string }> {
  const registry = new Registry({ adapters: ['files'], debounce: { afterMs: 1, maxMs: 5 } });
  const renderer = new Renderer();
  const metrics = new ServerMetrics(registry, () => renderer.cache.stats());
  const app = createAdminServer(registry, renderer, metrics, pino({ level: 'silent' }), [], undefined, {
    ruleStore: store,
  });
  try {
    const sink = registry.sink('files');
    seedBookinfo(sink);
    sink.setStatus('ready');
    registry.flush();
    const address = await listenOn(app, '127.0.0.1:0');
    const response = await fetch(`http://${address}/v1/rules/VirtualService/default/reviews`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: VIRTUAL_SERVICE,
    });
    return { status: response.status, body: await response.text() };
  } finally {
    registry.close();
    await app.close();
  }
}

describe('the Rules API answering a store that refuses a write', () => {
  it("answers 412 for a lost compare-and-set, like a failed If-Match, with the store's message", async () => {
    const answer = await putThrough(
      new RefusingStore(() => new RuleStoreConflict('key "k" changed while it was written; retry')),
    );
    expect(answer.status).toBe(412);
    expect(answer.body).toContain('changed while it was written');
  });

  it('answers 503 naming the store when its platform cannot be reached, never 500', async () => {
    const answer = await putThrough(
      new RefusingStore(() => new RuleStoreUnavailable('Consul KV prefix "p/" at http://x: down')),
    );
    expect(answer.status).toBe(503);
    expect(answer.body).toContain('Consul KV prefix "p/"');
  });
});
