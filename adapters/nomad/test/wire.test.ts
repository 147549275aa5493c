import { fixtureRegistrations } from '@sextant/testkit/nomad';
import { NomadError } from '../src/nomad/nomad-error';
import { parseEventLine, parseRegistrations, parseServiceList } from '../src/nomad/wire';

describe('reading Nomad answers', () => {
  it('puts a service list in canonical order, whatever order Nomad sent', () => {
    const a = parseServiceList([
      { Namespace: 'payments', Services: [{ ServiceName: 'redis', Tags: ['cache'] }] },
      {
        Namespace: 'default',
        Services: [
          { ServiceName: 'web', Tags: ['v1', 'http', 'v1'] },
          { ServiceName: 'api', Tags: ['v2', 'grpc'] },
        ],
      },
    ]);
    const b = parseServiceList([
      {
        Namespace: 'default',
        Services: [
          { ServiceName: 'api', Tags: ['grpc', 'v2'] },
          { ServiceName: 'web', Tags: ['http', 'v1'] },
        ],
      },
      { Namespace: 'payments', Services: [{ ServiceName: 'redis', Tags: ['cache'] }] },
    ]);
    expect(a).toEqual([
      { namespace: 'default', name: 'api', tags: ['grpc', 'v2'] },
      { namespace: 'default', name: 'web', tags: ['http', 'v1'] },
      { namespace: 'payments', name: 'redis', tags: ['cache'] },
    ]);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(parseServiceList([])).toEqual([]);
  });

  it('reads registrations sorted by ID with sorted tags, null tags as none, and no indexes', () => {
    const [first, second] = fixtureRegistrations;
    const parsed = parseRegistrations([{ ...second, Tags: null, ModifyIndex: 9999 }, first]);
    expect(parsed.map((r) => r.id)).toEqual([first?.ID, second?.ID]);
    expect(parsed[0]).toEqual({
      id: first?.ID,
      service: 'web',
      namespace: 'default',
      nodeId: first?.NodeID,
      datacenter: 'dc1',
      jobId: 'web',
      allocId: first?.AllocID,
      tags: ['http', 'v1'],
      address: '10.0.1.11',
      port: 8080,
    });
    expect(parsed[1]?.tags).toEqual([]);
    // Re-registered with a new ModifyIndex: the same registration as far as the mesh goes.
    expect(parseRegistrations([{ ...first, ModifyIndex: 1 }])).toEqual(parseRegistrations([first]));
  });

  it.each([
    [{ message: 'not a list' }, 'body: expected an array, got object'],
    [[{ ...fixtureRegistrations[0], Port: '8080' }], '[0].Port: expected a number, got string'],
    [[{ ...fixtureRegistrations[0], Tags: 'v1' }], '[0].Tags: expected an array, got string'],
    [[null], '[0]: expected an object, got null'],
  ])('refuses an unusable registration list %j, saying where', (body, where) => {
    expect(() => parseRegistrations(body)).toThrow(
      new NomadError('invalid', `Nomad sent an unexpected answer: ${where}`),
    );
  });

  it('refuses an unusable service list, saying where', () => {
    expect(() => parseServiceList([{ Namespace: 'default', Services: [{ ServiceName: 7 }] }])).toThrow(
      'Nomad sent an unexpected answer: [0].Services[0].ServiceName: expected a string, got number',
    );
  });

  describe('event stream lines', () => {
    const [first] = fixtureRegistrations;
    const event = (type: string, topic = 'Service') => ({
      Topic: topic,
      Type: type,
      Key: first?.ID,
      Namespace: first?.Namespace,
      FilterKeys: [first?.JobID, first?.ServiceName],
      Index: 42,
      Payload: { Service: { ...first, Tags: ['v1', 'http'] } },
    });

    it('reads a batch: its index and its Service events, registrations in canonical form', () => {
      const line = JSON.stringify({
        Index: 42,
        Events: [event('ServiceRegistration'), event('ServiceDeregistration'), event('JobRegistered', 'Job')],
      });
      const batch = parseEventLine(line);
      expect(batch?.index).toBe(42);
      expect(batch?.events.map((e) => e.type)).toEqual(['ServiceRegistration', 'ServiceDeregistration']);
      expect(batch?.events[0]?.registration).toEqual(
        parseRegistrations([{ ...first, Tags: ['http', 'v1'] }])[0],
      );
    });

    it('takes heartbeats and blank lines for nothing', () => {
      expect(parseEventLine('{}')).toBeUndefined();
      expect(parseEventLine('')).toBeUndefined();
    });

    it('refuses a line that is not what Nomad sends, saying where', () => {
      expect(() => parseEventLine('{"Index":')).toThrow(/event stream sent a line that is not JSON/);
      expect(() => parseEventLine(JSON.stringify({ Index: 1, Events: {} }))).toThrow(
        'Nomad sent an unexpected answer: Events: expected an array, got object',
      );
      expect(() =>
        parseEventLine(
          JSON.stringify({ Index: 1, Events: [{ ...event('ServiceRegistration'), Payload: {} }] }),
        ),
      ).toThrow(
        'Nomad sent an unexpected answer: Events[0].Payload.Service: expected an object, got undefined',
      );
    });
  });
});
