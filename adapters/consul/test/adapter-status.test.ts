import { RecordingSink } from '@sextant/testkit';
import { AdapterStatusReporter } from '../src/adapter-status';
import type { SkippedInstances } from '../src/service-report';

const none: SkippedInstances = {
  noPort: 0,
  notIp: 0,
  proxies: 0,
  duplicates: 0,
  unknownProtocol: 0,
  malformed: 0,
};

describe('the consul adapter’s status line', () => {
  function reporter(skipped: SkippedInstances = none) {
    let now = 0;
    const sink = new RecordingSink();
    const status = new AdapterStatusReporter(
      sink,
      () => skipped,
      () => now,
    );
    return { sink, status, advance: (ms: number) => (now += ms) };
  }

  it('is syncing with what it waits for, or why it cannot get it, until the first sync', () => {
    const { sink, status } = reporter();
    status.setWaitingFor('every service of datacenter dc1 to answer once');
    status.setFault('dc1', 'dc1: cannot reach Consul');
    status.setFault('dc1', undefined);
    expect(sink.calls).toEqual([
      {
        method: 'setStatus',
        status: 'syncing',
        detail: 'waiting for every service of datacenter dc1 to answer once',
      },
      { method: 'setStatus', status: 'syncing', detail: 'dc1: cannot reach Consul' },
      {
        method: 'setStatus',
        status: 'syncing',
        detail: 'waiting for every service of datacenter dc1 to answer once',
      },
    ]);
  });

  it('is degraded with the first three reasons while faults last, then ready again', () => {
    const { sink, status } = reporter();
    status.markSynced();
    for (const dc of ['dc1', 'dc2', 'dc3', 'dc4']) status.setFault(dc, `${dc}: down`);
    expect(sink.detail).toBe('dc1: down; dc2: down; dc3: down (and 1 more); serving the last state read');
    for (const dc of ['dc1', 'dc2', 'dc3', 'dc4']) status.setFault(dc, undefined);
    expect(sink.status).toBe('ready');
  });

  it('reports a change once, and re-confirms ready at most once a second', () => {
    const { sink, status, advance } = reporter();
    status.markSynced();
    status.refresh();
    status.confirm();
    expect(sink.statuses()).toEqual(['ready']);
    advance(999);
    status.confirm();
    expect(sink.statuses()).toEqual(['ready']);
    advance(1);
    status.confirm();
    expect(sink.statuses()).toEqual(['ready', 'ready']);
  });

  it('says on ready how many instances it skipped and why (proxies are expected, not counted)', () => {
    const { sink, status } = reporter({ ...none, noPort: 2, notIp: 1, proxies: 7 });
    status.markSynced();
    expect(sink.detail).toBe('3 instances skipped: 2 without a port, 1 with a DNS name for an address');
  });
});
