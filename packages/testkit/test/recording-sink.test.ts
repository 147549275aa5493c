import { describe, expect, it } from '@jest/globals';
import { Registry, type ServiceInput } from '@sextant/core';
import { RecordingSink } from '../src';

const web: ServiceInput = { hostname: 'web.test', ports: [{ name: 'http', port: 80, protocol: 'http' }] };
const api: ServiceInput = { hostname: 'api.test', ports: [{ name: 'grpc', port: 90, protocol: 'grpc' }] };

describe('RecordingSink', () => {
  it('records calls in order and keeps the state they add up to', () => {
    const sink = new RecordingSink();
    expect(sink.status).toBe('syncing');
    sink.replaceAll({
      services: [web, api],
      instances: [
        { hostname: 'web.test', address: '10.0.0.1', port: 8080, portName: 'http' },
        { hostname: 'api.test', address: '10.0.0.2', port: 9090, portName: 'grpc' },
      ],
    });
    sink.setStatus('ready');
    expect(sink.services.get('api.test')?.instances).toEqual([
      { address: '10.0.0.2', port: 9090, portName: 'grpc' },
    ]);
    sink.upsertService(web, [{ address: '10.0.0.3', port: 8080, portName: 'http' }]);
    sink.removeService('api.test');
    sink.setStatus('degraded', 'platform down');

    expect(sink.calls.map((call) => call.method)).toEqual([
      'replaceAll',
      'setStatus',
      'upsertService',
      'removeService',
      'setStatus',
    ]);
    expect(sink.statuses()).toEqual(['ready', 'degraded']);
    expect(sink.status).toBe('degraded');
    expect(sink.detail).toBe('platform down');
    expect([...sink.services.keys()]).toEqual(['web.test']);
    expect(sink.services.get('web.test')?.instances.map((i) => i.address)).toEqual(['10.0.0.3']);
  });

  it('passes every call on to the sink it wraps', () => {
    const registry = new Registry({ adapters: ['a'], debounce: { afterMs: 0, maxMs: 0 } });
    const sink = new RecordingSink(registry.sink('a'));
    sink.replaceAll({
      services: [web],
      instances: [{ hostname: 'web.test', address: '10.0.0.1', port: 8080, portName: 'http' }],
    });
    sink.setStatus('ready');
    expect(registry.isSynced()).toBe(true);
    expect(registry.current()?.services.get('web.test')?.instances).toHaveLength(1);
    sink.removeService('web.test');
    registry.flush();
    expect(registry.current()?.services.has('web.test')).toBe(false);
    sink.setStatus('degraded', 'down');
    expect(registry.adapterStatuses()[0]).toMatchObject({ status: 'degraded', detail: 'down' });
    registry.close();
  });
});
