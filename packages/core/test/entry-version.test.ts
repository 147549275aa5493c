import { describe, expect, it } from '@jest/globals';
import { entryVersion, type Service, type ServiceInstance } from '../src';

const service: Service = {
  hostname: 'web.test',
  ports: [{ name: 'http', port: 80, protocol: 'http' }],
  labels: {},
  addresses: [],
  origin: 'file',
};

function instance(fields: Partial<ServiceInstance> = {}): ServiceInstance {
  return {
    hostname: 'web.test',
    address: '10.0.0.1',
    port: 80,
    portName: 'http',
    labels: { version: 'v1' },
    locality: { zone: 'z1' },
    weight: 1,
    health: 'healthy',
    origin: 'file',
    ...fields,
  };
}

describe('entryVersion', () => {
  it('is the same for the same content, labels in any order', () => {
    const a = entryVersion(service, [instance({ labels: { a: '1', b: '2' } })]);
    const b = entryVersion(service, [instance({ labels: { b: '2', a: '1' } })]);
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
  });

  it('tells apart contents that would write alike if fields were simply joined', () => {
    const variants = [
      [instance({ labels: { a: 'b:c' } })],
      [instance({ labels: { 'a:b': 'c' } })],
      [instance({ labels: { a: 'b', c: '' } })],
      [instance({ labels: { a: 'b1:c' } })],
      [instance({ locality: { region: 'z1' } })],
      [instance({ locality: { zone: 'z1', subzone: 's' } })],
      [instance({ locality: { zone: 'z' } }), instance({ address: '10.0.0.2' })],
      [instance({ port: 8, weight: 11 })],
      [instance({ port: 81, weight: 1 })],
      [instance({ health: 'unhealthy' })],
      [instance({ origin: 'consul' })],
      [instance(), instance({ address: '10.0.0.2' })],
      [instance({ address: '10.0.0.2' }), instance()],
    ];
    const versions = variants.map((instances) => entryVersion(service, instances));
    expect(new Set(versions).size).toBe(variants.length);
    expect(entryVersion({ ...service, labels: { app: 'web' } }, [instance()])).not.toBe(
      entryVersion(service, [instance()]),
    );
  });
});
