import { RecordingSink } from '@sextant/testkit';
import { SyncHealth } from '../src/sync-health';

describe('the adapter status from its collections', () => {
  const members = ['services', 'endpointslices', 'pods', 'nodes'];
  let sink: RecordingSink;
  let health: SyncHealth<string>;
  beforeEach(() => {
    sink = new RecordingSink();
    health = new SyncHealth(sink, members, (m) => m);
  });

  it('says why it is still syncing, and is ready once every collection is listed', () => {
    health.failed('pods', 'pods is forbidden');
    health.publish();
    for (const m of members.slice(0, 3)) health.listed(m);
    health.publish();
    expect(sink.calls).toEqual([
      { method: 'setStatus', status: 'syncing', detail: 'pods: pods is forbidden' },
    ]);
    health.recovered('pods');
    health.listed('nodes');
    health.publish(true);
    expect(sink.status).toBe('ready');
  });

  it('names collections failing the same way together, and reports each change once', () => {
    for (const m of members) health.listed(m);
    health.publish(true);
    for (const m of members) health.failed(m, 'the API server is unavailable');
    health.publish();
    health.publish();
    expect(sink.detail).toBe('services, endpointslices, pods, nodes: the API server is unavailable');
    health.recovered('services');
    health.failed('pods', 'Unauthorized');
    health.publish();
    expect(sink.detail).toBe('endpointslices, nodes: the API server is unavailable; pods: Unauthorized');
    expect(sink.statuses()).toEqual(['ready', 'degraded', 'degraded']);
  });

  it('confirms ready when asked, even if it was ready already', () => {
    for (const m of members) health.listed(m);
    health.publish(true);
    health.publish(true);
    health.publish();
    expect(sink.statuses()).toEqual(['ready', 'ready']);
  });
});
